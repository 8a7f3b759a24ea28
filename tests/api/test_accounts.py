"""Registration, sessions, tokens and login limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import PASSWORD, make_user

from rejoinder import clock
from rejoinder.accounts.service import SESSION_LIFETIME

pytestmark = pytest.mark.anyio


async def test_register_login_me_logout(client):
    response = await client.post(
        "/api/v1/accounts",
        json={"username": "Alice", "password": PASSWORD, "email": "a@example.org"},
    )
    assert response.status_code == 201
    assert response.json()["username"] == "Alice"
    assert "password" not in response.text
    login = await client.post("/api/v1/sessions", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 201
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    token = login.json()["token"]
    # The cookie alone signs the browser in.
    me = await client.get("/api/v1/me")
    assert me.json()["username"] == "Alice"
    client.cookies.clear()
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    out = await client.delete(
        "/api/v1/sessions/current", headers={"Authorization": f"Bearer {token}"}
    )
    assert out.status_code == 204
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


async def test_username_taken_ignoring_case_is_409(client):
    await make_user(client, "bob")
    response = await client.post("/api/v1/accounts", json={"username": "BOB", "password": PASSWORD})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab", "password": PASSWORD},
        {"username": "has space", "password": PASSWORD},
        {"username": "x" * 33, "password": PASSWORD},
        {"username": "carol", "password": "short"},
        {"username": "carol", "password": PASSWORD, "email": "not-an-email"},
        {"username": "carol", "password": PASSWORD, "admin": True},
        {"username": "carol"},
    ],
)
async def test_bad_registration_is_422_and_creates_nothing(client, body):
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    login = await client.post("/api/v1/sessions", json={"username": "carol", "password": PASSWORD})
    assert login.status_code == 401


async def test_wrong_password_and_unknown_user_look_the_same(client):
    await make_user(client, "dave")
    wrong = await client.post(
        "/api/v1/sessions", json={"username": "dave", "password": "nope-nope"}
    )
    unknown = await client.post(
        "/api/v1/sessions", json={"username": "erin", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_garbage_bearer_token_is_401(client):
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer rj_nonsense"})
    assert response.status_code == 401
    response = await client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


async def test_session_token_stops_working_when_it_expires(client, monkeypatch):
    ann = await make_user(client)
    assert (await client.get("/api/v1/me", headers=ann.auth)).status_code == 200
    later = clock.now() + SESSION_LIFETIME + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = await client.get("/api/v1/me", headers=ann.auth)
    assert response.status_code == 401, response.text


async def test_cookie_write_from_another_origin_is_refused(client):
    alice = await make_user(client, "frank")
    await client.post("/api/v1/sessions", json={"username": "frank", "password": PASSWORD})
    response = await client.post(
        "/api/v1/comments",
        json={"url": "https://example.com/", "body": "csrf"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    same = await client.post(
        "/api/v1/comments",
        json={"url": "https://example.com/", "body": "fine"},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 201
    assert alice.username == "frank"


class TestLoginLimits:
    @pytest.fixture
    def settings_overrides(self):
        return {"login_rate": "3/60", "register_rate": "2/60"}

    async def test_login_attempts_are_limited_with_retry_after(self, client):
        for _ in range(3):
            response = await client.post(
                "/api/v1/sessions", json={"username": "ghost", "password": "whatever1"}
            )
            assert response.status_code == 401
        response = await client.post(
            "/api/v1/sessions", json={"username": "ghost", "password": "whatever1"}
        )
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["code"] == "rate-limited"

    async def test_registrations_are_limited_per_ip(self, client):
        for name in ("reg1", "reg2"):
            response = await client.post(
                "/api/v1/accounts", json={"username": name, "password": PASSWORD}
            )
            assert response.status_code == 201
        response = await client.post(
            "/api/v1/accounts", json={"username": "reg3", "password": PASSWORD}
        )
        assert response.status_code == 429


async def test_api_tokens_create_list_revoke(client):
    user = await make_user(client, "scripter")
    created = await client.post("/api/v1/tokens", json={"label": "my script"}, headers=user.auth)
    assert created.status_code == 201
    secret = created.json()["token"]
    api_auth = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/me", headers=api_auth)).json()["username"] == "scripter"
    listed = await client.get("/api/v1/tokens", headers=user.auth)
    assert [t["label"] for t in listed.json()] == ["my script"]
    assert "token" not in listed.json()[0]
    token_id = created.json()["id"]
    other = await make_user(client)
    assert (
        await client.delete(f"/api/v1/tokens/{token_id}", headers=other.auth)
    ).status_code == 404
    assert (await client.delete(f"/api/v1/tokens/{token_id}", headers=user.auth)).status_code == 204
    assert (await client.get("/api/v1/me", headers=api_auth)).status_code == 401

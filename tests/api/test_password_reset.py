"""Password reset: same answer for any address, single-use expiring links, Host ignored."""

from __future__ import annotations

import re
from datetime import timedelta
from mailbox import body_text

import pytest
from factories import PASSWORD, User
from sqlalchemy import func, select

from rejoinder import clock
from rejoinder.resets.models import PasswordReset

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"(https?://\S+/reset/(\S+))")


@pytest.fixture
def settings_overrides(mailbox):
    return {
        "smtp_host": mailbox.host,
        "smtp_port": mailbox.port,
        "smtp_starttls": False,
        "public_url": "https://comments.example.org",
        # The test client speaks plain http to "testserver"; secure cookies would not return.
        "cookie_secure": False,
    }


async def _account(client, name="ann", email="Ann@Example.org") -> User:
    response = await client.post(
        "/api/v1/accounts", json={"username": name, "password": PASSWORD, "email": email}
    )
    assert response.status_code == 201, response.text
    response = await client.post("/api/v1/sessions", json={"username": name, "password": PASSWORD})
    client.cookies.clear()
    body = response.json()
    return User(body["account"]["id"], name, body["token"])


async def _request(client, email, **headers):
    return await client.post("/api/v1/password-resets", json={"email": email}, headers=headers)


def _link(mailbox) -> tuple[str, str]:
    (message,) = mailbox.messages
    match = LINK.search(body_text(message))
    assert match is not None
    return match.group(1), match.group(2)


async def _use(client, token, password=NEW_PASSWORD):
    return await client.post(
        "/api/v1/password-resets/use", json={"token": token, "password": password}
    )


async def _login(client, name, password):
    response = await client.post("/api/v1/sessions", json={"username": name, "password": password})
    client.cookies.clear()
    return response.status_code


async def _reset_rows(app) -> int:
    async with app.state.db.read_session() as session:
        return int((await session.execute(select(func.count(PasswordReset.id)))).scalar_one())


class TestRequest:
    async def test_known_and_unknown_addresses_get_the_same_answer(self, app, client, mailbox):
        await _account(client)
        known = await _request(client, "ann@example.org")
        unknown = await _request(client, "nobody@example.org")
        assert known.status_code == unknown.status_code == 202
        assert known.content == unknown.content
        assert dict(known.headers) == dict(unknown.headers)
        (message,) = mailbox.messages
        assert message["To"] == "Ann@Example.org"
        assert await _reset_rows(app) == 1

    async def test_link_uses_public_url_not_the_host_header(self, client, mailbox):
        await _account(client)
        response = await _request(client, "ann@example.org", Host="evil.example")
        assert response.status_code == 202
        link, token = _link(mailbox)
        assert link == f"https://comments.example.org/reset/{token}"
        assert "evil.example" not in body_text(mailbox.messages[0])

    async def test_only_the_digest_is_stored(self, app, client, mailbox):
        await _account(client)
        await _request(client, "ann@example.org")
        _link_url, token = _link(mailbox)
        async with app.state.db.read_session() as session:
            (row,) = (await session.execute(select(PasswordReset))).scalars()
        assert token not in row.digest
        assert row.expires_at - row.created_at == timedelta(hours=1)

    async def test_requests_are_rate_limited_per_address(self, client, mailbox):
        await _account(client)
        statuses = [(await _request(client, "ann@example.org")).status_code for _ in range(6)]
        assert statuses == [202] * 5 + [429]
        assert len(mailbox.messages) == 5

    @pytest.mark.parametrize("body", [{}, {"email": "not-an-address"}, {"email": "a@b.c", "x": 1}])
    async def test_bad_bodies_are_422(self, client, body):
        response = await client.post("/api/v1/password-resets", json=body)
        assert response.status_code == 422


class TestUse:
    async def test_reset_sets_the_password_once_and_signs_everyone_out(self, client, mailbox):
        ann = await _account(client)
        await _request(client, "ann@example.org")
        _url, token = _link(mailbox)
        assert (await _use(client, token)).status_code == 204
        assert (await client.get("/api/v1/notifications", headers=ann.auth)).status_code == 401
        assert await _login(client, "ann", PASSWORD) == 401
        assert await _login(client, "ann", NEW_PASSWORD) == 201
        again = await _use(client, token, "yet another passphrase")
        assert again.status_code == 404
        assert again.json()["code"] == "invalid-reset-link"
        assert await _login(client, "ann", NEW_PASSWORD) == 201

    async def test_expired_link_does_not_work(self, client, mailbox, monkeypatch):
        await _account(client)
        await _request(client, "ann@example.org")
        _url, token = _link(mailbox)
        moment = clock.now() + timedelta(hours=1, seconds=1)
        monkeypatch.setattr(clock, "now", lambda: moment)
        assert (await _use(client, token)).status_code == 404
        assert await _login(client, "ann", PASSWORD) == 201

    @pytest.mark.parametrize("token", ["rj_" + "A" * 43, "x"])
    async def test_unknown_tokens_are_404(self, client, token):
        assert (await _use(client, token)).status_code == 404

    async def test_short_password_is_422(self, client, mailbox):
        await _account(client)
        await _request(client, "ann@example.org")
        _url, token = _link(mailbox)
        assert (await _use(client, token, "short")).status_code == 422


class TestPages:
    async def test_forgot_and_reset_forms(self, client, mailbox):
        await _account(client)
        form = await client.get("/forgot")
        csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        sent = await client.post("/forgot", data={"csrf_token": csrf, "email": "ann@example.org"})
        assert sent.status_code == 200
        assert "a link to reset its password is on its way" in sent.text
        unknown = await client.post("/forgot", data={"csrf_token": csrf, "email": "x@example.org"})
        assert unknown.status_code == 200
        assert "a link to reset its password is on its way" in unknown.text
        _url, token = _link(mailbox)
        page = await client.get(f"/reset/{token}")
        assert page.status_code == 200
        assert f'action="/reset/{token}"' in page.text
        done = await client.post(
            f"/reset/{token}",
            data={
                "csrf_token": csrf,
                "new_password": NEW_PASSWORD,
                "new_password_again": NEW_PASSWORD,
            },
        )
        assert done.status_code == 200
        assert "Your password was changed" in done.text
        assert (await client.get(f"/reset/{token}")).status_code == 404
        assert await _login(client, "ann", NEW_PASSWORD) == 201

    async def test_reset_form_needs_csrf(self, client, mailbox):
        await _account(client)
        await _request(client, "ann@example.org")
        _url, token = _link(mailbox)
        response = await client.post(
            f"/reset/{token}",
            data={"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        )
        assert response.status_code == 403
        assert await _login(client, "ann", PASSWORD) == 201


class TestWithoutMail:
    @pytest.fixture
    def settings_overrides(self):
        return {}

    async def test_no_smtp_says_so_for_every_address(self, client):
        await _account(client)
        known = await _request(client, "ann@example.org")
        unknown = await _request(client, "nobody@example.org")
        assert known.status_code == unknown.status_code == 503
        assert known.json()["code"] == "mail-unavailable"

"""Accounts in the browser: register, log in and out, profiles, settings, closing an account."""

from __future__ import annotations

import re

import httpx
import pytest
from factories import PASSWORD, make_comment, make_user, read_thread
from web_browser import ARTICLE, csrf, other_user, post_form, sign_in

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a much longer passphrase"


async def register(client, username="carol", password=PASSWORD, again=None, **extra):
    token = await csrf(client, "/register")
    return await client.post(
        "/register",
        data={
            "csrf_token": token,
            "username": username,
            "password": password,
            "password_again": password if again is None else again,
            **extra,
        },
    )


class TestRegistering:
    async def test_register_signs_in_and_goes_next(self, client):
        response = await register(client, next="/d?url=https://example.com/")
        assert response.status_code == 303
        assert response.headers["location"] == "/d?url=https://example.com/"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("rejoinder_session=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        me = await client.get("/api/v1/me")
        assert me.json()["username"] == "carol"
        html = (await client.get("/settings")).text
        assert '<a href="/u/carol" class="site-nav__me">carol</a>' in html

    @pytest.mark.parametrize(
        ("username", "password", "again", "message"),
        [
            ("ab", PASSWORD, None, "3 to 32 letters"),
            ("<script>", PASSWORD, None, "3 to 32 letters"),
            ("carol", "short", None, "at least 8"),
            ("carol", PASSWORD, "different!", "The two passwords differ."),
        ],
    )
    async def test_bad_registration_rerenders_with_messages(
        self, client, username, password, again, message
    ):
        response = await register(client, username, password, again)
        assert response.status_code == 422
        assert message.lower() in response.text.lower()
        assert "<script>" not in response.text.split("<main", 1)[1]
        assert (await client.get("/api/v1/me")).status_code == 401

    async def test_taken_username_is_409_with_message(self, client):
        await make_user(client, "Carol")
        response = await register(client, "carol")
        assert response.status_code == 409
        assert "is taken" in response.text

    async def test_cookie_is_not_secure_on_plain_http(self, client, settings):
        assert settings.secure_cookies is False
        response = await register(client)
        assert "Secure" not in response.headers["set-cookie"]


class TestSecureCookies:
    @pytest.fixture
    def settings_overrides(self):
        return {"cookie_secure": True}

    async def test_session_cookie_is_secure(self, client):
        response = await register(client)
        assert "Secure" in response.headers["set-cookie"]


class TestLogin:
    async def test_wrong_password_is_401_with_form(self, client):
        await make_user(client, "dave")
        token = await csrf(client, "/login")
        response = await client.post(
            "/login", data={"csrf_token": token, "username": "dave", "password": "nope nope"}
        )
        assert response.status_code == 401
        assert "Wrong username or password" in response.text
        assert 'value="dave"' in response.text

    async def test_login_without_csrf_cookie_is_refused(self, client):
        await make_user(client, "dave")
        response = await client.post(
            "/login", data={"csrf_token": "0" * 64, "username": "dave", "password": PASSWORD}
        )
        assert response.status_code == 403
        assert "set-cookie" not in response.headers or (
            "rejoinder_session" not in response.headers["set-cookie"]
        )

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
    async def test_next_cannot_leave_the_site(self, client, target):
        await make_user(client, "dave")
        token = await csrf(client, "/login")
        response = await client.post(
            "/login",
            data={"csrf_token": token, "username": "dave", "password": PASSWORD, "next": target},
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"

    async def test_logout_ends_the_session(self, client):
        dave = await make_user(client, "dave")
        await sign_in(client, dave)
        session = client.cookies.get("rejoinder_session")
        response = await post_form(client, "/logout", {})
        assert response.status_code == 303
        assert (await client.get("/api/v1/me")).status_code == 401
        stolen = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"})
        assert stolen.status_code == 401

    async def test_logout_needs_the_token(self, client):
        dave = await make_user(client, "dave")
        await sign_in(client, dave)
        assert (await client.post("/logout")).status_code == 403
        assert (await client.get("/api/v1/me")).status_code == 200


class TestProfile:
    @pytest.fixture
    def settings_overrides(self):
        return {"allow_guests": True}

    async def test_profile_lists_comments_newest_first_with_karma(self, client):
        erin = await make_user(client, "erin")
        voter = await make_user(client)
        old = await make_comment(client, erin, "older <words>", url=ARTICLE)
        new = await make_comment(client, erin, "newer", url="https://example.com/other")
        response = await client.put(
            f"/api/v1/comments/{old['id']}/vote", json={"value": 1}, headers=voter.auth
        )
        assert response.status_code == 200
        html = (await client.get("/u/erin")).text
        assert html.index("newer") < html.index("older &lt;words&gt;")
        assert f'href="/c/{new["id"]}#c{new["id"]}"' in html
        assert re.search(r"<dt>Karma</dt><dd>1</dd>", html)
        assert re.search(r"<dt>Comments</dt><dd>2</dd>", html)

    async def test_profile_pages_and_case(self, client, monkeypatch):
        monkeypatch.setattr("rejoinder.web.accounts.PROFILE_PAGE_SIZE", 2)
        erin = await make_user(client, "Erin")
        ids = [(await make_comment(client, erin, f"n{n}", url=ARTICLE))["id"] for n in range(3)]
        assert (await client.get("/u/erin")).headers["location"] == "/u/Erin"
        html = (await client.get("/u/Erin")).text
        assert "Older comments" in html
        link = re.search(r'href="(/u/Erin\?before=\d+)"', html).group(1)
        html = (await client.get(link)).text
        assert f'href="/c/{ids[0]}#c{ids[0]}"' in html
        assert f'href="/c/{ids[2]}#c{ids[2]}"' not in html

    async def test_unknown_profile_is_404(self, client):
        response = await client.get("/u/nobody")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")

    async def test_guest_name_with_markup_is_escaped(self, client):
        response = await client.post(
            "/api/v1/comments",
            json={"url": ARTICLE, "body": "hi", "author_name": "<script>alert(2)</script>"},
        )
        assert response.status_code == 201
        html = (await client.get("/d", params={"url": ARTICLE}, follow_redirects=True)).text
        assert "<script>alert(2)" not in html
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


class TestSettings:
    async def test_settings_needs_login(self, client):
        response = await client.get("/settings")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/settings"

    async def test_change_password(self, app, client):
        frank = await make_user(client, "frank")
        elsewhere = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        async with elsewhere:
            await sign_in(elsewhere, frank)
            await sign_in(client, frank)
            wrong = await post_form(
                client,
                "/settings/password",
                {
                    "current_password": "not it at all",
                    "new_password": NEW_PASSWORD,
                    "new_password_again": NEW_PASSWORD,
                },
            )
            assert wrong.status_code == 422
            assert "current password is wrong" in wrong.text
            differ = await post_form(
                client,
                "/settings/password",
                {
                    "current_password": PASSWORD,
                    "new_password": NEW_PASSWORD,
                    "new_password_again": NEW_PASSWORD + "!",
                },
            )
            assert differ.status_code == 422
            done = await post_form(
                client,
                "/settings/password",
                {
                    "current_password": PASSWORD,
                    "new_password": NEW_PASSWORD,
                    "new_password_again": NEW_PASSWORD,
                },
            )
            assert done.status_code == 200
            assert "Your password was changed" in done.text
            # This browser stays in; the other one is signed out.
            assert (await client.get("/api/v1/me")).status_code == 200
            assert (await elsewhere.get("/api/v1/me")).status_code == 401
        login = await client.post(
            "/api/v1/sessions", json={"username": "frank", "password": NEW_PASSWORD}
        )
        assert login.status_code == 201


class TestClosingAccount:
    async def test_confirmation_page_says_what_happens(self, client):
        gina = await make_user(client, "gina")
        await sign_in(client, gina)
        html = (await client.get("/settings/delete")).text
        assert "Your comments stay" in html
        assert "[deleted]" in html
        assert 'name="confirm"' in html

    async def test_closing_keeps_comments_without_the_name(self, client):
        gina = await make_user(client, "gina")
        hank = await other_user(client, "hank")
        mine = await make_comment(client, gina, "my words", url=ARTICLE)
        await make_comment(client, hank, "a reply", url=None, parent_id=mine["id"])
        await sign_in(client, gina)
        unticked = await post_form(client, "/settings/delete", {"password": PASSWORD})
        assert unticked.status_code == 422
        assert "Tick the box" in unticked.text
        wrong = await post_form(
            client, "/settings/delete", {"password": "wrong password", "confirm": "on"}
        )
        assert wrong.status_code == 422
        assert (await client.get("/api/v1/me")).status_code == 200
        done = await post_form(client, "/settings/delete", {"password": PASSWORD, "confirm": "on"})
        assert done.status_code == 200
        assert "Your account is closed" in done.text
        assert 'rejoinder_session=""' in done.headers["set-cookie"]
        # Signed out everywhere, the API token too; no new login; no profile.
        assert (await client.get("/api/v1/me", headers=gina.auth)).status_code == 401
        login = await client.post(
            "/api/v1/sessions", json={"username": "gina", "password": PASSWORD}
        )
        assert login.status_code == 401
        assert (await client.get("/u/gina")).status_code == 404
        # The comment stays, authored by "[deleted]"; the name is gone from the page.
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["author"] == {"name": "[deleted]"}
        assert "my words" in thread["comments"][0]["body_html"]
        single = await client.get(f"/api/v1/comments/{mine['id']}")
        assert single.json()["author"] == {"name": "[deleted]"}
        html = (await client.get(f"/c/{mine['id']}")).text
        assert "gina" not in html
        assert "[deleted]" in html
        # The name stays reserved.
        again = await register(client, "gina")
        assert again.status_code == 409

    async def test_closing_needs_the_token(self, client):
        gina = await make_user(client, "gina")
        await sign_in(client, gina)
        response = await client.post(
            "/settings/delete", data={"password": PASSWORD, "confirm": "on"}
        )
        assert response.status_code == 403
        assert (await client.get("/api/v1/me")).status_code == 200

"""Adding, changing and removing one's e-mail address after registration: ``PATCH /api/v1/me``
and the settings page; password resets and reply e-mails then use the new address."""

from __future__ import annotations

import re
from mailbox import body_text

import pytest
from factories import PASSWORD, User, make_comment, make_user
from web_browser import csrf, sign_in

from rejoinder.notifications.digest import DigestSender

pytestmark = pytest.mark.anyio

RESET_LINK = re.compile(r"https?://\S+/reset/\S+")


@pytest.fixture
def settings_overrides(mailbox):
    return {
        "smtp_host": mailbox.host,
        "smtp_port": mailbox.port,
        "smtp_starttls": False,
        "mail_from": "comments@testserver",
        "mail_digest_minutes": 0,
    }


async def set_email(client, user: User, email, password=PASSWORD):
    return await client.patch(
        "/api/v1/me", json={"email": email, "current_password": password}, headers=user.auth
    )


async def me(client, user: User) -> dict:
    response = await client.get("/api/v1/me", headers=user.auth)
    assert response.status_code == 200
    return response.json()


class TestApi:
    async def test_add_change_and_remove(self, client):
        ann = await make_user(client, "ann")
        assert (await me(client, ann))["email"] is None
        added = await set_email(client, ann, "Ann@Example.org")
        assert added.status_code == 200, added.text
        assert added.json()["email"] == "Ann@Example.org"
        assert (await me(client, ann))["email"] == "Ann@Example.org"
        changed = await set_email(client, ann, "ann@elsewhere.example")
        assert changed.json()["email"] == "ann@elsewhere.example"
        removed = await set_email(client, ann, None)
        assert removed.status_code == 200
        assert (await me(client, ann))["email"] is None

    async def test_wrong_password_changes_nothing(self, client):
        ann = await make_user(client, "ann")
        await set_email(client, ann, "ann@example.org")
        response = await set_email(client, ann, "thief@example.org", "not my password")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "current_password"
        assert (await me(client, ann))["email"] == "ann@example.org"

    async def test_an_address_of_another_account_is_a_conflict(self, client):
        ann, bob = await make_user(client, "ann"), await make_user(client, "bob")
        await set_email(client, ann, "ann@example.org")
        response = await set_email(client, bob, "ANN@example.org")
        assert response.status_code == 409
        assert "Another account uses this e-mail address" in response.json()["detail"]
        assert (await me(client, bob))["email"] is None
        # Keeping one's own address (in another case) is no conflict.
        assert (await set_email(client, ann, "Ann@Example.org")).status_code == 200

    async def test_a_closed_account_does_not_hold_its_address(self, client):
        ann, bob = await make_user(client, "ann"), await make_user(client, "bob")
        await set_email(client, ann, "ann@example.org")
        await sign_in(client, ann)
        token = await csrf(client, "/settings/delete")
        closed = await client.post(
            "/settings/delete", data={"csrf_token": token, "password": PASSWORD, "confirm": "on"}
        )
        assert closed.status_code == 200, closed.text
        client.cookies.clear()
        assert (await set_email(client, bob, "ann@example.org")).status_code == 200

    @pytest.mark.parametrize(
        "body",
        [
            {"email": "not-an-address", "current_password": PASSWORD},
            {"email": " ann@example.org", "current_password": PASSWORD},
            {"email": "a@" + "b" * 260 + ".org", "current_password": PASSWORD},
            {"email": "ann@example.org"},
            {"current_password": PASSWORD},
            {"email": "ann@example.org", "current_password": PASSWORD, "role": "admin"},
        ],
    )
    async def test_bad_bodies_are_422_and_change_nothing(self, client, body):
        ann = await make_user(client, "ann")
        response = await client.patch("/api/v1/me", json=body, headers=ann.auth)
        assert response.status_code == 422
        account = await me(client, ann)
        assert (account["email"], account["role"]) == (None, "user")

    async def test_signed_out_is_401(self, client):
        response = await client.patch(
            "/api/v1/me", json={"email": "a@example.org", "current_password": PASSWORD}
        )
        assert response.status_code == 401

    async def test_password_reset_goes_to_the_new_address(self, client, mailbox):
        ann = await make_user(client, "ann")
        await set_email(client, ann, "old@example.org")
        await set_email(client, ann, "new@example.org")
        for address in ("old@example.org", "new@example.org"):
            answer = await client.post("/api/v1/password-resets", json={"email": address})
            assert answer.status_code == 202
        (message,) = mailbox.messages
        assert message["To"] == "new@example.org"
        assert RESET_LINK.search(body_text(message))

    async def test_reply_mails_go_to_the_new_address(self, app, client, settings, mailbox):
        ann, bob = await make_user(client, "ann"), await make_user(client, "bob")
        await set_email(client, ann, "ann@example.org")
        await sign_in(client, ann)
        token = await csrf(client, "/settings/notifications")
        opted = await client.post(
            "/settings/notifications/email", data={"csrf_token": token, "email_replies": "on"}
        )
        assert opted.status_code == 200, opted.text
        client.cookies.clear()
        await set_email(client, ann, "ann@new.example")
        parent = await make_comment(client, ann, "Start here")
        await make_comment(client, bob, "A reply", url=None, parent_id=parent["id"])
        await app.state.notifier.settle()
        assert await DigestSender(app.state.db, settings).run_once() is True
        (message,) = mailbox.messages
        assert message["To"] == "ann@new.example"


class TestSettingsPage:
    async def post(self, client, email: str, password: str = PASSWORD):
        token = await csrf(client, "/settings")
        return await client.post(
            "/settings/email",
            data={"csrf_token": token, "email": email, "email_password": password},
        )

    async def test_add_change_and_remove(self, client):
        ann = await make_user(client, "ann")
        await sign_in(client, ann)
        page = await client.get("/settings")
        assert "You have no e-mail address here" in page.text
        added = await self.post(client, "ann@example.org")
        assert added.status_code == 200, added.text
        assert "Your e-mail address is now ann@example.org." in added.text
        assert 'value="ann@example.org"' in (await client.get("/settings")).text
        removed = await self.post(client, "")
        assert removed.status_code == 200
        assert "Your e-mail address was removed." in removed.text
        assert (await me(client, ann))["email"] is None

    async def test_mistakes_are_shown_beside_the_fields(self, client):
        ann, bob = await make_user(client, "ann"), await make_user(client, "bob")
        await set_email(client, bob, "bob@example.org")
        await sign_in(client, ann)
        invalid = await self.post(client, "not an address")
        assert invalid.status_code == 422
        assert "Enter an e-mail address like name@example.org" in invalid.text
        assert 'value="not an address"' in invalid.text
        wrong = await self.post(client, "ann@example.org", "wrong password")
        assert wrong.status_code == 422
        assert "The current password is wrong." in wrong.text
        taken = await self.post(client, "Bob@Example.org")
        assert taken.status_code == 409
        assert "Another account uses this e-mail address" in taken.text
        assert (await me(client, ann))["email"] is None

    async def test_needs_a_signed_in_reader_and_a_real_form(self, client):
        response = await client.post("/settings/email", data={"email": "a@example.org"})
        assert response.status_code == 403  # no CSRF token: refused before anything
        ann = await make_user(client, "ann")
        await sign_in(client, ann)
        forged = await client.post(
            "/settings/email",
            data={"csrf_token": "forged", "email": "a@example.org", "email_password": PASSWORD},
        )
        assert forged.status_code == 403
        assert (await me(client, ann))["email"] is None

"""Reply e-mails: opt-in, batched into one digest per window, one-click unsubscribe."""

from __future__ import annotations

from datetime import timedelta
from mailbox import body_text

import anyio
import pytest
from factories import PASSWORD, User, make_comment, make_user

from rejoinder import clock
from rejoinder.notifications.digest import DigestSender

pytestmark = pytest.mark.anyio

WINDOW_MINUTES = 10


@pytest.fixture
def settings_overrides(mailbox):
    return {
        "smtp_host": mailbox.host,
        "smtp_port": mailbox.port,
        "smtp_starttls": False,
        "mail_from": "comments@testserver",
        "mail_digest_minutes": WINDOW_MINUTES,
    }


@pytest.fixture
def later(monkeypatch):
    """Move the clock past the digest window."""
    real = clock.now

    def advance(minutes: float = WINDOW_MINUTES + 1) -> None:
        moment = real() + timedelta(minutes=minutes)
        monkeypatch.setattr(clock, "now", lambda: moment)

    return advance


async def _user_with_email(client, name: str) -> User:
    response = await client.post(
        "/api/v1/accounts",
        json={"username": name, "password": PASSWORD, "email": f"{name}@example.org"},
    )
    assert response.status_code == 201, response.text
    response = await client.post("/api/v1/sessions", json={"username": name, "password": PASSWORD})
    client.cookies.clear()
    body = response.json()
    return User(body["account"]["id"], name, body["token"])


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def _set_email(client, user: User, on: bool):
    client.cookies.set("rejoinder_session", user.token)
    page = await client.get("/settings/notifications")
    data = {"csrf_token": _csrf(page.text)}
    if on:
        data["email_replies"] = "on"
    response = await client.post("/settings/notifications/email", data=data)
    client.cookies.clear()
    return response


async def _replies(app, client, to: User, count: int, author: User | None = None) -> None:
    author = author or await make_user(client)
    parent = await make_comment(client, to, "Start here")
    for n in range(count):
        await make_comment(client, author, f"Reply {n}", url=None, parent_id=parent["id"])
    await app.state.notifier.settle()


class TestOptIn:
    async def test_off_by_default_and_needs_an_address(self, app, client, settings, mailbox, later):
        nomail = await make_user(client)
        response = await _set_email(client, nomail, True)
        assert response.status_code == 422
        assert "Add an e-mail address" in response.text
        ann = await _user_with_email(client, "ann")
        await _replies(app, client, ann, 2)
        later()
        assert await DigestSender(app.state.db, settings).run_once() is False
        assert mailbox.messages == []

    async def test_settings_page_shows_the_choice(self, client):
        ann = await _user_with_email(client, "ann")
        response = await _set_email(client, ann, True)
        assert response.status_code == 200
        assert "Replies will be e-mailed to you." in response.text
        assert 'name="email_replies" checked' in response.text


class TestDigest:
    async def test_several_replies_in_a_window_make_one_mail(
        self, app, client, settings, mailbox, later
    ):
        ann = await _user_with_email(client, "ann")
        await _set_email(client, ann, True)
        bob = await make_user(client, "bob")
        await _replies(app, client, ann, 3, author=bob)
        sender = DigestSender(app.state.db, settings)
        assert await sender.run_once() is False  # the window has not passed
        later()
        assert await sender.run_once() is True
        assert await sender.run_once() is False
        (message,) = mailbox.messages
        assert message["To"] == "ann@example.org"
        assert message["From"] == "comments@testserver"
        assert message["Subject"] == "3 new replies and mentions"
        text = body_text(message)
        assert [f"Reply {n}" in text for n in range(3)] == [True] * 3
        assert text.count("bob replied to your comment") == 3
        assert "http://testserver/c/" in text

    async def test_replies_read_in_the_app_are_not_mailed(
        self, app, client, settings, mailbox, later
    ):
        ann = await _user_with_email(client, "ann")
        await _set_email(client, ann, True)
        await _replies(app, client, ann, 2)
        response = await client.post(
            "/api/v1/notifications/read", json={"all": True}, headers=ann.auth
        )
        assert response.json()["marked"] == 2
        later()
        assert await DigestSender(app.state.db, settings).run_once() is True
        assert mailbox.messages == []
        assert await DigestSender(app.state.db, settings).run_once() is False

    async def test_concurrent_senders_send_once(self, app, client, settings, mailbox, later):
        ann = await _user_with_email(client, "ann")
        await _set_email(client, ann, True)
        await _replies(app, client, ann, 2)
        later()
        results = []

        async def send() -> None:
            results.append(await DigestSender(app.state.db, settings).run_once())

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(send)
        assert len(mailbox.messages) == 1
        assert results.count(True) == 1

    async def test_failed_send_is_retried_later(self, app, client, settings, later, mailbox):
        ann = await _user_with_email(client, "ann")
        await _set_email(client, ann, True)
        await _replies(app, client, ann, 1)
        later()
        broken = settings.model_copy(update={"smtp_port": 1})
        assert await DigestSender(app.state.db, broken).run_once() is True
        # Given back with a delay: nothing is due now, and the mail goes out later.
        assert await DigestSender(app.state.db, settings).run_once() is False
        later(WINDOW_MINUTES + 10)
        assert await DigestSender(app.state.db, settings).run_once() is True
        (message,) = mailbox.messages
        assert message["Subject"].endswith("replied to your comment on example.com/article")


class TestUnsubscribe:
    async def _mail(self, app, client, settings, later, mailbox):
        ann = await _user_with_email(client, "ann")
        await _set_email(client, ann, True)
        await _replies(app, client, ann, 1)
        later()
        assert await DigestSender(app.state.db, settings).run_once() is True
        (message,) = mailbox.messages
        return ann, message

    async def test_rfc8058_headers_and_one_click_post(self, app, client, settings, later, mailbox):
        ann, message = await self._mail(app, client, settings, later, mailbox)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = message["List-Unsubscribe"].strip().strip("<>")
        assert url.startswith("http://testserver/unsubscribe/")
        assert url in body_text(message)
        path = url.removeprefix("http://testserver")
        # Opening the link (a scanner, a preview) changes nothing.
        page = await client.get(path)
        assert page.status_code == 200
        assert "Stop e-mailing me replies" in page.text
        assert 'name="email_replies" checked' in (await _set_email_page(client, ann)).text
        # The mail client's one-click POST: no cookie, no CSRF token.
        response = await client.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
        assert "no more reply e-mails" in response.text
        assert 'name="email_replies" checked' not in (await _set_email_page(client, ann)).text
        # Later replies are not mailed.
        await _replies(app, client, ann, 1)
        later(2 * WINDOW_MINUTES + 5)
        await DigestSender(app.state.db, settings).run_once()
        assert len(mailbox.messages) == 1

    @pytest.mark.parametrize(
        "token", ["1.00000000000000000000000000000000", "1", "x.y", "99999.abc", "1." + "a" * 60]
    )
    async def test_forged_tokens_are_404(self, client, token):
        assert (await client.get(f"/unsubscribe/{token}")).status_code == 404
        assert (await client.post(f"/unsubscribe/{token}")).status_code == 404


async def _set_email_page(client, user: User):
    client.cookies.set("rejoinder_session", user.token)
    page = await client.get("/settings/notifications")
    client.cookies.clear()
    return page

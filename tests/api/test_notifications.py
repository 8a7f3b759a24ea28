"""The inbox: replies, mentions and moderators' actions notify; self and muted do not."""

from __future__ import annotations

import pytest
from factories import make_comment, make_user, promote

from rejoinder import events

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings_overrides():
    return {"blocked_words": ["casino"]}


async def _inbox(client, user, **params):
    response = await client.get("/api/v1/notifications", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def _post(client, app, user, body, parent_id=None, url="https://example.com/article"):
    comment = await make_comment(
        client, user, body, url=None if parent_id else url, parent_id=parent_id
    )
    await app.state.notifier.settle()
    return comment


class TestCreation:
    async def test_reply_notifies_the_parent_author(self, app, client):
        ann, bob = await make_user(client), await make_user(client)
        parent = await _post(client, app, ann, "First!")
        reply = await _post(client, app, bob, "Second, <b>really</b>.", parent_id=parent["id"])
        inbox = await _inbox(client, ann)
        assert inbox["unread_count"] == 1
        (item,) = inbox["items"]
        assert item["kind"] == "reply"
        assert item["actor"] == bob.username
        assert item["comment_id"] == reply["id"]
        assert item["snippet"] == "Second, <b>really</b>."
        assert item["read"] is False
        assert (await _inbox(client, bob))["items"] == []

    async def test_mention_notifies_each_named_reader_once(self, app, client):
        ann, bob, cat = await make_user(client), await make_user(client), await make_user(client)
        parent = await _post(client, app, ann, "Hello")
        body = f"@{ann.username.upper()} and @{cat.username} and @{cat.username} and @nobody_here"
        await _post(client, app, bob, body, parent_id=parent["id"])
        ann_items = (await _inbox(client, ann))["items"]
        assert [item["kind"] for item in ann_items] == ["reply"]  # the reply, not also a mention
        cat_items = (await _inbox(client, cat))["items"]
        assert [item["kind"] for item in cat_items] == ["mention"]

    async def test_top_level_mention_notifies(self, app, client):
        # Top-level comments without a mention skip the notifier; one with a mention must not.
        ann, bob = await make_user(client), await make_user(client)
        await _post(client, app, ann, "Nobody named here")
        loud = await _post(client, app, ann, f"What do you think, @{bob.username}?")
        bob_items = (await _inbox(client, bob))["items"]
        assert [(i["kind"], i["comment_id"]) for i in bob_items] == [("mention", loud["id"])]

    async def test_comments_read_in_one_batch_each_notify(self, app, client):
        # Under load the listener takes the queued events as a batch and reads the new
        # comments together; each must still tell exactly its own readers.
        ann, bob, cat = await make_user(client), await make_user(client), await make_user(client)
        parent = await _post(client, app, ann, "Hello")
        app.state.event_listeners.remove(app.state.notifier)
        reply = await make_comment(
            client, bob, f"Hi @{cat.username}", url=None, parent_id=parent["id"]
        )
        other = await make_comment(client, cat, f"Hey &#64;{bob.username}")
        # A reply to your own comment, in the same batch as its parent: nobody to tell.
        quiet = await make_comment(client, bob, "Nothing to tell", parent_id=reply["id"], url=None)
        ids = [reply["id"], other["id"], quiet["id"]]
        await app.state.notifier.handle_batch([events.CommentPosted(0, "", i) for i in ids])
        ann_items = (await _inbox(client, ann))["items"]
        assert [(i["kind"], i["comment_id"]) for i in ann_items] == [("reply", reply["id"])]
        cat_items = (await _inbox(client, cat))["items"]
        assert [(i["kind"], i["comment_id"]) for i in cat_items] == [("mention", reply["id"])]
        bob_items = (await _inbox(client, bob))["items"]
        assert [(i["kind"], i["comment_id"]) for i in bob_items] == [("mention", other["id"])]

    async def test_no_notification_to_yourself(self, app, client):
        ann = await make_user(client)
        parent = await _post(client, app, ann, "Talking to myself")
        await _post(client, app, ann, f"Yes, @{ann.username}, you are.", parent_id=parent["id"])
        inbox = await _inbox(client, ann)
        assert inbox == {"items": [], "unread_count": 0, "next_before": None}

    async def test_muted_author_does_not_notify(self, app, client):
        ann, troll = await make_user(client), await make_user(client)
        response = await client.put(f"/api/v1/mutes/{troll.username}", headers=ann.auth)
        assert response.status_code == 204
        parent = await _post(client, app, ann, "Hello")
        await _post(client, app, troll, f"Hey @{ann.username}", parent_id=parent["id"])
        await _post(client, app, troll, f"@{ann.username} again")
        assert (await _inbox(client, ann))["items"] == []

    async def test_held_reply_notifies_when_approved(self, app, client):
        ann, bob, mod = await make_user(client), await make_user(client), await make_user(client)
        await promote(app, mod, "moderator")
        parent = await _post(client, app, ann, "Hello")
        held = await _post(client, app, bob, "Try my casino", parent_id=parent["id"])
        assert (await _inbox(client, ann))["items"] == []
        response = await client.post(
            "/api/v1/moderation/actions",
            json={"action": "approve", "comment_ids": [held["id"]]},
            headers=mod.auth,
        )
        assert response.status_code == 200, response.text
        await app.state.notifier.settle()
        assert [i["kind"] for i in (await _inbox(client, ann))["items"]] == ["reply"]
        approved = (await _inbox(client, bob))["items"]
        assert [i["kind"] for i in approved] == ["approved"]
        assert approved[0]["comment_id"] == held["id"]

    async def test_removal_and_ban_notify_with_the_reason(self, app, client):
        bob, mod = await make_user(client), await make_user(client)
        await promote(app, mod, "moderator")
        comment = await _post(client, app, bob, "Something rude")
        response = await client.post(
            "/api/v1/moderation/actions",
            json={"action": "remove", "comment_ids": [comment["id"]], "reason": "Be civil."},
            headers=mod.auth,
        )
        assert response.status_code == 200, response.text
        response = await client.post(
            "/api/v1/bans",
            json={"username": bob.username, "reason": "Repeated abuse", "days": 3},
            headers=mod.auth,
        )
        assert response.status_code == 201, response.text
        await app.state.notifier.settle()
        items = (await _inbox(client, bob))["items"]
        assert [(i["kind"], i["detail"]) for i in items] == [
            ("banned", "Repeated abuse"),
            ("removed", "Be civil."),
        ]
        # A removed comment's text is no longer public, so the notice quotes none of it.
        assert items[1]["snippet"] == ""

    async def test_moderator_acting_on_own_comment_is_not_notified(self, app, client):
        mod = await make_user(client)
        await promote(app, mod, "moderator")
        comment = await _post(client, app, mod, "Oops")
        response = await client.post(
            "/api/v1/moderation/actions",
            json={"action": "remove", "comment_ids": [comment["id"]]},
            headers=mod.auth,
        )
        assert response.status_code == 200
        await app.state.notifier.settle()
        assert (await _inbox(client, mod))["items"] == []


class TestReading:
    async def _three(self, app, client):
        ann, bob = await make_user(client), await make_user(client)
        parent = await _post(client, app, ann, "Hello")
        for n in range(3):
            await _post(client, app, bob, f"Reply {n}", parent_id=parent["id"])
        return ann, bob

    async def test_paging_and_marking_some_read(self, app, client):
        ann, _bob = await self._three(app, client)
        first = await _inbox(client, ann, limit=2)
        assert [i["snippet"] for i in first["items"]] == ["Reply 2", "Reply 1"]
        assert first["unread_count"] == 3
        rest = await _inbox(client, ann, limit=2, before=first["next_before"])
        assert [i["snippet"] for i in rest["items"]] == ["Reply 0"]
        assert rest["next_before"] is None
        response = await client.post(
            "/api/v1/notifications/read",
            json={"ids": [first["items"][0]["id"]]},
            headers=ann.auth,
        )
        assert response.json() == {"marked": 1, "unread_count": 2}
        items = (await _inbox(client, ann))["items"]
        assert [i["read"] for i in items] == [True, False, False]

    async def test_mark_all_read_and_others_ids_are_ignored(self, app, client):
        ann, bob = await self._three(app, client)
        ids = [i["id"] for i in (await _inbox(client, ann))["items"]]
        response = await client.post(
            "/api/v1/notifications/read", json={"ids": ids}, headers=bob.auth
        )
        assert response.json() == {"marked": 0, "unread_count": 0}
        assert (await _inbox(client, ann))["unread_count"] == 3
        response = await client.post(
            "/api/v1/notifications/read", json={"all": True}, headers=ann.auth
        )
        assert response.json() == {"marked": 3, "unread_count": 0}

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"ids": [], "all": True},
            {"ids": [1], "all": True},
            {"all": False},
            {"ids": [0]},
            {"ids": ["x"]},
            {"all": True, "extra": 1},
            {"ids": list(range(1, 502))},
        ],
    )
    async def test_bad_mark_read_bodies_are_422(self, client, body):
        ann = await make_user(client)
        response = await client.post("/api/v1/notifications/read", json=body, headers=ann.auth)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_inbox_needs_an_account(self, client):
        response = await client.get("/api/v1/notifications")
        assert response.status_code == 401


class TestWeb:
    async def test_badge_inbox_page_and_mark_all(self, app, client):
        ann, bob = await make_user(client), await make_user(client)
        parent = await _post(client, app, ann, "Hello")
        await _post(client, app, bob, "<script>alert(1)</script>", parent_id=parent["id"])
        client.cookies.set("rejoinder_session", ann.token)
        page = await client.get("/")
        assert '<span class="badge">1<span class="visually-hidden"> unread</span>' in page.text
        inbox = await client.get("/notifications")
        assert inbox.status_code == 200
        assert f"{bob.username} replied to your comment" in inbox.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox.text
        assert "<script>alert" not in inbox.text
        token = inbox.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        done = await client.post("/notifications/read", data={"csrf_token": token})
        assert done.status_code == 303
        page = await client.get("/notifications")
        assert 'class="badge"' not in page.text
        assert "Nothing unread." in page.text

    async def test_mark_all_without_csrf_is_refused(self, app, client):
        ann = await make_user(client)
        client.cookies.set("rejoinder_session", ann.token)
        response = await client.post("/notifications/read", data={})
        assert response.status_code == 403

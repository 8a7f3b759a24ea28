"""Reports, the moderation queue and its actions, the audit log, bans and roles, via the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_comment, make_user, promote, read_thread

from rejoinder import clock, events

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/11/moderated"


async def report(client, user, comment_id, reason="spam", text=None):
    body = {"reason": reason} | ({"text": text} if text is not None else {})
    return await client.post(f"/api/v1/comments/{comment_id}/reports", json=body, headers=user.auth)


async def act(client, moderator, action, ids, **extra):
    return await client.post(
        "/api/v1/moderation/actions",
        json={"action": action, "comment_ids": ids, **extra},
        headers=moderator.auth,
    )


async def queue(client, moderator, **params):
    response = await client.get("/api/v1/moderation/queue", params=params, headers=moderator.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def log(client, moderator):
    response = await client.get("/api/v1/moderation/log", headers=moderator.auth)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


@pytest.fixture
async def moderator(client, app):
    user = await make_user(client, "mod")
    await promote(app, user, "moderator")
    return user


class TestReports:
    async def test_report_is_created_once_per_reader(self, client):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, "buy pills", url=ARTICLE)
        first = await report(client, bob, posted["id"], "spam")
        assert first.status_code == 201
        assert first.json()["reason"] == "spam"
        second = await report(client, bob, posted["id"], "hate")
        assert second.status_code == 409
        assert second.json()["code"] == "conflict"

    async def test_other_needs_text_and_held_is_not_a_reader_reason(self, client):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, url=ARTICLE)
        assert (await report(client, bob, posted["id"], "other")).status_code == 422
        assert (await report(client, bob, posted["id"], "held")).status_code == 422
        assert (await report(client, bob, posted["id"], "other", "weird")).status_code == 201

    async def test_reporting_needs_sign_in_and_a_visible_comment(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, url=ARTICLE)
        anonymous = await client.post(
            f"/api/v1/comments/{posted['id']}/reports", json={"reason": "spam"}
        )
        assert anonymous.status_code == 401
        assert (await report(client, alice, posted["id"])).status_code == 403  # own comment
        assert (await report(client, alice, 999_999)).status_code == 404

    async def test_threshold_hides_comment_pending_review(self, client, app, moderator):
        removed = []

        async def listener(event):
            if isinstance(event, events.CommentRemoved):
                removed.append(event.comment_id)

        app.state.event_listeners.append(listener)
        author = await make_user(client)
        readers = [await make_user(client) for _ in range(3)]
        posted = await make_comment(client, author, "contested", url=ARTICLE)
        version_before = (await read_thread(client, ARTICLE))["page"]["comment_count"]
        assert version_before == 1
        for reader in readers[:2]:
            assert (await report(client, reader, posted["id"])).status_code == 201
        assert [c["id"] for c in (await read_thread(client, ARTICLE))["comments"]] == [posted["id"]]
        assert (await report(client, readers[2], posted["id"], "harassment")).status_code == 201
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"] == []
        assert thread["page"]["comment_count"] == 0
        assert removed == [posted["id"]]
        # The author still sees it, marked pending; the queue has it with the counts.
        mine = await read_thread(client, ARTICLE, user=author)
        assert mine["comments"][0]["status"] == "pending"
        (item,) = (await queue(client, moderator))["items"]
        assert item["comment"]["id"] == posted["id"]
        assert item["report_counts"] == {"spam": 2, "harassment": 1}
        assert {r["reporter"] for r in item["reports"]} == {r.username for r in readers}


class TestLowThreshold:
    @pytest.fixture
    def settings_overrides(self):
        return {"report_threshold": 1}

    async def test_one_report_hides(self, client):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, url=ARTICLE)
        assert (await report(client, bob, posted["id"])).status_code == 201
        assert (await read_thread(client, ARTICLE))["comments"] == []


class TestQueueAndActions:
    @pytest.fixture
    def settings_overrides(self):
        return {"report_threshold": 1}

    async def test_queue_item_has_context(self, client, moderator):
        alice, bob = await make_user(client, "alice"), await make_user(client)
        parent = await make_comment(client, bob, "the question", url=ARTICLE)
        child = await make_comment(client, alice, "rude answer", url=None, parent_id=parent["id"])
        await report(client, bob, child["id"], "harassment", "called me names")
        (item,) = (await queue(client, moderator))["items"]
        assert item["comment"]["body_text"] == "rude answer"
        assert item["parent"]["id"] == parent["id"]
        assert item["page"]["key"] == "example.com/2026/11/moderated"
        assert item["reports"][0]["text"] == "called me names"
        standing = item["author"]["standing"]
        assert item["author"]["username"] == "alice"
        assert standing["pending_comments"] == 1
        assert standing["ban"] is None

    async def test_filters_and_paging(self, client, moderator):
        author = await make_user(client)
        reporter = await make_user(client)
        ids = []
        for n in range(5):
            posted = await make_comment(client, author, f"item {n}", url=ARTICLE)
            reason = "spam" if n % 2 == 0 else "hate"
            assert (await report(client, reporter, posted["id"], reason)).status_code == 201
            ids.append(posted["id"])
        spam = await queue(client, moderator, reason="spam")
        assert [i["comment"]["id"] for i in spam["items"]] == ids[0::2]
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = await queue(client, moderator, **params)
            seen += [i["comment"]["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ids
        past = (clock.now() - timedelta(days=1)).isoformat()
        assert (await queue(client, moderator, older_than=past))["items"] == []
        bad = await client.get(
            "/api/v1/moderation/queue", params={"cursor": "nonsense"}, headers=moderator.auth
        )
        assert bad.status_code == 422

    async def test_remove_leaves_placeholder_and_replies(self, client, moderator):
        alice, bob = await make_user(client), await make_user(client)
        top = await make_comment(client, alice, "offensive", url=ARTICLE)
        reply = await make_comment(client, bob, "reply", url=None, parent_id=top["id"])
        response = await act(client, moderator, "remove", [top["id"]], reason="insults")
        assert response.status_code == 200
        assert response.json() == {"results": [{"id": top["id"], "status": "removed"}]}
        thread = await read_thread(client, ARTICLE)
        placeholder = thread["comments"][0]
        assert placeholder["status"] == "removed"
        assert placeholder["body_html"] == ""
        assert placeholder["replies"][0]["id"] == reply["id"]
        assert thread["page"]["comment_count"] == 1
        (entry,) = await log(client, moderator)
        assert entry["actor"] == "mod"
        assert entry["action"] == "remove"
        assert entry["target_type"] == "comment"
        assert entry["target_id"] == top["id"]
        assert entry["reason"] == "insults"

    async def test_approve_clears_queue_and_restores_reported_comment(self, client, moderator):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, "fine actually", url=ARTICLE)
        await report(client, bob, posted["id"])
        assert (await read_thread(client, ARTICLE))["comments"] == []
        response = await act(client, moderator, "approve", [posted["id"]])
        assert response.json()["results"][0]["status"] == "visible"
        thread = await read_thread(client, ARTICLE)
        assert [c["id"] for c in thread["comments"]] == [posted["id"]]
        assert thread["page"]["comment_count"] == 1
        assert (await queue(client, moderator))["items"] == []

    async def test_bulk_spam_and_all_or_nothing(self, client, moderator):
        alice = await make_user(client)
        a = await make_comment(client, alice, "spam one", url=ARTICLE)
        b = await make_comment(client, alice, "spam two", url=ARTICLE)
        missing = await act(client, moderator, "spam", [a["id"], 999_999])
        assert missing.status_code == 404
        assert len((await read_thread(client, ARTICLE))["comments"]) == 2
        assert await log(client, moderator) == []
        response = await act(client, moderator, "spam", [a["id"], b["id"]], reason="bot")
        assert {r["status"] for r in response.json()["results"]} == {"spam"}
        assert (await read_thread(client, ARTICLE))["comments"] == []
        assert len(await log(client, moderator)) == 2

    async def test_ban_author_removes_and_bans(self, client, moderator):
        troll = await make_user(client, "troll")
        posted = await make_comment(client, troll, "trolling", url=ARTICLE)
        no_reason = await act(client, moderator, "ban_author", [posted["id"]])
        assert no_reason.status_code == 422
        response = await act(
            client, moderator, "ban_author", [posted["id"]], reason="trolling", ban_days=7
        )
        assert response.status_code == 200
        refused = await client.post(
            "/api/v1/comments", json={"body": "again", "url": ARTICLE}, headers=troll.auth
        )
        assert refused.status_code == 403
        problem = refused.json()
        assert problem["code"] == "banned"
        assert problem["ban_reason"] == "trolling"
        assert problem["ban_ends_at"] is not None
        assert "trolling" in problem["detail"]
        actions = {entry["action"] for entry in await log(client, moderator)}
        assert actions == {"remove", "ban"}

    async def test_bad_action_bodies_are_422(self, client, moderator):
        for body in (
            {"action": "explode", "comment_ids": [1]},
            {"action": "approve", "comment_ids": []},
            {"action": "approve", "comment_ids": list(range(1, 102))},
            {"action": "approve", "comment_ids": [0]},
            {"action": "ban_author", "comment_ids": [1], "reason": "x", "ban_days": 0},
            {"action": "approve", "comment_ids": [1], "extra": True},
        ):
            response = await client.post(
                "/api/v1/moderation/actions", json=body, headers=moderator.auth
            )
            assert response.status_code == 422, body


class TestBans:
    async def test_banned_account_can_read_but_not_write(self, client, moderator):
        alice, bob = await make_user(client), await make_user(client, "bob")
        mine = await make_comment(client, bob, "before the ban", url=ARTICLE)
        theirs = await make_comment(client, alice, "someone else's", url=ARTICLE)
        response = await client.post(
            "/api/v1/bans", json={"username": "bob", "reason": "spamming"}, headers=moderator.auth
        )
        assert response.status_code == 201
        assert response.json()["ends_at"] is None
        assert response.json()["banned_by"] == "mod"
        attempts = [
            client.post("/api/v1/comments", json={"body": "x", "url": ARTICLE}, headers=bob.auth),
            client.patch(f"/api/v1/comments/{mine['id']}", json={"body": "y"}, headers=bob.auth),
            client.put(
                f"/api/v1/comments/{theirs['id']}/vote", json={"value": 1}, headers=bob.auth
            ),
            report(client, bob, theirs["id"]),
        ]
        for attempt in attempts:
            refused = await attempt
            assert refused.status_code == 403, refused.text
            assert refused.json()["code"] == "banned"
            assert refused.json()["ban_reason"] == "spamming"
        assert (await read_thread(client, ARTICLE, user=bob))["page"]["comment_count"] == 2

    async def test_list_lift_and_temporary_bans(self, client, moderator):
        await make_user(client, "carol")
        await make_user(client, "dave")
        for name, days in (("carol", 3), ("dave", None)):
            body = {"username": name, "reason": "r"} | ({"days": days} if days else {})
            assert (
                await client.post("/api/v1/bans", json=body, headers=moderator.auth)
            ).status_code == 201
        listed = (await client.get("/api/v1/bans", headers=moderator.auth)).json()["bans"]
        assert {b["username"] for b in listed} == {"carol", "dave"}
        carol = next(b for b in listed if b["username"] == "carol")
        assert carol["ends_at"] is not None
        lifted = await client.delete("/api/v1/bans/carol", headers=moderator.auth)
        assert lifted.status_code == 204
        again = await client.delete("/api/v1/bans/carol", headers=moderator.auth)
        assert again.status_code == 404
        listed = (await client.get("/api/v1/bans", headers=moderator.auth)).json()["bans"]
        assert [b["username"] for b in listed] == ["dave"]
        actions = [entry["action"] for entry in await log(client, moderator)]
        assert actions == ["unban", "ban", "ban"]

    async def test_lifted_ban_allows_posting_again(self, client, moderator):
        erin = await make_user(client, "erin")
        await client.post(
            "/api/v1/bans", json={"username": "erin", "reason": "cool off"}, headers=moderator.auth
        )
        await client.delete("/api/v1/bans/erin", headers=moderator.auth)
        await make_comment(client, erin, "back", url=ARTICLE)

    async def test_moderators_cannot_ban_staff_or_themselves(self, client, app, moderator):
        other = await make_user(client, "othermod")
        await promote(app, other, "moderator")
        staff = await client.post(
            "/api/v1/bans", json={"username": "othermod", "reason": "x"}, headers=moderator.auth
        )
        assert staff.status_code == 403
        self_ban = await client.post(
            "/api/v1/bans", json={"username": "mod", "reason": "x"}, headers=moderator.auth
        )
        assert self_ban.status_code == 409
        unknown = await client.post(
            "/api/v1/bans", json={"username": "nobody", "reason": "x"}, headers=moderator.auth
        )
        assert unknown.status_code == 404


class TestRoles:
    async def test_admin_appoints_moderator_who_can_then_moderate(self, client, app):
        admin, carl = await make_user(client, "admin"), await make_user(client, "carl")
        await promote(app, admin, "admin")
        assert (await client.get("/api/v1/moderation/queue", headers=carl.auth)).status_code == 403
        response = await client.put(
            "/api/v1/accounts/carl/role", json={"role": "moderator"}, headers=admin.auth
        )
        assert response.status_code == 200
        assert response.json()["role"] == "moderator"
        assert (await client.get("/api/v1/moderation/queue", headers=carl.auth)).status_code == 200
        (entry,) = await log(client, admin)
        assert entry["action"] == "set_role"
        assert entry["detail"] == "user -> moderator"

    async def test_moderators_cannot_appoint_and_admins_cannot_demote_themselves(
        self, client, app, moderator
    ):
        admin = await make_user(client, "admin")
        await promote(app, admin, "admin")
        by_mod = await client.put(
            "/api/v1/accounts/mod/role", json={"role": "admin"}, headers=moderator.auth
        )
        assert by_mod.status_code == 403
        demote_self = await client.put(
            "/api/v1/accounts/admin/role", json={"role": "user"}, headers=admin.auth
        )
        assert demote_self.status_code == 409
        bad_role = await client.put(
            "/api/v1/accounts/mod/role", json={"role": "god"}, headers=admin.auth
        )
        assert bad_role.status_code == 422


class TestNonModerators:
    """Every moderator-only endpoint refuses a reader's token (and an anonymous caller)."""

    async def test_each_endpoint_refuses(self, client, app):
        alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
        posted = await make_comment(client, bob, url=ARTICLE)
        page_id = (await read_thread(client, ARTICLE))["page"]["id"]
        calls = [
            ("GET", "/api/v1/moderation/queue", None),
            ("GET", "/api/v1/moderation/log", None),
            ("POST", "/api/v1/moderation/actions", {"action": "remove", "comment_ids": [1]}),
            ("POST", "/api/v1/bans", {"username": "bob", "reason": "x"}),
            ("DELETE", "/api/v1/bans/bob", None),
            ("GET", "/api/v1/bans", None),
            ("PUT", "/api/v1/accounts/alice/role", {"role": "admin"}),
            ("PUT", f"/api/v1/pages/{page_id}/controls", {"locked": True, "closed": True}),
            ("PUT", f"/api/v1/comments/{posted['id']}/pin", None),
            ("DELETE", f"/api/v1/comments/{posted['id']}/pin", None),
        ]  # fmt: skip
        for method, path, body in calls:
            for headers, expected in ((alice.auth, {403, 404}), ({}, {401})):
                response = await client.request(method, path, json=body, headers=headers)
                assert response.status_code in expected, (method, path, response.text)
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["status"] == "visible"
        assert thread["comments"][0]["pinned"] is False
        controls = await client.get(f"/api/v1/pages/{page_id}/controls")
        assert controls.json() == {"page_id": page_id, "locked": False, "closed": False}
        me = await client.get("/api/v1/me", headers=alice.auth)
        assert me.json()["role"] == "user"
        await make_comment(client, bob, "bob can still post", url=ARTICLE)

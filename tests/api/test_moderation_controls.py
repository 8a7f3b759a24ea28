"""Discussion controls (lock, close, pin) and reader tools (mutes, hidden pages)."""

from __future__ import annotations

import pytest
from factories import make_comment, make_user, promote, read_thread

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/controlled"


@pytest.fixture
async def moderator(client, app):
    user = await make_user(client, "mod")
    await promote(app, user, "moderator")
    return user


async def page_id_of(client, url=ARTICLE):
    return (await read_thread(client, url))["page"]["id"]


async def set_controls(client, moderator, page_id, *, locked, closed):
    response = await client.put(
        f"/api/v1/pages/{page_id}/controls",
        json={"locked": locked, "closed": closed, "reason": "heated"},
        headers=moderator.auth,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def try_post(client, user, body="x"):
    return await client.post(
        "/api/v1/comments", json={"body": body, "url": ARTICLE}, headers=user.auth
    )


async def try_vote(client, user, comment_id):
    return await client.put(
        f"/api/v1/comments/{comment_id}/vote", json={"value": 1}, headers=user.auth
    )


class TestLockAndClose:
    async def test_locked_discussion_takes_no_comments_or_votes(self, client, moderator):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, "existing", url=ARTICLE)
        page_id = await page_id_of(client)
        controls = await set_controls(client, moderator, page_id, locked=True, closed=False)
        assert controls == {"page_id": page_id, "locked": True, "closed": False}
        refused = await try_post(client, bob)
        assert refused.status_code == 403
        assert refused.json()["code"] == "discussion-locked"
        reply = await client.post(
            "/api/v1/comments", json={"body": "r", "parent_id": posted["id"]}, headers=bob.auth
        )
        assert reply.status_code == 403
        assert (await try_vote(client, bob, posted["id"])).json()["code"] == "discussion-locked"
        assert [c["id"] for c in (await read_thread(client, ARTICLE))["comments"]] == [posted["id"]]
        # A moderator may still explain the lock.
        assert (await try_post(client, moderator, "Locked: please cool off.")).status_code == 201
        await set_controls(client, moderator, page_id, locked=False, closed=False)
        assert (await try_post(client, bob)).status_code == 201
        log = (await client.get("/api/v1/moderation/log", headers=moderator.auth)).json()
        assert [e["action"] for e in log["entries"]] == ["unlock", "lock"]
        assert log["entries"][1]["target_type"] == "page"
        assert log["entries"][1]["reason"] == "heated"

    async def test_closed_page_takes_votes_but_no_comments(self, client, moderator):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, url=ARTICLE)
        page_id = await page_id_of(client)
        await set_controls(client, moderator, page_id, locked=False, closed=True)
        refused = await try_post(client, bob)
        assert refused.status_code == 403
        assert refused.json()["code"] == "discussion-closed"
        assert (await try_vote(client, bob, posted["id"])).status_code == 200
        public = await client.get(f"/api/v1/pages/{page_id}/controls")
        assert public.json() == {"page_id": page_id, "locked": False, "closed": True}

    async def test_unknown_page_is_404(self, client, moderator):
        response = await client.put(
            "/api/v1/pages/999999/controls",
            json={"locked": True, "closed": True},
            headers=moderator.auth,
        )
        assert response.status_code == 404
        assert (await client.get("/api/v1/pages/999999/controls")).status_code == 404


class TestPins:
    async def test_pinned_comment_comes_first_in_every_sort(self, client, moderator):
        alice, bob = await make_user(client), await make_user(client)
        ids = [(await make_comment(client, alice, f"c{n}", url=ARTICLE))["id"] for n in range(4)]
        await try_vote(client, bob, ids[1])
        response = await client.put(f"/api/v1/comments/{ids[2]}/pin", headers=moderator.auth)
        assert response.json() == {"comment_id": ids[2], "pinned": True}
        for sort in ("top", "new", "old", "controversial"):
            thread = await read_thread(client, ARTICLE, sort=sort)
            assert thread["comments"][0]["id"] == ids[2], sort
            assert thread["comments"][0]["pinned"] is True
            assert [c["pinned"] for c in thread["comments"][1:]] == [False] * 3
        unpinned = await client.delete(f"/api/v1/comments/{ids[2]}/pin", headers=moderator.auth)
        assert unpinned.json()["pinned"] is False
        assert (await read_thread(client, ARTICLE, sort="old"))["comments"][0]["id"] == ids[0]

    async def test_paging_shows_pinned_once_and_every_comment_once(self, client, moderator):
        alice = await make_user(client)
        ids = [(await make_comment(client, alice, f"c{n}", url=ARTICLE))["id"] for n in range(5)]
        await client.put(f"/api/v1/comments/{ids[3]}/pin", headers=moderator.auth)
        seen, cursor, pages = [], None, 0
        while True:
            params = {"sort": "old", "limit": 1} | ({"cursor": cursor} if cursor else {})
            thread = await read_thread(client, ARTICLE, **params)
            seen += [c["id"] for c in thread["comments"]]
            cursor, pages = thread["next_cursor"], pages + 1
            if cursor is None:
                break
        assert seen == [ids[3], ids[0], ids[1], ids[2], ids[4]]
        assert pages == 4

    async def test_pin_rules(self, client, moderator):
        alice = await make_user(client)
        ids = [(await make_comment(client, alice, f"c{n}", url=ARTICLE))["id"] for n in range(4)]
        reply = await make_comment(client, alice, "reply", url=None, parent_id=ids[0])
        assert (
            await client.put(f"/api/v1/comments/{reply['id']}/pin", headers=moderator.auth)
        ).status_code == 422
        for comment_id in ids[:3]:
            pinned = await client.put(f"/api/v1/comments/{comment_id}/pin", headers=moderator.auth)
            assert pinned.status_code == 200
        fourth = await client.put(f"/api/v1/comments/{ids[3]}/pin", headers=moderator.auth)
        assert fourth.status_code == 409
        assert (
            await client.put("/api/v1/comments/999999/pin", headers=moderator.auth)
        ).status_code == 404


class TestMutes:
    async def test_mute_marks_comments_for_that_reader_only(self, client):
        alice, bob, carol = (
            await make_user(client, "alice"),
            await make_user(client, "bob"),
            await make_user(client, "carol"),
        )
        loud = await make_comment(client, bob, "LOUD", url=ARTICLE)
        await make_comment(client, carol, "reply", url=None, parent_id=loud["id"])
        assert (await client.put("/api/v1/mutes/bob", headers=alice.auth)).status_code == 204
        assert (await client.put("/api/v1/mutes/BOB", headers=alice.auth)).status_code == 204
        mine = await read_thread(client, ARTICLE, user=alice)
        assert mine["comments"][0]["muted"] is True
        assert mine["comments"][0]["replies"][0]["muted"] is False
        for viewer in (carol, None):
            theirs = await read_thread(client, ARTICLE, user=viewer)
            assert theirs["comments"][0]["muted"] is False
        listed = (await client.get("/api/v1/mutes", headers=alice.auth)).json()["mutes"]
        assert [m["username"] for m in listed] == ["bob"]
        assert (await client.delete("/api/v1/mutes/bob", headers=alice.auth)).status_code == 204
        assert (await read_thread(client, ARTICLE, user=alice))["comments"][0]["muted"] is False
        assert (await client.get("/api/v1/mutes", headers=alice.auth)).json()["mutes"] == []

    async def test_bad_mutes(self, client):
        alice = await make_user(client, "alice")
        assert (await client.put("/api/v1/mutes/alice", headers=alice.auth)).status_code == 422
        assert (await client.put("/api/v1/mutes/nobody", headers=alice.auth)).status_code == 404
        assert (await client.put("/api/v1/mutes/a!", headers=alice.auth)).status_code == 422
        assert (await client.put("/api/v1/mutes/bob")).status_code == 401


class TestHiddenPages:
    async def test_hide_list_unhide(self, client):
        alice = await make_user(client)
        await make_comment(client, alice, url=ARTICLE)
        page_id = await page_id_of(client)
        for _ in range(2):
            hidden = await client.put(f"/api/v1/hidden-pages/{page_id}", headers=alice.auth)
            assert hidden.status_code == 204
        listed = await client.get("/api/v1/hidden-pages", headers=alice.auth)
        assert listed.json() == {"page_ids": [page_id]}
        other = await make_user(client)
        assert (await client.get("/api/v1/hidden-pages", headers=other.auth)).json() == {
            "page_ids": []
        }
        assert (
            await client.delete(f"/api/v1/hidden-pages/{page_id}", headers=alice.auth)
        ).status_code == 204
        assert (await client.get("/api/v1/hidden-pages", headers=alice.auth)).json() == {
            "page_ids": []
        }
        assert (
            await client.put("/api/v1/hidden-pages/999999", headers=alice.auth)
        ).status_code == 404

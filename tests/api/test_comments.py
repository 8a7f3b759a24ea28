"""Posting, reading, editing and deleting comments through the JSON API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_comment, make_user, read_thread

from rejoinder import clock

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/11/story"


class TestPosting:
    async def test_comment_appears_in_thread(self, client):
        alice = await make_user(client, "alice")
        posted = await make_comment(client, alice, "Hello *world*", url=ARTICLE)
        assert posted["author"] == {"name": "alice"}
        assert posted["body_html"].strip() == "<p>Hello <em>world</em></p>"
        assert posted["status"] == "visible"
        thread = await read_thread(client, ARTICLE)
        assert thread["page"]["comment_count"] == 1
        assert [c["id"] for c in thread["comments"]] == [posted["id"]]

    async def test_every_url_form_lands_in_one_discussion(self, client):
        alice = await make_user(client)
        await make_comment(client, alice, "first", url="https://www.example.com/a/?utm_source=x")
        await make_comment(client, alice, "second", url="http://m.example.com/a#comments")
        thread = await read_thread(client, "https://example.com/a")
        assert thread["page"]["comment_count"] == 2
        assert thread["page"]["key"] == "example.com/a"

    async def test_reply_nests_and_may_omit_url(self, client):
        alice, bob = await make_user(client), await make_user(client)
        top = await make_comment(client, alice, "top", url=ARTICLE)
        reply = await make_comment(client, bob, "reply", url=None, parent_id=top["id"])
        assert reply["parent_id"] == top["id"]
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["replies"][0]["id"] == reply["id"]

    async def test_reply_beyond_max_depth_attaches_at_deepest_level(self, client, settings):
        alice = await make_user(client)
        parent = await make_comment(client, alice, "depth 0", url=ARTICLE)
        chain = [parent]
        for depth in range(1, settings.max_depth + 3):
            chain.append(
                await make_comment(client, alice, f"d{depth}", url=None, parent_id=chain[-1]["id"])
            )
        deepest_allowed = chain[settings.max_depth]
        beyond = chain[settings.max_depth + 1]
        assert beyond["parent_id"] == deepest_allowed["parent_id"]

    async def test_reply_with_url_of_another_page_is_422(self, client):
        alice = await make_user(client)
        top = await make_comment(client, alice, "top", url=ARTICLE)
        response = await client.post(
            "/api/v1/comments",
            json={"body": "x", "url": "https://other.example/", "parent_id": top["id"]},
            headers=alice.auth,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "parent_id"

    async def test_reply_to_missing_comment_is_404(self, client):
        alice = await make_user(client)
        response = await client.post(
            "/api/v1/comments", json={"body": "x", "parent_id": 999}, headers=alice.auth
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_markdown_is_sanitized_at_write_time(self, client):
        alice = await make_user(client)
        posted = await make_comment(
            client, alice, "<script>alert(1)</script> [x](javascript:alert(1)) https://a.example"
        )
        html = posted["body_html"]
        assert "<script" not in html
        assert 'href="javascript' not in html.lower()
        assert 'rel="nofollow ugc noopener"' in html

    async def test_guest_comments_refused_unless_allowed(self, client):
        response = await client.post(
            "/api/v1/comments", json={"body": "hi", "url": ARTICLE, "author_name": "Guest"}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


class TestGuests:
    @pytest.fixture
    def settings_overrides(self):
        return {"allow_guests": True}

    async def test_guest_comment_with_name(self, client):
        response = await client.post(
            "/api/v1/comments", json={"body": "hi", "url": ARTICLE, "author_name": "Reader"}
        )
        assert response.status_code == 201
        assert response.json()["author"] == {"name": "Reader"}

    async def test_guest_without_name_is_422(self, client):
        response = await client.post("/api/v1/comments", json={"body": "hi", "url": ARTICLE})
        assert response.status_code == 422


class TestReading:
    async def test_thread_of_unknown_page_is_empty_and_creates_nothing(self, client):
        thread = await read_thread(client, "https://nobody.example/yet")
        assert thread == {
            "page": {
                "key": "nobody.example/yet",
                "url": "https://nobody.example/yet",
                "canonical_url": None,
                "title": None,
                "comment_count": 0,
            },
            "comments": [],
            "next_cursor": None,
        }
        page = await client.get("/api/v1/pages", params={"url": "https://nobody.example/yet"})
        assert page.status_code == 200
        assert page.json()["comment_count"] == 0

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [("new", ["c", "b", "a"]), ("old", ["a", "b", "c"]), ("top", ["b", "c", "a"])],
    )
    async def test_sorts(self, client, sort, expected):
        alice, bob, carol = [await make_user(client) for _ in range(3)]
        a = await make_comment(client, alice, "a")
        b = await make_comment(client, alice, "b")
        c = await make_comment(client, alice, "c")
        for voter in (bob, carol):
            await client.put(
                f"/api/v1/comments/{b['id']}/vote", json={"value": 1}, headers=voter.auth
            )
        await client.put(f"/api/v1/comments/{a['id']}/vote", json={"value": -1}, headers=bob.auth)
        assert c
        thread = await read_thread(client, sort=sort)
        by_id = {a["id"]: "a", b["id"]: "b", c["id"]: "c"}
        assert [by_id[item["id"]] for item in thread["comments"]] == expected

    async def test_controversial_sort_prefers_split_votes(self, client):
        author, *voters = [await make_user(client) for _ in range(5)]
        calm = await make_comment(client, author, "calm")
        split = await make_comment(client, author, "split")
        for voter in voters:
            await client.put(
                f"/api/v1/comments/{calm['id']}/vote", json={"value": 1}, headers=voter.auth
            )
        for voter, value in zip(voters, (1, -1, 1, -1), strict=True):
            await client.put(
                f"/api/v1/comments/{split['id']}/vote", json={"value": value}, headers=voter.auth
            )
        thread = await read_thread(client, sort="controversial")
        assert [item["id"] for item in thread["comments"]] == [split["id"], calm["id"]]

    @pytest.mark.parametrize("sort", ["top", "new", "old", "controversial"])
    async def test_paging_by_top_level_comments_visits_each_once(self, client, sort):
        alice = await make_user(client)
        ids = []
        for n in range(7):
            top = await make_comment(client, alice, f"top {n}")
            ids.append(top["id"])
            await make_comment(client, alice, f"reply {n}", url=None, parent_id=top["id"])
        seen: list[int] = []
        cursor = None
        for _ in range(10):
            params = {"sort": sort, "limit": 3} | ({"cursor": cursor} if cursor else {})
            thread = await read_thread(client, **params)
            seen += [item["id"] for item in thread["comments"]]
            assert all(len(item["replies"]) == 1 for item in thread["comments"])
            cursor = thread["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(ids)

    async def test_forged_cursor_is_422(self, client):
        response = await client.get(
            "/api/v1/threads", params={"url": ARTICLE, "cursor": "bm9wZQ", "sort": "new"}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cursor"

    async def test_etag_answers_304_until_the_thread_changes(self, client):
        alice = await make_user(client)
        await make_comment(client, alice, "one")
        first = await client.get("/api/v1/threads", params={"url": "https://example.com/article"})
        etag = first.headers["etag"]
        again = await client.get(
            "/api/v1/threads",
            params={"url": "https://example.com/article"},
            headers={"If-None-Match": etag},
        )
        assert again.status_code == 304
        await make_comment(client, alice, "two")
        changed = await client.get(
            "/api/v1/threads",
            params={"url": "https://example.com/article"},
            headers={"If-None-Match": etag},
        )
        assert changed.status_code == 200


class TestEditing:
    async def test_author_edits_within_window(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "typo")
        response = await client.patch(
            f"/api/v1/comments/{posted['id']}", json={"body": "fixed"}, headers=alice.auth
        )
        assert response.status_code == 200
        assert response.json()["body_html"].strip() == "<p>fixed</p>"
        assert response.json()["edited_at"] is not None

    async def test_someone_elses_comment_is_403(self, client):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, "mine")
        response = await client.patch(
            f"/api/v1/comments/{posted['id']}", json={"body": "yours"}, headers=bob.auth
        )
        assert response.status_code == 403
        response = await client.delete(f"/api/v1/comments/{posted['id']}", headers=bob.auth)
        assert response.status_code == 403
        thread = await read_thread(client)
        assert thread["comments"][0]["body_html"].strip() == "<p>mine</p>"

    async def test_edit_after_window_is_403(self, client, monkeypatch):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "old")
        later = clock.now() + timedelta(hours=2)
        monkeypatch.setattr(clock, "now", lambda: later)
        response = await client.patch(
            f"/api/v1/comments/{posted['id']}", json={"body": "new"}, headers=alice.auth
        )
        assert response.status_code == 403

    async def test_edit_without_auth_is_401(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "x")
        response = await client.patch(f"/api/v1/comments/{posted['id']}", json={"body": "y"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


class TestDeleting:
    async def test_deleted_comment_with_replies_stays_as_placeholder(self, client):
        alice, bob = await make_user(client), await make_user(client)
        top = await make_comment(client, alice, "secret words")
        reply = await make_comment(client, bob, "answer", url=None, parent_id=top["id"])
        response = await client.delete(f"/api/v1/comments/{top['id']}", headers=alice.auth)
        assert response.status_code == 204
        thread = await read_thread(client)
        placeholder = thread["comments"][0]
        assert placeholder["status"] == "deleted"
        assert placeholder["body_html"] == ""
        assert placeholder["author"] is None
        assert placeholder["replies"][0]["id"] == reply["id"]
        assert "secret words" not in str(thread)
        assert thread["page"]["comment_count"] == 1

    async def test_deleted_leaf_disappears(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "gone")
        await client.delete(f"/api/v1/comments/{posted['id']}", headers=alice.auth)
        thread = await read_thread(client)
        assert thread["comments"] == []
        assert thread["page"]["comment_count"] == 0

    async def test_reply_to_deleted_comment_is_409(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "gone")
        await client.delete(f"/api/v1/comments/{posted['id']}", headers=alice.auth)
        response = await client.post(
            "/api/v1/comments",
            json={"body": "hello?", "parent_id": posted["id"]},
            headers=alice.auth,
        )
        assert response.status_code == 409

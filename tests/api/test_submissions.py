"""Shared links: submitting, duplicates, votes, the front page's orders, paging, hiding."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from factories import make_comment, make_user, read_thread

from rejoinder import clock

pytestmark = pytest.mark.anyio


async def submit(client, user, url="https://example.com/story", title="A story", **extra):
    payload = {"url": url, "title": title, **extra}
    return await client.post("/api/v1/submissions", json=payload, headers=user.auth)


async def submitted(client, user, url="https://example.com/story", title="A story", **extra):
    response = await submit(client, user, url, title, **extra)
    assert response.status_code == 201, response.text
    return response.json()


async def vote(client, user, submission_id, value):
    return await client.put(
        f"/api/v1/submissions/{submission_id}/vote", json={"value": value}, headers=user.auth
    )


async def front(client, user=None, **params):
    response = await client.get(
        "/api/v1/submissions", params=params, headers=user.auth if user else {}
    )
    assert response.status_code == 200, response.text
    return response.json()


def titles(listing):
    return [item["title"] for item in listing["items"]]


class TestSubmit:
    async def test_submission_shows_on_the_front_page(self, client):
        alice = await make_user(client)
        item = await submitted(client, alice, "https://www.Example.com/story?utm_source=x")
        assert item["title"] == "A story"
        assert item["site"] == "example.com"
        assert item["submitter"] == {"name": alice.username}
        assert (item["points"], item["upvotes"], item["downvotes"], item["my_vote"]) == (0, 0, 0, 0)
        assert item["comment_count"] == 0
        assert item["discussion_path"] == f"/p/{item['page_id']}/a-story"
        listing = await front(client)
        assert [row["id"] for row in listing["items"]] == [item["id"]]
        assert listing["next_cursor"] is None

    async def test_first_comment_is_posted_with_the_link(self, client):
        alice = await make_user(client)
        item = await submitted(client, alice, body="What I think, **briefly**.")
        assert item["comment_count"] == 1
        thread = await read_thread(client, "https://example.com/story")
        assert thread["page"]["title"] == "A story"
        assert "<strong>briefly</strong>" in thread["comments"][0]["body_html"]

    async def test_title_is_cleaned_to_one_line(self, client):
        alice = await make_user(client)
        item = await submitted(client, alice, title="  Two\n\tlines\u202e and\x00 a NUL ")
        assert item["title"] == "Two lines and a NUL"

    async def test_known_page_title_is_kept(self, client):
        alice = await make_user(client)
        await submitted(client, alice, title="First title")
        response = await client.get("/api/v1/pages", params={"url": "https://example.com/story"})
        assert response.json()["title"] == "First title"

    async def test_page_with_comments_can_be_shared_and_shows_its_count(self, client):
        alice, bob = await make_user(client), await make_user(client)
        await make_comment(client, alice, url="https://example.com/story")
        await make_comment(client, alice, url="https://example.com/story")
        item = await submitted(client, bob)
        assert item["comment_count"] == 2

    async def test_same_page_in_another_form_is_a_conflict_naming_the_discussion(self, client):
        alice, bob = await make_user(client), await make_user(client)
        first = await submitted(client, alice, "https://example.com/story")
        response = await submit(client, bob, "http://www.example.com/story/?utm_medium=x", "Dup")
        assert response.status_code == 409
        problem = response.json()
        assert problem["code"] == "already-submitted"
        assert problem["page_id"] == first["page_id"]
        assert problem["submission_id"] == first["id"]
        assert problem["discussion_path"] == first["discussion_path"]
        assert titles(await front(client)) == ["A story"]

    async def test_concurrent_submissions_of_one_page_make_one(self, client):
        users = [await make_user(client) for _ in range(6)]
        statuses: list[int] = []

        async def go(user):
            statuses.append((await submit(client, user)).status_code)

        async with anyio.create_task_group() as group:
            for user in users:
                group.start_soon(go, user)
        assert sorted(statuses) == [201] + [409] * 5
        assert len((await front(client))["items"]) == 1

    async def test_needs_an_account(self, client):
        response = await client.post(
            "/api/v1/submissions", json={"url": "https://example.com/", "title": "x"}
        )
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"url": "https://example.com/a", "title": ""}, "title"),
            ({"url": "https://example.com/a", "title": " \n\t\u202e "}, "title"),
            ({"url": "https://example.com/a", "title": "x" * 301}, "title"),
            ({"url": "https://example.com/a"}, "title"),
            ({"url": "javascript:alert(1)", "title": "t"}, "url"),
            ({"url": "not a url", "title": "t"}, "url"),
            ({"url": "https://example.com/a", "title": "t", "body": "   "}, "body"),
            ({"url": "https://example.com/a", "title": "t", "extra": 1}, "extra"),
            ({"url": "https://example.com/a", "title": 5}, "title"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(self, client, payload, field):
        alice = await make_user(client)
        response = await client.post("/api/v1/submissions", json=payload, headers=alice.auth)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
        assert (await front(client))["items"] == []

    async def test_failed_first_comment_leaves_nothing_behind(self, client, settings):
        alice = await make_user(client)
        long_body = "x" * (settings.max_comment_length + 1)
        response = await submit(client, alice, body=long_body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body"
        assert (await front(client))["items"] == []
        page = await client.get("/api/v1/pages", params={"url": "https://example.com/story"})
        assert page.json()["title"] is None
        await submitted(client, alice, body="Shorter.")


class TestVotes:
    async def test_vote_is_idempotent_changeable_and_shown_as_mine(self, client):
        alice, bob = await make_user(client), await make_user(client)
        item = await submitted(client, alice)
        for _ in range(2):
            response = await vote(client, bob, item["id"], 1)
            assert response.status_code == 200
            assert response.json() == {
                "submission_id": item["id"],
                "points": 1,
                "upvotes": 1,
                "downvotes": 0,
                "my_vote": 1,
            }
        assert (await front(client, bob))["items"][0]["my_vote"] == 1
        assert (await front(client, alice))["items"][0]["my_vote"] == 0
        response = await vote(client, bob, item["id"], -1)
        assert (response.json()["points"], response.json()["downvotes"]) == (-1, 1)
        response = await vote(client, bob, item["id"], 0)
        assert response.json() | {} == {
            "submission_id": item["id"],
            "points": 0,
            "upvotes": 0,
            "downvotes": 0,
            "my_vote": 0,
        }

    async def test_own_link_cannot_be_voted(self, client):
        alice = await make_user(client)
        item = await submitted(client, alice)
        assert (await vote(client, alice, item["id"], 1)).status_code == 403

    async def test_missing_link_is_404_and_anonymous_is_401(self, client):
        alice = await make_user(client)
        assert (await vote(client, alice, 999, 1)).status_code == 404
        response = await client.put("/api/v1/submissions/1/vote", json={"value": 1})
        assert response.status_code == 401

    @pytest.mark.parametrize("value", [2, -2, "1", None, 1.5, True])
    async def test_vote_value_must_be_minus_one_zero_or_one(self, client, value):
        alice, bob = await make_user(client), await make_user(client)
        item = await submitted(client, alice)
        assert (await vote(client, bob, item["id"], value)).status_code == 422

    async def test_twenty_concurrent_voters_give_exact_tallies(self, client):
        author = await make_user(client)
        item = await submitted(client, author)
        voters = [await make_user(client) for _ in range(20)]
        statuses: list[int] = []

        async def cast(index: int) -> None:
            # Voters 0-14 vote up, 15-19 down; each sends its vote twice at once.
            value = 1 if index < 15 else -1
            statuses.append((await vote(client, voters[index], item["id"], value)).status_code)

        async with anyio.create_task_group() as group:
            for index in range(20):
                group.start_soon(cast, index)
                group.start_soon(cast, index)
        assert statuses == [200] * 40
        row = (await front(client))["items"][0]
        assert (row["upvotes"], row["downvotes"], row["points"]) == (15, 5, 10)


class TestOrders:
    async def _at(self, monkeypatch, client, user, hours_ago, title, url):
        moment = clock.now() - timedelta(hours=hours_ago)
        with monkeypatch.context() as patch:
            patch.setattr(clock, "now", lambda: moment)
            return await submitted(client, user, url, title)

    async def _stories(self, monkeypatch, client):
        """old (30 h, 9 points), mid (10 h, 2 points), fresh (now, 0 points)."""
        alice = await make_user(client)
        voters = [await make_user(client) for _ in range(9)]
        old = await self._at(monkeypatch, client, alice, 30, "old", "https://a.example/old")
        mid = await self._at(monkeypatch, client, alice, 10, "mid", "https://b.example/mid")
        fresh = await self._at(monkeypatch, client, alice, 0, "fresh", "https://c.example/new")
        for voter in voters:
            await vote(client, voter, old["id"], 1)
        for voter in voters[:2]:
            await vote(client, voter, mid["id"], 1)
        return alice, voters, {"old": old, "mid": mid, "fresh": fresh}

    async def test_orders(self, client, monkeypatch):
        await self._stories(monkeypatch, client)
        # hot: log10(1+9)=1 is worth 12.5 h, not the 30 h "old" lost; log10(3) < 10 h.
        assert titles(await front(client)) == ["fresh", "mid", "old"]
        assert titles(await front(client, sort="new")) == ["fresh", "mid", "old"]
        assert titles(await front(client, sort="top")) == ["old", "mid", "fresh"]
        assert titles(await front(client, sort="top", period="all")) == ["old", "mid", "fresh"]
        assert titles(await front(client, sort="top", period="week")) == ["old", "mid", "fresh"]
        assert titles(await front(client, sort="top", period="day")) == ["mid", "fresh"]
        # period only narrows "top".
        assert titles(await front(client, sort="new", period="day")) == ["fresh", "mid", "old"]

    async def test_votes_lift_a_link_in_hot(self, client, monkeypatch):
        _alice, voters, stories = await self._stories(monkeypatch, client)
        extra = [await make_user(client) for _ in range(3)]
        for voter in [*voters, *extra]:
            await vote(client, voter, stories["mid"]["id"], 1)
        # mid: 12 points (log10 13 = 1.11 -> 13.9 h) beats fresh's 10 h head start.
        assert titles(await front(client)) == ["mid", "fresh", "old"]

    async def test_active_is_by_latest_comment(self, client, monkeypatch):
        alice, _voters, _stories = await self._stories(monkeypatch, client)
        assert titles(await front(client, sort="active")) == ["fresh", "mid", "old"]
        await make_comment(client, alice, url="https://a.example/old")
        assert titles(await front(client, sort="active")) == ["old", "fresh", "mid"]
        row = (await front(client, sort="active"))["items"][0]
        assert row["comment_count"] == 1
        assert row["active_at"] > row["created_at"]


class TestPaging:
    @pytest.mark.parametrize(
        ("sort", "period"),
        [("hot", "all"), ("new", "all"), ("top", "all"), ("top", "week"), ("active", "all")],
    )
    async def test_cursor_walks_every_row_once_in_order(self, client, sort, period):
        alice = await make_user(client)
        voters = [await make_user(client) for _ in range(3)]
        for index in range(7):
            item = await submitted(client, alice, f"https://example.com/{index}", f"story {index}")
            # Ties (equal points) and distinct values both occur in "top".
            for voter in voters[: index % 3]:
                await vote(client, voter, item["id"], 1)
        everything = titles(await front(client, sort=sort, period=period, limit=100))
        seen: list[str] = []
        cursor = None
        while True:
            params = {"sort": sort, "period": period, "limit": 3}
            if cursor:
                params["cursor"] = cursor
            listing = await front(client, **params)
            seen += titles(listing)
            cursor = listing["next_cursor"]
            if cursor is None:
                break
        assert seen == everything
        assert sorted(seen) == [f"story {index}" for index in range(7)]

    @pytest.mark.parametrize("cursor", ["x", "", "!!!!", "WyJob3QiXQ", "W10", "e30", "bnVsbA"])
    async def test_bad_cursor_is_422(self, client, cursor):
        response = await client.get("/api/v1/submissions", params={"cursor": cursor or "="})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid-input"

    async def test_cursor_of_another_order_is_422(self, client):
        alice = await make_user(client)
        for index in range(3):
            await submitted(client, alice, f"https://example.com/{index}", f"story {index}")
        cursor = (await front(client, sort="new", limit=1))["next_cursor"]
        response = await client.get("/api/v1/submissions", params={"sort": "hot", "cursor": cursor})
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "params", [{"sort": "best"}, {"period": "year"}, {"limit": 0}, {"limit": 101}]
    )
    async def test_bad_parameters_are_422(self, client, params):
        response = await client.get("/api/v1/submissions", params=params)
        assert response.status_code == 422


class TestHiddenPages:
    async def test_hidden_discussion_leaves_only_my_front_page(self, client):
        alice, bob = await make_user(client), await make_user(client)
        kept = await submitted(client, alice, "https://example.com/kept", "kept")
        hidden = await submitted(client, alice, "https://example.com/hidden", "hidden")
        response = await client.put(f"/api/v1/hidden-pages/{hidden['page_id']}", headers=bob.auth)
        assert response.status_code == 204
        for sort in ("hot", "new", "top", "active"):
            assert titles(await front(client, bob, sort=sort)) == ["kept"]
        assert titles(await front(client, alice)) == ["hidden", "kept"]
        assert titles(await front(client)) == ["hidden", "kept"]
        response = await client.delete(
            f"/api/v1/hidden-pages/{hidden['page_id']}", headers=bob.auth
        )
        assert response.status_code == 204
        assert titles(await front(client, bob)) == ["hidden", "kept"]
        assert kept["page_id"] != hidden["page_id"]

    async def test_hiding_needs_an_account_and_a_page(self, client):
        bob = await make_user(client)
        assert (await client.put("/api/v1/hidden-pages/1")).status_code == 401
        assert (await client.put("/api/v1/hidden-pages/999", headers=bob.auth)).status_code == 404

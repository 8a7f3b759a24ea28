"""Merging and splitting discussions: moderators only, logged, counts and versions right."""

from __future__ import annotations

import pytest
from factories import make_comment, make_user, promote, read_thread
from sqlalchemy import select

from rejoinder.fetching.models import FetchJob
from rejoinder.pages.models import Page

pytestmark = pytest.mark.anyio

A = "https://example.com/news/harbour"
B = "https://wire.example.net/reprint/harbour"


@pytest.fixture
async def moderator(client, app):
    user = await make_user(client, "mod")
    await promote(app, user, "moderator")
    return user


async def page_of(client, url: str) -> dict:
    response = await client.get("/api/v1/pages", params={"url": url})
    assert response.status_code == 200
    return response.json()


async def versions(app, *page_ids: int) -> list[int]:
    async with app.state.db.read_session() as session:
        rows = await session.execute(
            select(Page.id, Page.thread_version).where(Page.id.in_(page_ids))
        )
        found = dict(rows.all())
    return [found[pid] for pid in page_ids]


async def log(client, moderator) -> list[dict]:
    return (await client.get("/api/v1/moderation/log", headers=moderator.auth)).json()["entries"]


async def two_discussions(client):
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    first = await make_comment(client, alice, "On the original.", url=A)
    await make_comment(client, bob, "Reply on the original.", url=None, parent_id=first["id"])
    copied = await make_comment(client, alice, "On the copy.", url=B)
    vote = await client.put(
        f"/api/v1/comments/{copied['id']}/vote", json={"value": 1}, headers=bob.auth
    )
    assert vote.status_code == 200
    a, b = await page_of(client, A), await page_of(client, B)
    return alice, bob, a, b, copied


class TestMerge:
    async def test_merge_moves_comments_votes_and_keys(self, app, client, moderator):
        _alice, bob, a, b, copied = await two_discussions(client)
        before = await versions(app, a["id"], b["id"])
        response = await client.post(
            "/api/v1/moderation/merges",
            json={"from_page_id": b["id"], "into_page_id": a["id"], "reason": "Same article"},
            headers=moderator.auth,
        )
        assert response.status_code == 200, response.text
        assert response.json()["page"] == {
            "id": a["id"],
            "key": "example.com/news/harbour",
            "url": A,
            "title": None,
            "comment_count": 3,
        }
        after = await versions(app, a["id"], b["id"])
        assert after[0] > before[0]
        assert after[1] > before[1]

        # B's address now leads to A's discussion, with every comment and its votes.
        merged = await page_of(client, B)
        assert merged["id"] == a["id"]
        assert merged["comment_count"] == 3
        assert merged["aliases"] == ["example.com/news/harbour", "wire.example.net/reprint/harbour"]
        thread = await read_thread(client, B, user=bob, sort="old")
        bodies = [c["body_html"] for c in thread["comments"]]
        assert bodies == ["<p>On the original.</p>\n", "<p>On the copy.</p>\n"]
        moved = thread["comments"][1]
        assert (moved["id"], moved["score"], moved["my_vote"]) == (copied["id"], 1, 1)
        assert len(thread["comments"][0]["replies"]) == 1

        async with app.state.db.read_session() as session:
            old = await session.get(Page, b["id"])
            assert old is not None
            assert (old.merged_into_id, old.comment_count, old.is_locked) == (a["id"], 0, True)
            jobs = (await session.execute(select(FetchJob.page_id))).scalars().all()
        assert sorted(jobs) == [a["id"]]

        [entry] = [e for e in await log(client, moderator) if e["action"] == "merge"]
        assert (entry["actor"], entry["target_type"], entry["target_id"]) == (
            "mod",
            "page",
            b["id"],
        )
        assert entry["reason"] == "Same article"
        assert entry["detail"] == f"into page {a['id']}"

        # The old discussion page sends readers to the merged one.
        response = await client.get(f"/p/{b['id']}/anything")
        assert response.status_code == 301
        assert response.headers["location"].startswith(f"/p/{a['id']}/")

    async def test_readers_cannot_merge(self, client):
        _alice, bob, a, b, _ = await two_discussions(client)
        body = {"from_page_id": b["id"], "into_page_id": a["id"]}
        response = await client.post("/api/v1/moderation/merges", json=body, headers=bob.auth)
        assert response.status_code == 403
        assert (await client.post("/api/v1/moderation/merges", json=body)).status_code == 401
        assert (await page_of(client, B))["id"] == b["id"]

    async def test_bad_merges(self, client, moderator):
        _alice, _bob, a, b, _ = await two_discussions(client)

        async def merge(body):
            return await client.post("/api/v1/moderation/merges", json=body, headers=moderator.auth)

        assert (await merge({"from_page_id": a["id"], "into_page_id": a["id"]})).status_code == 422
        assert (await merge({"from_page_id": 999, "into_page_id": a["id"]})).status_code == 404
        assert (await merge({"from_page_id": "1", "into_page_id": a["id"]})).status_code == 422
        assert (await merge({"from_page_id": b["id"]})).status_code == 422
        extra = {"from_page_id": b["id"], "into_page_id": a["id"], "force": True}
        assert (await merge(extra)).status_code == 422
        assert (await merge({"from_page_id": b["id"], "into_page_id": a["id"]})).status_code == 200
        again = await merge({"from_page_id": b["id"], "into_page_id": a["id"]})
        assert again.status_code == 409
        into_merged = await merge({"from_page_id": a["id"], "into_page_id": b["id"]})
        assert into_merged.status_code == 409
        assert (await page_of(client, A))["comment_count"] == 3

    async def test_new_comment_on_merged_address_joins_the_target(self, client, moderator):
        alice, _bob, a, b, _ = await two_discussions(client)
        await client.post(
            "/api/v1/moderation/merges",
            json={"from_page_id": b["id"], "into_page_id": a["id"]},
            headers=moderator.auth,
        )
        await make_comment(client, alice, "After the merge.", url=B)
        assert (await page_of(client, A))["comment_count"] == 4


class TestSplit:
    async def test_split_revives_the_merged_page_and_leaves_comments(self, app, client, moderator):
        _alice, _bob, a, b, _ = await two_discussions(client)
        await client.post(
            "/api/v1/moderation/merges",
            json={"from_page_id": b["id"], "into_page_id": a["id"]},
            headers=moderator.auth,
        )
        before = await versions(app, a["id"], b["id"])
        response = await client.post(
            "/api/v1/moderation/splits",
            json={"page_id": a["id"], "alias_key": B, "reason": "Different story after all"},
            headers=moderator.auth,
        )
        assert response.status_code == 200, response.text
        assert response.json()["page"]["id"] == b["id"]
        after = await versions(app, a["id"], b["id"])
        assert after[0] > before[0]
        assert after[1] > before[1]
        split = await page_of(client, B)
        assert (split["id"], split["comment_count"], split["aliases"]) == (
            b["id"],
            0,
            ["wire.example.net/reprint/harbour"],
        )
        assert (await page_of(client, A))["comment_count"] == 3
        [entry] = [e for e in await log(client, moderator) if e["action"] == "split"]
        assert entry["target_id"] == a["id"]
        assert entry["detail"] == f"wire.example.net/reprint/harbour -> page {b['id']}"
        # Revived: it takes comments again, and is fetched again.
        alice = await make_user(client)
        await make_comment(client, alice, "Back on its own.", url=B)
        assert (await page_of(client, B))["comment_count"] == 1
        async with app.state.db.read_session() as session:
            jobs = (await session.execute(select(FetchJob.page_id))).scalars().all()
        assert b["id"] in jobs

    async def test_split_of_a_key_that_was_never_a_page_makes_a_new_one(
        self, app, client, moderator
    ):
        alice = await make_user(client)
        await make_comment(client, alice, "x", url=A)
        a = await page_of(client, A)
        # A key learned from a canonical link, straight into the aliases table.
        from rejoinder.pages.models import PageAlias
        from rejoinder.pages.urlnorm import key_digest

        async with app.state.db.write_session() as session:
            page = await session.get(Page, a["id"])
            assert page is not None
            key = "example.com/amp/harbour-print"
            session.add(
                PageAlias(
                    page_id=a["id"], key=key, digest=key_digest(key), created_at=page.created_at
                )
            )
            await session.commit()
        response = await client.post(
            "/api/v1/moderation/splits",
            json={"page_id": a["id"], "alias_key": key},
            headers=moderator.auth,
        )
        assert response.status_code == 200, response.text
        new = response.json()["page"]
        assert new["id"] != a["id"]
        assert (new["key"], new["url"], new["comment_count"]) == (key, "https://" + key, 0)
        assert (await page_of(client, "http://example.com/amp/harbour-print"))["id"] == new["id"]

    async def test_bad_splits(self, client, moderator):
        _alice, bob, a, _b, _ = await two_discussions(client)

        async def split(body, user=moderator):
            return await client.post("/api/v1/moderation/splits", json=body, headers=user.auth)

        own = await split({"page_id": a["id"], "alias_key": A})
        assert own.status_code == 409
        assert (await split({"page_id": a["id"], "alias_key": B})).status_code == 404
        assert (await split({"page_id": 999, "alias_key": B})).status_code == 404
        bad_url = await split({"page_id": a["id"], "alias_key": "javascript:alert(1)"})
        assert bad_url.status_code == 422
        assert (await split({"page_id": a["id"], "alias_key": "x" * 2049})).status_code == 422
        assert (await split({"page_id": a["id"], "alias_key": B}, bob)).status_code == 403

    async def test_suggestions_are_for_moderators(self, client):
        reader = await make_user(client)
        response = await client.get("/api/v1/moderation/merge-suggestions", headers=reader.auth)
        assert response.status_code == 403

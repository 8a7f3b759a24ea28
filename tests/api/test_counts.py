"""Batch comment counts: every spelling of a page counts the same, in one statement or none,
and every change to a page's count reaches each of its keys."""

from __future__ import annotations

import pytest
from factories import counting_statements, make_comment, make_user, promote
from sqlalchemy import select

from rejoinder import clock
from rejoinder.pages.models import Page, PageAlias
from rejoinder.pages.urlnorm import key_digest

pytestmark = pytest.mark.anyio


async def test_every_spelling_counts_the_page(client):
    alice = await make_user(client)
    await make_comment(client, alice, url="https://news.example/2024/story")
    await make_comment(client, alice, url="https://news.example/2024/story")
    urls = [
        "https://news.example/2024/story",  # normal form: the fast path
        "http://www.news.example/2024/story/index.html?utm_source=x#top",  # the full parse
        "HTTPS://NEWS.EXAMPLE/2024/./story/",
        "https://news.example/2024/Story",  # another page
        "https://news.example/2024/story",  # repeated: one key in the answer
    ]
    response = await client.post("/api/v1/counts", json={"urls": urls})
    assert response.json() == {"counts": {**dict.fromkeys(urls[:3], 2), urls[3]: 0}}


@pytest.mark.parametrize("urls", [[], ["javascript:void(0)", "https://user@a.example/", " "]])
async def test_nothing_to_look_up_runs_no_statement(client, app, urls):
    with counting_statements(app) as statements:
        response = await client.post("/api/v1/counts", json={"urls": urls})
    assert response.status_code == 200
    assert response.json() == {"counts": dict.fromkeys(urls, 0)}
    assert statements == []


A = "https://example.com/news/harbour"
B = "https://wire.example.net/reprint/harbour"
# A key the fetcher learns from a canonical link goes straight into the aliases table.
LEARNED_KEY = "example.com/print/harbour"
LEARNED = "https://" + LEARNED_KEY


async def stale_copies(app) -> list[tuple[str, int, int]]:
    """Aliases whose copy of the count differs from their page's (migration 0010)."""
    async with app.state.db.read_session() as session:
        rows = await session.execute(
            select(PageAlias.key, PageAlias.comment_count, Page.comment_count)
            .join(Page, Page.id == PageAlias.page_id)
            .where(PageAlias.comment_count != Page.comment_count)
        )
        return [tuple(row) for row in rows.all()]


async def counts(client, *urls: str) -> list[int]:
    response = await client.post("/api/v1/counts", json={"urls": list(urls)})
    assert response.status_code == 200, response.text
    return [response.json()["counts"][url] for url in urls]


async def test_every_key_of_a_page_counts_along_through_every_change(client, app):
    """Counts are read from each alias's copy of its page's count: posts, deletions,
    moderation, new keys, merges and splits must all reach every copy."""
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    mod = await make_user(client, "mod")
    await promote(app, mod, "moderator")
    first = await make_comment(client, alice, "On the original.", url=A)
    await make_comment(client, bob, "A reply.", url=None, parent_id=first["id"])
    on_copy = await make_comment(client, alice, "On the copy.", url=B)
    assert await counts(client, A, B) == [2, 1]

    page_a = (await client.get("/api/v1/pages", params={"url": A})).json()
    page_b = (await client.get("/api/v1/pages", params={"url": B})).json()
    async with app.state.db.write_session() as session:
        session.add(
            PageAlias(
                page_id=page_a["id"],
                key=LEARNED_KEY,
                digest=key_digest(LEARNED_KEY),
                created_at=clock.now(),
            )
        )
        await session.commit()
    assert await counts(client, A, LEARNED) == [2, 2]

    removed = await client.post(
        "/api/v1/moderation/actions",
        json={"action": "remove", "comment_ids": [first["id"]], "reason": "insults"},
        headers=mod.auth,
    )
    assert removed.status_code == 200, removed.text
    assert await counts(client, A, LEARNED) == [1, 1]

    merged = await client.post(
        "/api/v1/moderation/merges",
        json={"from_page_id": page_b["id"], "into_page_id": page_a["id"]},
        headers=mod.auth,
    )
    assert merged.status_code == 200, merged.text
    assert await counts(client, A, B, LEARNED) == [2, 2, 2]

    deleted = await client.delete(f"/api/v1/comments/{on_copy['id']}", headers=alice.auth)
    assert deleted.status_code in (200, 204), deleted.text
    assert await counts(client, A, B, LEARNED) == [1, 1, 1]

    split = await client.post(
        "/api/v1/moderation/splits",
        json={"page_id": page_a["id"], "alias_key": LEARNED},
        headers=mod.auth,
    )
    assert split.status_code == 200, split.text
    assert await counts(client, A, B, LEARNED) == [1, 1, 0]
    await make_comment(client, bob, "On the print edition.", url=LEARNED)
    assert await counts(client, A, B, LEARNED) == [1, 1, 1]
    assert await stale_copies(app) == []

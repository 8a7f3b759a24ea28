"""Canonical links and syndicated copies, learned by the fetch runner from real HTTP pages.

Article servers listen on 127.0.0.1 (each on its own port, so two servers are two sites);
the runner is driven step by step (``run_once``), as in test_fetch_queue.
"""

from __future__ import annotations

import random

import pytest
from article_server import article_server, base_url, html, redirect
from factories import make_comment, make_user, promote
from sqlalchemy import select, update

from rejoinder import clock
from rejoinder.fetching.models import FetchJob, JobState
from rejoinder.fetching.runner import FetchRunner
from rejoinder.identity.models import CanonicalKind, PageCanonicalLink, PageFingerprintBand

pytestmark = pytest.mark.anyio

# A small vocabulary: texts drawn from it share words but not runs of five.
WORDS = [f"{stem}{n}" for stem in ("harbour", "storm", "ferry", "council") for n in range(6)]


def story(seed: int, words: int = 300) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def page(
    text: str,
    *,
    title: str = "Harbour reopens",
    canonical: str | None = None,
    og_url: str | None = None,
    nav: str = "Home News Sport",
    footer: str = "Copyright Coast News",
) -> str:
    head = f"<title>{title}</title>"
    if canonical is not None:
        head += f'<link rel="canonical" href="{canonical}">'
    if og_url is not None:
        head += f'<meta property="og:url" content="{og_url}">'
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{head}</head><body>'
        f"<nav>{nav}</nav><article><h1>{title}</h1><p>{text}</p></article>"
        f"<footer>{footer}</footer></body></html>"
    )


@pytest.fixture
def settings_overrides():
    return {"fetch_allow_loopback": True, "fetch_total_timeout": 5, "fetch_max_bytes": 1_000_000}


@pytest.fixture
def runner(app, settings):
    return FetchRunner(app.state.db, settings)


async def drain(runner) -> None:
    while await runner.run_once():
        pass


async def discuss(client, url: str) -> int:
    user = await make_user(client)
    await make_comment(client, user, "Interesting.", url=url)
    return await page_id(client, url)


async def page_id(client, url: str) -> int | None:
    response = await client.get("/api/v1/pages", params={"url": url})
    assert response.status_code == 200, response.text
    return response.json()["id"]


async def details(client, url: str) -> dict:
    return (await client.get("/api/v1/pages", params={"url": url})).json()


async def links(app) -> list[tuple[int, str, CanonicalKind]]:
    async with app.state.db.read_session() as session:
        rows = await session.execute(
            select(
                PageCanonicalLink.page_id, PageCanonicalLink.target_key, PageCanonicalLink.kind
            ).order_by(PageCanonicalLink.id)
        )
        return [tuple(row) for row in rows.all()]


async def refetch(app, page: int) -> None:
    async with app.state.db.write_session() as session:
        await session.execute(
            update(FetchJob)
            .where(FetchJob.page_id == page)
            .values(state=JobState.PENDING, next_attempt_at=clock.now())
        )
        await session.commit()


def key_of(url: str) -> str:
    return url.split("://", 1)[1]


class TestCanonical:
    async def test_same_site_relative_canonical_becomes_a_key(self, client, runner):
        routes = {"/print/story": html(page(story(1), canonical="../news/story"))}
        with article_server(routes) as server:
            base = base_url(server)
            pid = await discuss(client, base + "/print/story")
            await drain(runner)
        # Resolved against the page's own URL: /print/../news/story is /news/story.
        assert await page_id(client, base + "/news/story") == pid
        assert (await details(client, base + "/news/story"))["aliases"] == [
            key_of(base) + "/print/story",
            key_of(base) + "/news/story",
        ]

    async def test_relative_canonical_resolves_against_the_final_url(self, client, runner):
        routes = {
            "/old/story": redirect("/moved/story"),
            "/moved/story": html(page(story(1), canonical="canonical-story")),
        }
        with article_server(routes) as server:
            base = base_url(server)
            pid = await discuss(client, base + "/old/story")
            await drain(runner)
        assert await page_id(client, base + "/moved/canonical-story") == pid
        assert await page_id(client, base + "/old/canonical-story") is None

    async def test_canonical_with_its_own_discussion_is_a_suggestion(self, app, client, runner):
        routes = {
            "/amp/story": html(page(story(1), canonical="/news/story")),
            "/news/story": html(page(story(1), canonical="/news/story")),
        }
        with article_server(routes) as server:
            base = base_url(server)
            copy = await discuss(client, base + "/amp/story")
            original = await discuss(client, base + "/news/story")
            await drain(runner)
        assert await page_id(client, base + "/news/story") == original  # nothing moved
        assert await page_id(client, base + "/amp/story") == copy
        assert await links(app) == [(copy, key_of(base) + "/news/story", CanonicalKind.SUGGESTED)]
        moderator = await make_user(client)
        await promote(app, moderator, "moderator")
        response = await client.get("/api/v1/moderation/merge-suggestions", headers=moderator.auth)
        assert response.status_code == 200
        kinds = {
            (s["kind"], s["from_page"]["id"], s["into_page"]["id"])
            for s in response.json()["suggestions"]
        }
        assert ("canonical", copy, original) in kinds

    async def test_home_page_canonical_is_ignored(self, app, client, runner):
        routes = {"/news/story": html(page(story(1), canonical="/"))}
        with article_server(routes) as server:
            base = base_url(server)
            pid = await discuss(client, base + "/news/story")
            await drain(runner)
            assert await page_id(client, base + "/") is None
        assert (await details(client, base + "/news/story"))["aliases"] == [
            key_of(base) + "/news/story"
        ]
        assert pid is not None
        assert await links(app) == []

    async def test_conflicting_canonical_and_og_url_trust_neither(self, app, client, runner):
        routes = {
            "/story": html(page(story(1), canonical="/news/story", og_url="/news/other-story"))
        }
        with article_server(routes) as server:
            base = base_url(server)
            await discuss(client, base + "/story")
            await drain(runner)
        assert await page_id(client, base + "/news/story") is None
        assert await page_id(client, base + "/news/other-story") is None
        assert await links(app) == []

    async def test_cross_site_canonical_the_target_denies_is_only_a_link(self, app, client, runner):
        text = story(1)
        with article_server({"/article": html(page(text, canonical="/elsewhere"))}) as victim:
            target = base_url(victim) + "/article"
            routes = {"/copy": html(page(text, canonical=target))}
            with article_server(routes) as evil:
                pid = await discuss(client, base_url(evil) + "/copy")
                await drain(runner)
        assert await page_id(client, target) is None
        assert await links(app) == [(pid, key_of(target), CanonicalKind.LINK)]

    async def test_cross_site_canonical_to_a_different_text_is_only_a_link(
        self, app, client, runner
    ):
        with article_server({}) as victim:
            target = base_url(victim) + "/article"
            victim.routes["/article"] = html(page(story(2), canonical=target))
            with article_server({"/copy": html(page(story(1), canonical=target))}) as evil:
                pid = await discuss(client, base_url(evil) + "/copy")
                await drain(runner)
        assert await page_id(client, target) is None
        assert await links(app) == [(pid, key_of(target), CanonicalKind.LINK)]

    async def test_cross_site_canonical_confirmed_by_the_target_becomes_a_key(
        self, app, client, runner
    ):
        text = story(1)
        with article_server({}) as original:
            target = base_url(original) + "/article"
            original.routes["/article"] = html(page(text, canonical=target, og_url=target))
            routes = {"/syndicated": html(page(text, canonical=target, nav="Partner site"))}
            with article_server(routes) as partner:
                pid = await discuss(client, base_url(partner) + "/syndicated")
                await drain(runner)
        assert await page_id(client, target) == pid
        assert await links(app) == []

    async def test_unreachable_cross_site_target_is_only_a_link(self, app, client, runner):
        with article_server({}) as gone:
            target = base_url(gone) + "/missing"
            routes = {"/copy": html(page(story(1), canonical=target))}
            with article_server(routes) as server:
                pid = await discuss(client, base_url(server) + "/copy")
                await drain(runner)
        assert await links(app) == [(pid, key_of(target), CanonicalKind.LINK)]


class TestSyndication:
    async def test_same_article_with_other_boilerplate_is_found_as_a_copy(
        self, app, client, runner
    ):
        text = story(7)
        with article_server({}) as first, article_server({}) as second:
            a_url, b_url = base_url(first) + "/news/a", base_url(second) + "/reprint/b"
            first.routes["/news/a"] = html(page(text, title="Harbour reopens"))
            second.routes["/reprint/b"] = html(
                page(
                    text,
                    title="Harbour reopens (wire)",
                    nav="Subscribe Login Weather Markets",
                    footer="Distributed by the wire service. All rights reserved.",
                )
            )
            await discuss(client, a_url)
            await discuss(client, b_url)
            await drain(runner)
            unrelated = base_url(first) + "/news/other"
            first.routes["/news/other"] = html(page(story(8), title="Budget"))
            await discuss(client, unrelated)
            await drain(runner)
        a, b = await details(client, a_url), await details(client, b_url)
        [copy] = a["syndicated_copies"]
        assert copy["key"] == key_of(b_url)
        assert copy["url"] == b_url
        assert copy["title"] == "Harbour reopens (wire)"
        assert copy["similarity"] >= 0.7
        assert [c["key"] for c in b["syndicated_copies"]] == [key_of(a_url)]
        assert (await details(client, unrelated))["syndicated_copies"] == []
        # Shown, never merged.
        assert a["id"] != b["id"]

        moderator = await make_user(client)
        await promote(app, moderator, "moderator")
        suggestions = (
            await client.get("/api/v1/moderation/merge-suggestions", headers=moderator.auth)
        ).json()["suggestions"]
        assert [(s["kind"], {s["from_page"]["id"], s["into_page"]["id"]}) for s in suggestions] == [
            ("syndicated", {a["id"], b["id"]})
        ]

        # The discussion page says so.
        response = await client.get(f"/p/{a['id']}")
        page_html = (await client.get(response.headers["location"])).text
        assert "Also published at" in page_html
        assert "Harbour reopens (wire)" in page_html

    async def test_copy_that_changes_its_text_stops_matching_after_refetch(
        self, app, client, runner
    ):
        text = story(7)
        with article_server({}) as server:
            base = base_url(server)
            server.routes["/a"] = html(page(text))
            server.routes["/b"] = html(page(text, nav="Other nav"))
            await discuss(client, base + "/a")
            b_id = await discuss(client, base + "/b")
            await drain(runner)
            assert len((await details(client, base + "/a"))["syndicated_copies"]) == 1
            server.routes["/b"] = html(page(story(9), nav="Other nav"))
            await refetch(app, b_id)
            await drain(runner)
        assert (await details(client, base + "/a"))["syndicated_copies"] == []
        assert (await details(client, base + "/b"))["syndicated_copies"] == []
        async with app.state.db.read_session() as session:
            bands = (
                await session.execute(
                    select(PageFingerprintBand.page_id).where(PageFingerprintBand.page_id == b_id)
                )
            ).all()
        assert len(bands) == 16  # re-indexed with the new text

    async def test_unchanged_refetch_keeps_the_match(self, app, client, runner):
        text = story(7)
        with article_server({}) as server:
            base = base_url(server)
            server.routes["/a"] = html(page(text))
            server.routes["/b"] = html(page(text, nav="Other nav"))
            a_id = await discuss(client, base + "/a")
            await discuss(client, base + "/b")
            await drain(runner)
            await refetch(app, a_id)
            await drain(runner)
        assert len((await details(client, base + "/a"))["syndicated_copies"]) == 1

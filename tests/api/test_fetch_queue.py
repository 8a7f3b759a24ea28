"""The fetch queue on both databases: enqueue on first discussion, claim, fetch, record.

Article servers listen on 127.0.0.1, so these tests allow loopback explicitly. The runner is
driven step by step (``run_once``); the app's own background runner is off in tests.
"""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from article_server import article_server, base_url, html, trickle
from factories import make_comment, make_user
from sqlalchemy import func, select, update

from rejoinder import clock
from rejoinder.fetching import queries
from rejoinder.fetching.manual import fetch_now
from rejoinder.fetching.models import FetchJob, JobState
from rejoinder.fetching.runner import FetchRunner
from rejoinder.pages.models import Page, PageSnapshot

pytestmark = pytest.mark.anyio

STORY = "The harbour reopened on Monday after three weeks of repairs to the sea wall. " * 15

ARTICLE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Harbour reopens</title>
<meta property="og:site_name" content="Coast News">
<meta property="og:description" content="Repairs are done.">
<meta property="article:published_time" content="2026-11-21T08:00:00Z">
<meta name="author" content="Sam Reed">
<link rel="canonical" href="/news/harbour">
</head><body><article><h1>Harbour reopens</h1><p>{STORY}</p></article></body></html>"""


@pytest.fixture
def settings_overrides():
    return {
        "fetch_allow_loopback": True,
        "fetch_total_timeout": 5,
        "fetch_retry_seconds": 60,
        "fetch_max_bytes": 1_000_000,
    }


@pytest.fixture
def runner(app, settings):
    return FetchRunner(app.state.db, settings)


async def _jobs(app) -> list[FetchJob]:
    async with app.state.db.read_session() as session:
        return list((await session.execute(select(FetchJob).order_by(FetchJob.id))).scalars())


async def _page(app, page_id: int) -> Page:
    async with app.state.db.read_session() as session:
        page = await session.get(Page, page_id)
        assert page is not None
        return page


async def _comment_on(client, url: str) -> int:
    user = await make_user(client)
    await make_comment(client, user, "Interesting.", url=url)
    page = (await client.get("/api/v1/pages", params={"url": url})).json()
    return int(page["id"])


async def _add_job(app, url: str = "https://example.com/x") -> int:
    """A page and its pending job, straight into the database."""
    async with app.state.db.write_session() as session:
        page = Page(key=url.split("://")[1], url=url, created_at=clock.now())
        session.add(page)
        await session.flush()
        await queries.insert_job(session, page.id, url, clock.now())
        await session.commit()
        return page.id


class TestEnqueue:
    async def test_first_comment_queues_one_fetch(self, app, client):
        url = "https://example.com/2026/story"
        page_id = await _comment_on(client, url)
        await _comment_on(client, "https://www.example.com/2026/story/?utm_source=x")
        jobs = await _jobs(app)
        assert [(j.page_id, j.url, j.state, j.attempts) for j in jobs] == [
            (page_id, url, JobState.PENDING, 0)
        ]


class TestFetching:
    async def test_fetched_metadata_and_snapshot_are_served(self, app, client, runner):
        with article_server({"/news/harbour": html(ARTICLE)}) as server:
            url = base_url(server) + "/news/harbour"
            page_id = await _comment_on(client, url)
            assert await runner.run_once() is True
            assert await runner.run_once() is False  # nothing else due

        [job] = await _jobs(app)
        assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 1, None)
        response = await client.get("/api/v1/pages", params={"url": url})
        assert response.status_code == 200
        page = response.json()
        assert page["id"] == page_id
        assert page["title"] == "Harbour reopens"
        assert page["site_name"] == "Coast News"
        assert page["author"] == "Sam Reed"
        assert page["description"] == "Repairs are done."
        assert page["published_at"].startswith("2026-11-21T08:00:00")
        assert page["canonical_url"] == url
        assert page["fetched_at"] is not None

        listing = (await client.get(f"/api/v1/pages/{page_id}/snapshots")).json()["snapshots"]
        assert len(listing) == 1
        assert listing[0]["title"] == "Harbour reopens"
        snapshot = (
            await client.get(f"/api/v1/pages/{page_id}/snapshots/{listing[0]['id']}")
        ).json()
        assert "sea wall" in snapshot["text"]
        assert snapshot["length"] == len(snapshot["text"]) == listing[0]["length"]
        assert snapshot["sha256"] == listing[0]["sha256"]

    async def test_changed_article_keeps_both_snapshots(self, app, client, runner, settings):
        routes = {"/a": html(ARTICLE)}
        with article_server(routes) as server:
            url = base_url(server) + "/a"
            page_id = await _comment_on(client, url)
            await runner.run_once()
            routes["/a"] = html(ARTICLE.replace("three weeks", "four weeks"))
            result = await fetch_now(settings, url)
            assert result.page_id == page_id
            await fetch_now(settings, url)  # unchanged since: nothing new stored

        listing = (await client.get(f"/api/v1/pages/{page_id}/snapshots")).json()["snapshots"]
        assert len(listing) == 2
        newest = await client.get(f"/api/v1/pages/{page_id}/snapshots/{listing[0]['id']}")
        oldest = await client.get(f"/api/v1/pages/{page_id}/snapshots/{listing[1]['id']}")
        assert "four weeks" in newest.json()["text"]
        assert "three weeks" in oldest.json()["text"]

    async def test_badly_encoded_page_is_read(self, app, client, runner):
        body = (
            "<html><head><title>Caf\u00e9 \u2014 ok</title></head>".encode("cp1252") + b"\x81\xff"
        )
        with article_server({"/a": html(body, content_type="text/html; charset=utf-8")}) as server:
            page_id = await _comment_on(client, base_url(server) + "/a")
            await runner.run_once()
        page = await _page(app, page_id)
        assert page.fetch_error is None
        assert page.title is not None
        assert page.title.startswith("Caf")


class TestFailures:
    @pytest.mark.parametrize(
        ("route", "error"),
        [
            (html(b"%PDF", content_type="application/pdf"), "Not an HTML page"),
            (html(b"x" * 20_000, status=404), "HTTP 404"),
            (html(b"x" * 2_000_000), "larger than"),
        ],
    )
    async def test_permanent_failure_is_recorded_and_discussion_works(
        self, app, client, runner, route, error
    ):
        with article_server({"/a": route}) as server:
            url = base_url(server) + "/a"
            page_id = await _comment_on(client, url)
            await runner.run_once()
        [job] = await _jobs(app)
        assert job.state == JobState.FAILED
        assert error in (job.last_error or "")
        assert error in ((await _page(app, page_id)).fetch_error or "")
        assert (await client.get("/api/v1/pages", params={"url": url})).status_code == 200
        await _comment_on(client, url)  # still open for discussion

    async def test_retryable_failure_backs_off_then_fails(self, app, client, runner, settings):
        with article_server({"/a": trickle()}) as server:
            page_id = await _comment_on(client, base_url(server) + "/a")
            runner.fetcher.total_timeout = 0.5
            before = clock.now()
            assert await runner.run_once() is True
            [job] = await _jobs(app)
            assert (job.state, job.attempts) == (JobState.PENDING, 1)
            assert job.next_attempt_at >= before + timedelta(seconds=60)
            assert await runner.run_once() is False  # not due yet

            for attempt in range(2, settings.fetch_max_attempts + 1):
                await _make_due(app)
                assert await runner.run_once() is True
                [job] = await _jobs(app)
                assert job.attempts == attempt
        assert job.state == JobState.FAILED
        assert "longer than" in ((await _page(app, page_id)).fetch_error or "")


async def _make_due(app) -> None:
    async with app.state.db.write_session() as session:
        await session.execute(
            update(FetchJob).values(next_attempt_at=clock.now() - timedelta(seconds=1))
        )
        await session.commit()


class TestClaims:
    async def test_concurrent_claims_never_share_a_job(self, app, runner):
        for i in range(3):
            await _add_job(app, f"https://example.com/{i}")
        claimed: list[FetchJob | None] = []

        async def claim() -> None:
            claimed.append(await runner.claim())

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(claim)
        ids = [job.id for job in claimed if job is not None]
        assert len(ids) == 3
        assert len(set(ids)) == 3
        assert {j.state for j in await _jobs(app)} == {JobState.RUNNING}

    async def test_running_job_with_live_lease_is_not_claimed(self, app, runner):
        await _add_job(app)
        assert await runner.claim() is not None
        assert await runner.claim() is None

    async def test_job_left_running_by_a_dead_worker_is_claimed_again(self, app, runner):
        await _add_job(app)
        first = await runner.claim()
        assert first is not None
        # The worker "dies": its lease runs out with the job still running.
        async with app.state.db.write_session() as session:
            await session.execute(
                update(FetchJob).values(locked_until=clock.now() - timedelta(seconds=1))
            )
            await session.commit()
        second = await runner.claim()
        assert second is not None
        assert (second.id, second.attempts) == (first.id, 2)
        # The dead worker's late outcome is dropped; the new claim's is kept.
        async with app.state.db.write_session() as session:
            now = clock.now()
            assert await queries.finish_job(session, first, JobState.DONE, now) is False
            assert await queries.finish_job(session, second, JobState.DONE, now) is True
            await session.commit()

    async def test_job_cut_short_too_often_fails_without_fetching(self, app, runner, settings):
        page_id = await _add_job(app, "https://unreachable.invalid/")
        async with app.state.db.write_session() as session:
            await session.execute(
                update(FetchJob).values(
                    state=JobState.RUNNING,
                    attempts=settings.fetch_max_attempts,
                    locked_until=clock.now() - timedelta(seconds=1),
                )
            )
            await session.commit()
        assert await runner.run_once() is True
        [job] = await _jobs(app)
        assert job.state == JobState.FAILED
        assert "Gave up" in ((await _page(app, page_id)).fetch_error or "")


class TestSnapshotEndpoints:
    async def test_unknown_page_is_404(self, client):
        response = await client.get("/api/v1/pages/999/snapshots")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_snapshot_of_another_page_is_404(self, app, client):
        first, second = (
            await _add_job(app, "https://e.example/1"),
            await _add_job(app, "https://e.example/2"),
        )
        async with app.state.db.write_session() as session:
            snapshot = PageSnapshot(
                page_id=first, fetched_at=clock.now(), text="t", sha256="0" * 64, length=1
            )
            session.add(snapshot)
            await session.commit()
        ok = await client.get(f"/api/v1/pages/{first}/snapshots/{snapshot.id}")
        assert ok.status_code == 200
        other = await client.get(f"/api/v1/pages/{second}/snapshots/{snapshot.id}")
        assert other.status_code == 404

    @pytest.mark.parametrize(
        "path", ["0/snapshots", "abc/snapshots", "1/snapshots/0", "1/snapshots/99999999999"]
    )
    async def test_bad_ids_are_422(self, client, path):
        assert (await client.get(f"/api/v1/pages/{path}")).status_code == 422

    async def test_unfetched_page_has_no_snapshots(self, app, client):
        page_id = await _add_job(app)
        response = await client.get(f"/api/v1/pages/{page_id}/snapshots")
        assert response.json() == {"snapshots": []}
        count = select(func.count()).select_from(PageSnapshot)
        async with app.state.db.read_session() as session:
            assert (await session.execute(count)).scalar_one() == 0

"""The anonymous thread cache: repeat reads come from it, and no change is ever missed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import REDIS_URL, make_settings
from factories import PASSWORD, make_comment, make_user, read_thread

from rejoinder.accounts.models import Account
from rejoinder.accounts.service import AccountService
from rejoinder.app import create_app
from rejoinder.pages import queries as page_queries
from rejoinder.readcache.cache import ReadCache

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/cached-article"


def cache_of(app: Any) -> ReadCache:
    cache: ReadCache | None = app.state.read_cache
    assert cache is not None
    return cache


async def get_thread(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    response = await client.get("/api/v1/threads", params={"url": ARTICLE, **params})
    assert response.status_code in (200, 304), response.text
    return response


async def warm(app: Any, client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    """Read twice; the second read must be a cache hit. Returns the thread."""
    first = await get_thread(client, **params)
    hits = cache_of(app).hits
    second = await get_thread(client, **params)
    assert cache_of(app).hits == hits + 1
    assert second.content == first.content
    result: dict[str, Any] = second.json()
    return result


class TestServedFromCache:
    async def test_repeat_anonymous_read_is_a_hit_with_the_same_bytes(self, app, client):
        alice = await make_user(client)
        await make_comment(client, alice, "Hello", url=ARTICLE)
        thread = await warm(app, client)
        assert [c["body_html"] for c in thread["comments"]] == ["<p>Hello</p>\n"]
        response = await get_thread(client)
        assert response.headers["cache-control"] == "public, no-cache"
        assert response.headers["vary"] == "Authorization, Cookie"
        assert response.headers["content-type"] == "application/json"

    async def test_each_query_has_its_own_entry(self, app, client):
        alice = await make_user(client)
        first = await make_comment(client, alice, "first", url=ARTICLE)
        second = await make_comment(client, alice, "second", url=ARTICLE)
        newest = await warm(app, client, sort="new")
        oldest = await warm(app, client, sort="old")
        assert [c["id"] for c in newest["comments"]] == [second["id"], first["id"]]
        assert [c["id"] for c in oldest["comments"]] == [first["id"], second["id"]]

    async def test_conditional_read_is_304_until_the_thread_changes(self, app, client):
        alice = await make_user(client)
        await make_comment(client, alice, "one", url=ARTICLE)
        await warm(app, client)
        etag = (await get_thread(client)).headers["etag"]
        hits = cache_of(app).hits
        again = await client.get(
            "/api/v1/threads", params={"url": ARTICLE}, headers={"If-None-Match": etag}
        )
        assert again.status_code == 304
        assert again.headers["etag"] == etag
        assert cache_of(app).hits == hits + 1
        await make_comment(client, alice, "two", url=ARTICLE)
        changed = await client.get(
            "/api/v1/threads", params={"url": ARTICLE}, headers={"If-None-Match": etag}
        )
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert len(changed.json()["comments"]) == 2

    async def test_signed_in_reads_skip_the_cache_and_see_their_own_votes(self, app, client):
        alice = await make_user(client)
        bob = await make_user(client)
        posted = await make_comment(client, alice, "vote on me", url=ARTICLE)
        await warm(app, client)
        vote = await client.put(
            f"/api/v1/comments/{posted['id']}/vote", json={"value": 1}, headers=bob.auth
        )
        assert vote.status_code == 200
        hits = cache_of(app).hits
        mine = await read_thread(client, ARTICLE, bob)
        assert mine["comments"][0]["my_vote"] == 1
        assert cache_of(app).hits == hits
        response = await client.get("/api/v1/threads", params={"url": ARTICLE}, headers=bob.auth)
        assert response.headers["cache-control"] == "private, no-cache"
        anonymous = await read_thread(client, ARTICLE)
        assert anonymous["comments"][0]["my_vote"] == 0
        assert anonymous["comments"][0]["score"] == 1

    async def test_a_page_nobody_commented_on_is_not_kept(self, app, client):
        await get_thread(client)
        assert len(cache_of(app).store) == 0


class TestNoChangeIsMissed:
    async def test_posts_replies_votes_edits_and_deletes(self, app, client):
        alice = await make_user(client)
        bob = await make_user(client)
        root = await make_comment(client, alice, "root", url=ARTICLE)
        await warm(app, client)

        reply = await make_comment(client, bob, "reply", url=None, parent_id=root["id"])
        thread = await warm(app, client)
        assert thread["comments"][0]["replies"][0]["id"] == reply["id"]
        assert thread["page"]["comment_count"] == 2

        await client.put(f"/api/v1/comments/{root['id']}/vote", json={"value": 1}, headers=bob.auth)
        thread = await warm(app, client)
        assert thread["comments"][0]["score"] == 1

        edited = await client.patch(
            f"/api/v1/comments/{reply['id']}", json={"body": "edited reply"}, headers=bob.auth
        )
        assert edited.status_code == 200
        thread = await warm(app, client)
        assert thread["comments"][0]["replies"][0]["body_html"] == "<p>edited reply</p>\n"

        deleted = await client.delete(f"/api/v1/comments/{root['id']}", headers=alice.auth)
        assert deleted.status_code == 204
        thread = await warm(app, client)
        assert thread["comments"][0]["status"] == "deleted"
        assert thread["comments"][0]["body_html"] == ""

    async def test_a_deleted_account_reads_as_deleted(self, app, client):
        alice = await make_user(client)
        await make_comment(client, alice, "mine", url=ARTICLE)
        thread = await warm(app, client)
        assert thread["comments"][0]["author"]["name"] == alice.username
        # The account page's "delete" button calls this (tests/web cover the form).
        async with app.state.db.write_session() as session:
            accounts = AccountService(session, app.state.settings, app.state.limiter)
            account = await session.get(Account, alice.id)
            await accounts.delete_account(account, PASSWORD)
            await session.commit()
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["author"]["name"] != alice.username

    async def test_what_the_fetcher_learns_shows_at_once(self, app, client):
        alice = await make_user(client)
        await make_comment(client, alice, "about the title", url=ARTICLE)
        thread = await warm(app, client)
        assert thread["page"]["title"] is None
        async with app.state.db.write_session() as session:
            await page_queries.update_page_metadata(
                session, thread["page"]["id"], title="The Title"
            )
            await session.commit()
        thread = await read_thread(client, ARTICLE)
        assert thread["page"]["title"] == "The Title"


class TestSettings:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"thread_cache_bytes": 0}

    async def test_the_cache_can_be_turned_off(self, app, client):
        assert app.state.read_cache is None
        alice = await make_user(client)
        await make_comment(client, alice, "uncached", url=ARTICLE)
        first = await get_thread(client)
        second = await get_thread(client)
        assert first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]


@pytest.fixture
async def second_worker(settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """Another app on the same database, as a second worker process would be."""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other, client=("203.0.113.11", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield other, http


async def until(predicate: Any, what: str) -> None:
    for _ in range(500):  # 5 s
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


class TestSeveralWorkers:
    async def test_a_write_on_another_worker_is_seen(self, app, client, second_worker, settings):
        if not settings.is_sqlite:
            pytest.skip("PostgreSQL needs Redis to share evictions: TestSeveralWorkersWithRedis")
        _other, on_other = second_worker
        alice = await make_user(client)
        await make_comment(client, alice, "first", url=ARTICLE)
        await warm(app, client)
        await make_comment(on_other, alice, "from the other worker", url=ARTICLE)
        thread = await read_thread(client, ARTICLE)
        assert [c["body_html"] for c in thread["comments"]][-1] == "<p>from the other worker</p>\n"

    async def test_postgresql_without_redis_keeps_the_cache_off_for_several_workers(
        self, settings, tmp_path
    ):
        several = make_settings(settings.database_url, tmp_path, workers=2)
        app = create_app(several)
        assert (app.state.read_cache is None) == (not several.is_sqlite)


@pytest.mark.redis
class TestSeveralWorkersWithRedis:
    @pytest.fixture
    def settings_overrides(self, redis_prefix: str) -> dict[str, Any]:
        return {"redis_url": REDIS_URL, "redis_prefix": redis_prefix, "workers": 2}

    async def test_evictions_reach_the_other_worker(self, app, client, second_worker):
        _other, on_other = second_worker
        alice = await make_user(client)
        await make_comment(client, alice, "first", url=ARTICLE)
        await warm(app, client)
        cache = cache_of(app)
        await make_comment(on_other, alice, "from the other worker", url=ARTICLE)
        if not app.state.settings.is_sqlite:  # SQLite compares versions instead
            await until(lambda: len(cache.store) == 0, "the eviction to arrive")
        thread = await read_thread(client, ARTICLE)
        assert len(thread["comments"]) == 2

    async def test_without_redis_the_cache_is_bypassed_and_emptied(self, app, client, settings):
        if settings.is_sqlite:
            pytest.skip("on SQLite the cache does not depend on Redis")
        alice = await make_user(client)
        await make_comment(client, alice, "first", url=ARTICLE)
        await warm(app, client)
        broker = app.state.broker
        # What the broker does when its Redis connection drops: readers must not be served
        # what may have changed elsewhere meanwhile.
        await broker._set_connected(False)
        hits = cache_of(app).hits
        await get_thread(client)
        assert cache_of(app).hits == hits
        broker.fanout.close_all("resync")
        await until(lambda: len(cache_of(app).store) == 0, "the cache to be emptied")
        await broker._set_connected(True)
        await until(cache_of(app).freshness.accepting, "the cache to listen again")
        await warm(app, client)

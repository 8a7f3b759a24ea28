"""Redis goes away and comes back under two server processes: writes, limits and live updates.

Both servers (two ``rejoinder serve`` processes on one database, as two workers) reach Redis
through a ``TcpProxy``; the machine's Redis is never stopped. What must hold:

- while Redis is cut, comments are still accepted, and a reader on the worker that took the
  comment still sees it live (the broker falls back to local delivery);
- rate limits do not fail open: each worker limits from its own memory (``limits.py``);
- thread reads stay coherent: a worker that cannot hear other workers' cache evictions
  must not serve a thread from before a write made on another worker;
- when Redis is back, every live stream is told to reconnect (events of the outage were
  lost between workers), pub/sub carries events between the workers again in both
  directions, and the shared limits in Redis apply again, at the levels they had.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import make_settings
from factories import User, make_user
from faults.proxy import tcp_proxy
from faults.servers import FAULT_SETTINGS, serve_together
from live import EventReader

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.redis,
    pytest.mark.postgres,
    # PostgreSQL: there, Redis also carries the read cache's evictions between workers.
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

ARTICLE = "https://example.com/2026/faults/redis-outage"
WAIT = 20.0
# Four comments an hour: the limit the test exhausts, in Redis and then in a worker's memory.
RATE = "4/3600"
POSTER_IP = "198.51.100.10"
LIMITED_IP = "198.51.100.20"


class Worker:
    """A client of one server process; each request says which address it comes from."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def thread_ids(self) -> set[int]:
        response = await self.http.get("/api/v1/threads", params={"url": ARTICLE, "limit": 100})
        assert response.status_code == 200, response.text
        return {comment["id"] for comment in response.json()["comments"]}

    async def post(self, user: User, body: str, ip: str = POSTER_IP) -> httpx.Response:
        headers = {**user.auth, "X-Forwarded-For": ip}
        return await self.http.post(
            "/api/v1/comments", json={"url": ARTICLE, "body": body}, headers=headers
        )

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[EventReader]:
        async with self.http.stream("GET", "/api/v1/stream", params={"url": ARTICLE}) as response:
            assert response.status_code == 200
            reader = EventReader(response)
            first = await reader.next(WAIT)
            assert first is not None
            assert first.retry == 3000
            yield reader


async def created(reader: EventReader) -> int:
    """The id of the next comment.created on the stream."""
    event = await reader.next_event(WAIT)
    assert event.event == "comment.created", event
    comment_id: int = orjson.loads(event.data or "")["comment"]["id"]
    return comment_id


async def posted(worker: Worker, user: User, body: str, ip: str = POSTER_IP) -> int:
    response = await worker.post(user, body, ip)
    assert response.status_code == 201, response.text
    comment_id: int = response.json()["id"]
    return comment_id


async def test_redis_outage_keeps_writes_and_limits_then_pubsub_recovers(
    database_url: str, tmp_path: Path, redis_upstream: tuple[str, int], redis_prefix: str
):
    with tcp_proxy(*redis_upstream) as proxy:
        overrides: dict[str, Any] = {
            **FAULT_SETTINGS,
            "comment_rate": RATE,
            "redis_url": f"redis://127.0.0.1:{proxy.port}/0",
            "redis_prefix": redis_prefix,
            "trusted_proxies": ["127.0.0.1/32"],
        }
        settings = make_settings(database_url, tmp_path, **overrides)
        with serve_together(settings, [tmp_path / "a.log", tmp_path / "b.log"]) as servers:
            server_a, server_b = servers
            async with (
                httpx.AsyncClient(base_url=server_a.base_url, timeout=WAIT) as on_a,
                httpx.AsyncClient(base_url=server_b.base_url, timeout=WAIT) as on_b,
            ):
                await run_outage(Worker(on_a), Worker(on_b), proxy)
            for server in (server_a, server_b):
                assert server.process is not None
                assert server.process.poll() is None, "a server had to restart"
                assert "Exception in ASGI application" not in server.log()


async def run_outage(a: Worker, b: Worker, proxy: Any) -> None:
    poster = await make_user(a.http, "poster")
    limited = await make_user(a.http, "limited")

    async with a.stream() as on_a, b.stream() as on_b:
        # Redis up: a comment taken by A reaches B's reader.
        first = await posted(a, poster, "Before the outage")
        assert await created(on_a) == first
        assert await created(on_b) == first
        # Two of the four comments an hour, counted in Redis.
        for n in range(2):
            assert (await a.post(limited, f"Limited {n} before", LIMITED_IP)).status_code == 201
            await created(on_a)
            await created(on_b)

        # Both workers have read (and may cache) the thread as it is.
        for worker in (a, b, a, b):
            assert first in await worker.thread_ids()

        proxy.cut()

        # Writes go on; A's own reader still sees A's comment live.
        during = await posted(a, poster, "During the outage")
        assert await created(on_a) == during
        # B heard nothing of it, yet must not answer from before it.
        assert during in await b.thread_ids()
        assert during in await a.thread_ids()
        # Limits hold without Redis: a fresh bucket in A's memory, four, then no more.
        written_during = {during}
        for n in range(4):
            response = await a.post(limited, f"Limited {n} during", LIMITED_IP)
            assert response.status_code == 201, response.text
            written_during.add(response.json()["id"])
            assert await created(on_a) == response.json()["id"]
        refused = await a.post(limited, "One too many", LIMITED_IP)
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate-limited"

        proxy.restore()

        # Each worker's broker resubscribes and asks its readers to re-read the thread.
        await until_reconnect(on_a)
        await until_reconnect(on_b)
        # Evictions sent during the outage were lost: what B cached before must be gone.
        assert written_during <= await b.thread_ids()

    # New streams: events cross between the workers again, both ways.
    async with a.stream() as on_a, b.stream() as on_b:
        from_a = await posted(a, poster, "After the outage, through A")
        assert await created(on_a) == from_a
        assert await created(on_b) == from_a
        from_b = await posted(b, poster, "After the outage, through B")
        assert await created(on_b) == from_b
        assert await created(on_a) == from_b
        for worker in (a, b):
            assert {from_a, from_b} <= await worker.thread_ids()

    # The shared limit is back: Redis still had two of four left for this account and address.
    # The first try may still fall in the worker's retry pause (refused from its exhausted
    # memory bucket); a bounded number of tries must reach Redis.
    answers = [(await a.post(limited, "Limited 0 after", LIMITED_IP)).status_code]
    while answers[-1] == 429 and len(answers) < 40:
        await asyncio.sleep(0.25)  # the pause is 2 s; 40 tries span 10 s
        answers.append((await a.post(limited, "Limited 0 after", LIMITED_IP)).status_code)
    assert answers[-1] == 201, answers
    assert (await a.post(limited, "Limited 1 after", LIMITED_IP)).status_code == 201
    assert (await a.post(limited, "Limited 2 after", LIMITED_IP)).status_code == 429


async def until_reconnect(reader: EventReader) -> None:
    """Read the stream (events of the outage included) until the server asks to reconnect."""
    for _ in range(100):
        event = await reader.next_event(WAIT)
        if event.event == "reconnect":
            return
        assert event.event == "comment.created", event
    raise AssertionError("no reconnect event")

"""PostgreSQL goes away under load and comes back: 503s meanwhile, then recovery without restart.

The server reaches PostgreSQL through a ``TcpProxy`` (the machine's PostgreSQL serves other
tests and is never stopped). ``cut()`` resets every connection and each new one, as a
database restart does. While it is cut, every request that needs the database answers
``503`` ``application/problem+json`` of type ``database-unavailable`` (never a 500 with a
traceback); once restored, the same server process serves reads and writes again by itself:
``pool_pre_ping`` replaces the pooled connections that died.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from conftest import make_settings
from factories import User, make_user
from faults.proxy import TcpProxy, tcp_proxy
from faults.servers import FAULT_SETTINGS, ServerProcess, rejoinder_serve

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

ARTICLE = "https://example.com/2026/faults/database-outage"
UNAVAILABLE = "https://rejoinder.invalid/problems/database-unavailable"
WAIT = 20.0
LOAD_TASKS = 4


def through(proxy: TcpProxy, database_url: str) -> str:
    """The same database URL, with the proxy's port instead of PostgreSQL's."""
    parts = urlsplit(database_url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


@dataclass
class Load:
    """Readers and writers hitting the server until told to stop; every answer is kept."""

    http: httpx.AsyncClient
    user: User
    phase: str = "up"
    stopping: bool = False
    answers: list[tuple[str, str, httpx.Response]] = field(default_factory=list)
    acked: dict[int, str] = field(default_factory=dict)
    answered: asyncio.Condition = field(default_factory=asyncio.Condition)

    def count(self, phase: str, status: int) -> int:
        return sum(1 for p, _, r in self.answers if p == phase and r.status_code == status)

    async def run(self, number: int) -> None:
        n = 0
        while not self.stopping:
            n += 1
            phase = self.phase
            if n % 2:
                what = "read"
                response = await self.http.get("/api/v1/threads", params={"url": ARTICLE})
            else:
                what = "write"
                body = f"Load {number}-{n} while {phase}"
                response = await self.http.post(
                    "/api/v1/comments", json={"url": ARTICLE, "body": body}, headers=self.user.auth
                )
                if response.status_code == 201:
                    self.acked[response.json()["id"]] = response.json()["body_html"]
            self.answers.append((phase, what, response))
            async with self.answered:
                self.answered.notify_all()
            # Pacing only, so an outage's instant 503s do not flood the shared machine.
            await asyncio.sleep(0.02)

    async def wait_for(self, phase: str, status: int, count: int) -> None:
        async with asyncio.timeout(WAIT), self.answered:
            await self.answered.wait_for(lambda: self.count(phase, status) >= count)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    problem = response.json()
    assert problem["type"] == UNAVAILABLE
    assert problem["status"] == 503


async def test_postgres_outage_under_load_is_503_then_recovers_without_restart(
    database_url: str, tmp_path: Path
):
    upstream = urlsplit(database_url)
    with tcp_proxy(upstream.hostname or "127.0.0.1", upstream.port or 5432) as proxy:
        settings = make_settings(through(proxy, database_url), tmp_path, **FAULT_SETTINGS)
        with rejoinder_serve(settings, tmp_path / "server.log") as server:
            pid = server.process.pid if server.process else None
            async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT) as http:
                load = Load(http, await make_user(http, "loader"))
                tasks = [asyncio.create_task(load.run(n)) for n in range(LOAD_TASKS)]
                try:
                    await load.wait_for("up", 201, 5)

                    proxy.cut()
                    load.phase = "cut"
                    await load.wait_for("cut", 503, 8)
                    await check_while_cut(http, load.user)

                    proxy.restore()
                    load.phase = "restored"
                    await load.wait_for("restored", 200, 5)
                    await load.wait_for("restored", 201, 5)
                finally:
                    load.stopping = True
                    async with asyncio.timeout(WAIT):
                        await asyncio.gather(*tasks)
                await check_answers(load)
                await check_stale_pool_recovers(server, proxy, http, load.user)
                # Every acknowledged write, before or after the outage, is there.
                for comment_id, body_html in load.acked.items():
                    response = await http.get(f"/api/v1/comments/{comment_id}")
                    assert response.status_code == 200, response.text
                    assert response.json()["body_html"] == body_html
            assert server.process is not None
            assert server.process.pid == pid
            assert server.process.poll() is None, "the server had to restart"
            log = server.log()
    # No request ended in an unhandled exception (a 500 and a traceback).
    assert "Exception in ASGI application" not in log
    assert "unhandled error" not in log


async def check_while_cut(http: httpx.AsyncClient, user: User) -> None:
    """Reads, writes and pages, one by one, while PostgreSQL is away."""
    assert_unavailable(await http.get("/api/v1/threads", params={"url": ARTICLE}))
    assert_unavailable(
        await http.post(
            "/api/v1/comments", json={"url": ARTICLE, "body": "Lost?"}, headers=user.auth
        )
    )
    assert_unavailable(await http.get("/api/v1/comments/1"))
    # A person on a web page gets a readable page with the same status.
    page = await http.get("/d", params={"url": ARTICLE})
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "unavailable" in page.text.lower()


async def check_answers(load: Load) -> None:
    """Under load, across the outage: successes or documented 503s, nothing else."""
    statuses = Counter((phase, what, r.status_code) for phase, what, r in load.answers)
    allowed = {200, 201, 503}
    assert {status for _, _, status in statuses} <= allowed, statuses
    for _, _, response in load.answers:
        if response.status_code == 503:
            assert_unavailable(response)


async def check_stale_pool_recovers(
    server: ServerProcess, proxy: TcpProxy, http: httpx.AsyncClient, user: User
) -> None:
    """Pooled connections die while nobody is asking; the next requests must not notice."""
    assert proxy.open_connections > 0, "the pool kept no connection: nothing to test"
    proxy.cut()
    proxy.restore()
    read = await http.get("/api/v1/threads", params={"url": ARTICLE})
    assert read.status_code == 200, read.text
    write = await http.post(
        "/api/v1/comments", json={"url": ARTICLE, "body": "After the restart"}, headers=user.auth
    )
    assert write.status_code == 201, write.text
    assert server.process is not None

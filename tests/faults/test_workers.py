"""``rejoinder serve --workers 2``: two real worker processes behave as one server.

Which worker answers a request is the kernel's choice, so the tests find out instead of
hoping: ``ServerProcess.worker_of`` looks up, in ``/proc``, which worker holds the server end
of a client's connection. A client with a single keep-alive connection stays on one worker.

- Live updates (PostgreSQL + Redis): streams open on both workers all receive a comment,
  whichever worker took it.
- Coherence (PostgreSQL + Redis, and SQLite without Redis): after a write through either
  worker, every one of the next reads, on both workers, shows it; a reader revalidating with
  the ETag it had before gets the new thread, not a 304. This is the contract any read cache
  must keep.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import REDIS_URL, make_settings
from factories import User, make_user
from faults.servers import FAULT_SETTINGS, ServerProcess, rejoinder_serve
from live import EventReader

from rejoinder.settings import Settings

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/faults/two-workers"
WAIT = 20.0
WORKERS = 2
READS_AFTER_WRITE = 40


def settings_for(database_url: str, tmp_path: Path, *, redis: bool) -> Settings:
    overrides: dict[str, Any] = dict(FAULT_SETTINGS)
    if redis:
        overrides |= {
            "redis_url": REDIS_URL,
            "redis_prefix": f"rejoinder-test-{secrets.token_hex(6)}:",
        }
    return make_settings(database_url, tmp_path, **overrides)


def one_connection(server: ServerProcess) -> httpx.AsyncClient:
    """A client that keeps to one connection, hence to one worker while it stays open."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(base_url=server.base_url, timeout=WAIT, limits=limits)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_comment_reaches_streams_on_every_worker(
    database_url: str, tmp_path: Path, redis_upstream: tuple[str, int]
):
    settings = settings_for(database_url, tmp_path, redis=True)
    with rejoinder_serve(settings, tmp_path / "server.log", workers=WORKERS) as server:
        async with AsyncExitStack() as stack:
            streams: list[tuple[int, EventReader]] = []
            per_worker: dict[int, int] = defaultdict(int)
            # Open streams until both workers hold some (each stream is its own connection).
            for _ in range(40):
                if len(per_worker) == WORKERS and len(streams) >= 8:
                    break
                http = await stack.enter_async_context(one_connection(server))
                response = await stack.enter_async_context(
                    http.stream("GET", "/api/v1/stream", params={"url": ARTICLE})
                )
                assert response.status_code == 200
                reader = EventReader(response)
                assert (await reader.next(WAIT)).retry == 3000  # type: ignore[union-attr]
                worker = server.worker_of(response)
                per_worker[worker] += 1
                streams.append((worker, reader))
            assert len(per_worker) == WORKERS, f"every stream landed on one worker: {per_worker}"

            # Post until each worker has taken at least one comment; every stream gets each.
            posters: set[int] = set()
            async with one_connection(server) as setup:
                user = await make_user(setup, "live_poster")
            for n in range(20):
                if posters == set(per_worker):
                    break
                async with one_connection(server) as http:
                    response = await http.post(
                        "/api/v1/comments",
                        json={"url": ARTICLE, "body": f"Live comment {n}"},
                        headers=user.auth,
                    )
                    assert response.status_code == 201, response.text
                    posters.add(server.worker_of(response))
                comment_id = response.json()["id"]
                for worker, reader in streams:
                    event = await reader.next_event(WAIT)
                    assert event.event == "comment.created", (worker, event)
                    assert orjson.loads(event.data or "")["comment"]["id"] == comment_id
            assert posters == set(per_worker), f"every post landed on one worker: {posters}"


@pytest.mark.parametrize(
    ("database_url", "with_redis"),
    [
        ("sqlite", False),
        pytest.param("postgres", True, marks=[pytest.mark.postgres, pytest.mark.redis]),
    ],
    indirect=["database_url"],
)
async def test_every_read_after_a_write_shows_it_on_every_worker(
    database_url: str, with_redis: bool, tmp_path: Path, request: pytest.FixtureRequest
):
    if with_redis:
        request.getfixturevalue("redis_upstream")
    settings = settings_for(database_url, tmp_path, redis=with_redis)
    with rejoinder_serve(settings, tmp_path / "server.log", workers=WORKERS) as server:
        async with AsyncExitStack() as stack:
            setup = await stack.enter_async_context(one_connection(server))
            user = await make_user(setup, "coherent")
            expected = {await post(setup, user, "The first comment")}
            pins = Pins(server, stack, expected)
            for worker in await pins.workers():
                # Warm every worker (and whatever it caches) on the current thread.
                etags = {}
                for _ in range(3):
                    for client in await pins.all_clients():
                        response, _ = await pins.read(client)
                        etags[id(client)] = response.headers["etag"]

                # Write through this worker...
                writer = await pins.client_on(worker)
                new = await post(writer, user, f"Written through worker {worker}")
                expected.add(new)  # from here on, every read by ``pins`` must show it

                # ...then every read, on every worker, must show it at once, revalidated
                # with the ETag from before the write or not.
                served: dict[int, int] = defaultdict(int)
                for n in range(200):
                    enough_each = len(served) == WORKERS and min(served.values()) >= 10
                    if n >= READS_AFTER_WRITE and enough_each:
                        break
                    target = min(pins.pinned, key=lambda w: served[w])
                    client = await pins.client_on(target, read_first=False)
                    etag = etags.get(id(client))
                    headers = {"If-None-Match": etag} if etag and n % 2 else {}
                    response, answered_by = await pins.read(client, headers)
                    assert response.status_code == 200, (n, answered_by, response.status_code)
                    served[answered_by] += 1
                assert len(served) == WORKERS, dict(served)
                assert min(served.values()) >= 10, dict(served)


class Pins:
    """Single-connection clients by the worker that holds their connection.

    A keep-alive connection the server closed while idle is reopened by httpx and may land
    on the other worker, so every answer is checked for where it came from. Every read also
    checks the thread holds exactly the comments in ``expected`` (shared with the test).
    """

    def __init__(self, server: ServerProcess, stack: AsyncExitStack, expected: set[int]) -> None:
        self.server = server
        self.stack = stack
        self.expected = expected
        self.pinned: dict[int, list[httpx.AsyncClient]] = defaultdict(list)

    async def read(
        self, client: httpx.AsyncClient, headers: dict[str, str] | None = None
    ) -> tuple[httpx.Response, int]:
        response = await read(client, headers)
        worker = self.seen(client, response)
        if response.status_code == 200:
            assert ids(response) == self.expected, worker
            assert response.json()["page"]["comment_count"] == len(self.expected), worker
        return response, worker

    def seen(self, client: httpx.AsyncClient, response: httpx.Response) -> int:
        worker = self.server.worker_of(response)
        for clients in self.pinned.values():
            if client in clients:
                clients.remove(client)
        self.pinned[worker].append(client)
        return worker

    async def workers(self) -> list[int]:
        for _ in range(40):
            if len(self.pinned) == WORKERS and all(len(c) >= 2 for c in self.pinned.values()):
                break
            await self.read(await self.stack.enter_async_context(one_connection(self.server)))
        assert len(self.pinned) == WORKERS, f"all connections on one worker: {self.pinned}"
        return sorted(self.pinned)

    async def all_clients(self) -> list[httpx.AsyncClient]:
        return [client for clients in list(self.pinned.values()) for client in clients]

    async def client_on(self, worker: int, *, read_first: bool = True) -> httpx.AsyncClient:
        """A client whose connection is on ``worker`` (just used, when ``read_first``)."""
        for _ in range(40):
            for client in list(self.pinned[worker]):
                if not read_first or (await self.read(client))[1] == worker:
                    return client
            await self.read(await self.stack.enter_async_context(one_connection(self.server)))
        raise AssertionError(f"no connection would land on worker {worker}")


async def read(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> httpx.Response:
    response = await client.get("/api/v1/threads", params={"url": ARTICLE}, headers=headers)
    assert response.status_code in {200, 304}, response.text
    return response


def ids(response: httpx.Response) -> set[int]:
    return {comment["id"] for comment in response.json()["comments"]}


async def post(client: httpx.AsyncClient, user: User, body: str) -> int:
    response = await client.post(
        "/api/v1/comments", json={"url": ARTICLE, "body": body}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    comment_id: int = response.json()["id"]
    return comment_id

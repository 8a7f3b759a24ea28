"""``StreamFront``: valid stream requests skip the middleware stack; the rest reach the route.

Driven as raw ASGI calls (a receive that reports the disconnect when the test says so, a send
that records messages), so each test sees exactly what the front sent, or that it sent
nothing and left the request to the routed stack.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import anyio
import pytest

from rejoinder.api.stream import StreamFront
from rejoinder.pages.urlnorm import url_key
from rejoinder.realtime.broker import MemoryBroker
from rejoinder.realtime.publisher import page_topic
from rejoinder.realtime.stream import RETRY, send_events

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/11/front-story"
WAIT = 10


def scope(query: str, method: str = "GET", path: str = "/api/v1/stream") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept", b"text/event-stream")],
        "client": ("203.0.113.10", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


class Client:
    """One connection: ``leave()`` makes the next receive() report the disconnect."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.left = asyncio.Event()
        self.got_retry = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.left.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if message.get("body") == RETRY:
            self.got_retry.set()

    def leave(self) -> None:
        self.left.set()


async def until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - polling the broker's count from the same loop
        await asyncio.sleep(0.01)


class TestFront:
    async def test_valid_stream_is_served_without_building_the_middleware_stack(self, app):
        # Starlette builds its middleware stack at the first request that reaches it: a
        # fresh app still has none after serving a stream, so the stream never entered it.
        assert app.middleware_stack is None
        client = Client()
        broker = app.state.broker
        call = asyncio.ensure_future(
            app(scope(urlencode({"url": ARTICLE})), client.receive, client.send)
        )
        with anyio.fail_after(WAIT):
            await client.got_retry.wait()
            assert broker.count(page_topic(url_key(ARTICLE))) == 1
            client.leave()
            await call
        assert app.middleware_stack is None
        start = client.sent[0]
        assert start["status"] == 200
        assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
        assert (b"cache-control", b"no-cache") in start["headers"]
        assert broker.count() == 0

    async def test_subscription_is_freed_as_soon_as_the_client_leaves(self, app):
        front = StreamFront(app.state.db, app.state.broker, app.state.settings)
        client = Client()
        call = asyncio.ensure_future(
            front.answer(scope(urlencode({"url": ARTICLE})), client.receive, client.send)
        )
        with anyio.fail_after(WAIT):
            await client.got_retry.wait()
            client.leave()
            # Returns normally (True: answered) rather than raising CancelledError.
            assert await call is True
        assert app.state.broker.count() == 0
        assert not call.cancelled()

    @pytest.mark.parametrize(
        ("query", "method", "path"),
        [
            ("", "GET", "/api/v1/stream"),
            ("url=", "GET", "/api/v1/stream"),
            (urlencode([("url", ARTICLE), ("url", ARTICLE)]), "GET", "/api/v1/stream"),
            (urlencode({"url": "javascript:alert(1)"}), "GET", "/api/v1/stream"),
            (urlencode({"url": "https://e.example/" + "x" * 9000}), "GET", "/api/v1/stream"),
            (urlencode({"url": ARTICLE}), "POST", "/api/v1/stream"),
            (urlencode({"url": ARTICLE}), "GET", "/api/v1/streams"),
        ],
    )
    async def test_anything_else_is_left_to_the_route(self, app, query, method, path):
        front = StreamFront(app.state.db, app.state.broker, app.state.settings)
        client = Client()
        with anyio.fail_after(WAIT):
            assert (
                await front.answer(scope(query, method, path), client.receive, client.send) is False
            )
        assert client.sent == []
        assert app.state.broker.count() == 0

    async def test_bad_url_still_gets_the_routes_422_problem(self, client):
        response = await client.get("/api/v1/stream", params={"url": "javascript:alert(1)"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


async def _never_ending(started: asyncio.Event) -> Any:
    started.set()
    await asyncio.Event().wait()
    yield b""  # pragma: no cover - never reached


async def test_cancellation_from_outside_is_not_swallowed():
    """Server shutdown cancels the request's task: the stream must not absorb that."""
    client = Client()
    started = asyncio.Event()
    content = _never_ending(started)
    task = asyncio.ensure_future(send_events(content, client.receive, client.send))
    with anyio.fail_after(WAIT):
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_stream_that_ends_completes_the_response_without_a_disconnect():
    broker = MemoryBroker()
    client = Client()

    async def frames() -> Any:
        async with broker.subscribe("t"):
            yield RETRY
            yield b"data: x\n\n"

    with anyio.fail_after(WAIT):
        await send_events(frames(), client.receive, client.send)
    bodies = [message.get("body") for message in client.sent[1:]]
    assert bodies == [RETRY, b"data: x\n\n", b""]
    assert client.sent[-1]["more_body"] is False
    assert broker.count() == 0

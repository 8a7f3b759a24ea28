"""The bytes of an SSE stream, and the response that stops when its client leaves."""

from __future__ import annotations

import anyio
import pytest

from rejoinder.realtime.broker import QUEUE_SIZE, MemoryBroker
from rejoinder.realtime.stream import (
    KEEP_ALIVE,
    RECONNECT,
    RETRY,
    EventStreamResponse,
    event_stream,
)

pytestmark = pytest.mark.anyio

WAIT = 5


async def test_messages_get_an_id_line_and_a_blank_line():
    broker = MemoryBroker()
    stream = event_stream(broker, "t", lifetime=60, keepalive=60)
    with anyio.fail_after(WAIT):
        assert await anext(stream) == RETRY
        # Subscribed by the time ``retry`` is out: this message is not missed.
        await broker.publish("t", b'event: vote.changed\ndata: {"score":1}\n')
        frame = await anext(stream)
    assert frame.endswith(b'\nevent: vote.changed\ndata: {"score":1}\n\n')
    assert frame.startswith(b"id: ")
    assert int(frame.split(b"\n", 1)[0].removeprefix(b"id: ")) > 0
    await stream.aclose()
    assert broker.count() == 0


async def test_idle_stream_sends_keep_alives_then_reconnect_at_its_lifetime():
    broker = MemoryBroker()
    with anyio.fail_after(WAIT):
        frames = [frame async for frame in event_stream(broker, "t", lifetime=0.3, keepalive=0.02)]
    assert frames[0] == RETRY
    assert frames[-1] == RECONNECT
    assert set(frames[1:-1]) == {KEEP_ALIVE}
    assert broker.count() == 0


async def test_reader_that_falls_behind_is_told_to_reconnect():
    broker = MemoryBroker()
    stream = event_stream(broker, "t", lifetime=60, keepalive=60)
    with anyio.fail_after(WAIT):
        assert await anext(stream) == RETRY
        for _ in range(QUEUE_SIZE + 1):
            await broker.publish("t", b"data: x\n")
        assert await anext(stream) == RECONNECT
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_broker_shutdown_ends_streams_with_reconnect():
    broker = MemoryBroker()
    stream = event_stream(broker, "t", lifetime=60, keepalive=60)
    with anyio.fail_after(WAIT):
        assert await anext(stream) == RETRY
        await broker.stop()
        assert await anext(stream) == RECONNECT


async def test_response_ends_and_unsubscribes_when_the_client_disconnects():
    broker = MemoryBroker()
    sent: list[dict] = []
    disconnect = anyio.Event()

    async def receive() -> dict:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message.get("body") == RETRY:
            disconnect.set()

    response = EventStreamResponse(event_stream(broker, "t", lifetime=60, keepalive=60))
    scope = {"type": "http", "asgi": {"spec_version": "2.4"}, "method": "GET"}
    with anyio.fail_after(WAIT):
        await response(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert headers[b"cache-control"] == b"no-cache"
    assert headers[b"x-accel-buffering"] == b"no"
    assert broker.count() == 0

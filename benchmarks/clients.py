"""The asyncio load generators: acknowledged writes, and SSE fan-out.

Writes: ``connections`` keep-alive connections post unique bodies for ``duration`` seconds.
Each acknowledgement (201) is kept with the body it answered; the caller then checks every
acknowledged id in the database, and its stored body must be the one that was sent. The
acknowledgement itself must carry that body's unique token too.

SSE: ``n`` streams open on one page (each counted only once it has read the stream's first
bytes, when the server has subscribed it), one comment is posted, and the time from sending
that post until the last stream has read ``event: comment.created`` is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from common import HttpConnection, percentiles


@dataclass
class Writes:
    acknowledged: dict[int, str] = field(default_factory=dict)  # id -> body sent
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    bad_acks: int = 0
    duplicate_ids: int = 0
    seconds: float = 0.0


# (unique body) -> (method, path, request body, headers)
MakeRequest = Callable[[str, int], tuple[str, str, bytes, dict[str, str]]]
# (status, response body) -> acknowledged comment id, or None
ReadAck = Callable[[int, bytes], int | None]


async def post_for(
    port: int, make: MakeRequest, read_ack: ReadAck, connections: int, duration: float
) -> Writes:
    result = Writes()
    run = uuid.uuid4().hex[:8]
    deadline = time.monotonic() + duration

    async def worker(number: int) -> None:
        conn = await HttpConnection.open(port)
        try:
            sent = 0
            while time.monotonic() < deadline:
                token = uuid.uuid4().hex
                text = f"Benchmark write {run}-{number}-{sent} token {token} end."
                method, path, body, headers = make(text, sent)
                sent += 1
                started = time.perf_counter()
                try:
                    status, answer = await asyncio.wait_for(
                        conn.request(method, path, body, headers), 30
                    )
                except (OSError, TimeoutError, asyncio.IncompleteReadError):
                    result.errors += 1
                    await conn.close()
                    conn = await HttpConnection.open(port)
                    continue
                result.latencies.append(time.perf_counter() - started)
                if conn.closing:
                    await conn.close()
                    conn = await HttpConnection.open(port)
                comment_id = read_ack(status, answer)
                if comment_id is None:
                    result.errors += 1
                    continue
                if token.encode() not in answer:
                    result.bad_acks += 1
                if comment_id in result.acknowledged:
                    result.duplicate_ids += 1
                result.acknowledged[comment_id] = text
        finally:
            await conn.close()

    started = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    result.seconds = time.monotonic() - started
    return result


def json_id(status: int, body: bytes) -> int | None:
    if status != 201:
        return None
    return int(json.loads(body)["id"])


@dataclass
class Fanout:
    opened: int = 0
    received: int = 0
    open_seconds: float = 0.0
    deliver_seconds: float = float("nan")
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")


async def sse_fanout(
    port: int,
    stream_path: str,
    subscribers: int,
    post: Callable[[], object],
    wait_seconds: float = 30.0,
) -> Fanout:
    """Open ``subscribers`` streams, run ``post`` (a coroutine function), time the delivery."""
    result = Fanout()
    request = (
        f"GET {stream_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    gate = asyncio.Semaphore(100)  # at most 100 handshakes in flight: the listen backlog

    async def subscribe() -> None:
        async with gate:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                await asyncio.wait_for(reader.readuntil(b"retry: 3000\n\n"), 30)
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                return
            streams.append((reader, writer))

    started = time.monotonic()
    await asyncio.gather(*(subscribe() for _ in range(subscribers)))
    result.opened = len(streams)
    result.open_seconds = time.monotonic() - started
    arrivals: list[float] = []
    sent_at = time.perf_counter()

    async def listen(reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
            await asyncio.wait_for(reader.readuntil(b"event: comment.created"), wait_seconds)
            arrivals.append(time.perf_counter() - sent_at)

    try:
        listeners = [asyncio.create_task(listen(reader)) for reader, _ in streams]
        sent_at = time.perf_counter()
        await post()  # type: ignore[misc]
        await asyncio.gather(*listeners)
    finally:
        for _, writer in streams:
            writer.close()
    result.received = len(arrivals)
    if arrivals:
        result.deliver_seconds = max(arrivals)
        result.p50_ms, result.p99_ms = percentiles(arrivals)
    return result


def write_latencies(writes: Writes) -> tuple[float, float]:
    return percentiles(writes.latencies)

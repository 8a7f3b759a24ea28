"""Real HTTP servers for tests that need one, and a reader of server-sent event streams.

httpx's ASGITransport buffers a whole response, so a stream that never ends cannot be read
through it; these tests talk HTTP to uvicorn on 127.0.0.1 instead:

- ``serve_in_thread(settings)``: the app in a uvicorn server on a background thread of this
  process; ``server.app`` lets a test look at its state (broker, pool).
- ``serve_in_process(settings)``: ``python -m uvicorn`` in a child process, configured
  through ``REJOINDER_*`` variables; for tests of several workers sharing Redis.

Both bind a free port first and hand the socket over, so there is no race for the port, and
both stop by themselves (bounded waits) even when the test fails.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from rejoinder.app import create_app
from rejoinder.settings import Settings

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclass
class LiveServer:
    base_url: str
    app: FastAPI | None = None  # only for servers in this process


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def _config(app: Any, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="on",
        ws="none",
        log_config=None,  # leave the test run's logging (and caplog) alone
        access_log=False,
        # Streams a failed test left open must not hold the server's shutdown forever.
        timeout_graceful_shutdown=2,
        **options,
    )


@contextmanager
def serve_in_thread(settings: Settings) -> Iterator[LiveServer]:
    app = create_app(settings)
    sock = _bound_socket()
    server = _Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.ready.wait(0.05):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
        port = sock.getsockname()[1]
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the live server did not stop")


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``REJOINDER_*`` variables that configure a child process like ``settings``."""
    env: dict[str, str] = {}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | tuple):
            text = ",".join(map(str, value))
        else:
            text = str(value)
        env[f"REJOINDER_{name.upper()}"] = text
    return env


@contextmanager
def serve_in_process(settings: Settings, log_path: Path) -> Iterator[LiveServer]:
    """uvicorn in a child process; its output goes to ``log_path`` (shown if it fails)."""
    sock = _bound_socket()
    sock.listen(128)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("REJOINDER_") or key.startswith("REJOINDER_TEST_")
    }
    env.update(settings_env(settings))
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "rejoinder.app:create_app",
        "--factory",
        "--fd",
        str(sock.fileno()),
        "--no-access-log",
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "2",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, pass_fds=(sock.fileno(),), stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        _wait_until_serving(process, base_url, log_path)
        yield LiveServer(base_url)
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
        sock.close()


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    # The socket already listens, so a request simply waits until the app accepts it.
    try:
        response = httpx.get(f"{base_url}/api/openapi.json", timeout=START_TIMEOUT)
    except httpx.HTTPError as exc:
        raise RuntimeError(
            f"the server process did not start (exit {process.poll()}): "
            f"{log_path.read_text(errors='replace')}"
        ) from exc
    if response.status_code != 200:
        raise RuntimeError(f"the server process answers {response.status_code}")


@dataclass
class SseEvent:
    event: str | None = None
    data: str | None = None
    id: str | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)


class EventReader:
    """Parses a text/event-stream response into blocks, one ``SseEvent`` per blank line."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines: AsyncIterator[str] = response.aiter_lines()

    async def next(self, within: float = 10.0) -> SseEvent | None:
        """The next block, or None when the stream ended; fails after ``within`` seconds."""
        async with asyncio.timeout(within):
            block = SseEvent()
            seen = False
            async for line in self._lines:
                if line == "":
                    if seen:
                        return block
                    continue
                seen = True
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    block.comments.append(value)
                elif name == "event":
                    block.event = value
                elif name == "data":
                    block.data = value if block.data is None else f"{block.data}\n{value}"
                elif name == "id":
                    block.id = value
                elif name == "retry":
                    block.retry = int(value)
            return block if seen else None

    async def next_event(self, within: float = 10.0) -> SseEvent:
        """The next block that is an event (keep-alive comments are skipped)."""
        async with asyncio.timeout(within):
            while True:
                block = await self.next()
                if block is None:
                    raise AssertionError("the stream ended before the next event")
                if block.event is not None or block.data is not None:
                    return block

"""A TCP proxy that a test can cut and restore, to take PostgreSQL or Redis away from a server.

The machine's real PostgreSQL and Redis serve every other test, so they are never stopped.
Instead the server under test reaches them through this proxy on 127.0.0.1:

- ``cut()`` resets every proxied connection (the server sees them die mid-query, as when the
  database restarts) and resets each new connection as soon as it is accepted;
- ``restore()`` forwards new connections again; the server must find its way back alone.

The port stays bound throughout (reset, not refused), so nothing else can take it meanwhile.

The proxy runs its own event loop on a thread: the test's loop may block (starting a server
process) while the server behind the proxy still needs its database.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

BUFFER = 65536
WAIT = 10.0


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream_host``:``upstream_port`` until cut."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        # Bound here, once, so the port is this proxy's for its whole life.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.connections_seen = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._cut = False
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT)
        self._loop.close()

    def cut(self) -> None:
        """Drop every connection and every new one, like a server that went down."""
        self._call(self._drop_all())

    def restore(self) -> None:
        """Forward new connections again."""
        self._call(self._forward())

    @property
    def open_connections(self) -> int:
        # Each proxied connection holds two writers: the client side and the upstream side.
        return len(self._writers) // 2

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(WAIT)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, sock=self._sock)

    async def _drop_all(self) -> None:
        self._cut = True
        for writer in list(self._writers):
            # abort(): a reset rather than an orderly FIN, as when the peer process dies.
            writer.transport.abort()
        self._writers.clear()

    async def _forward(self) -> None:
        self._cut = False

    async def _shutdown(self) -> None:
        await self._drop_all()
        if self._server is not None:
            self._server.close()
            self._server = None
        # Every connection was reset, so the handlers end on their own; cancel stragglers.
        current = asyncio.current_task()
        handlers = [task for task in asyncio.all_tasks() if task is not current]
        _done, pending = await asyncio.wait(handlers, timeout=2) if handlers else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _handle(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter):
        if self._cut:
            client.transport.abort()
            return
        self.connections_seen += 1
        try:
            upstream_reader, upstream = await asyncio.open_connection(*self.upstream)
        except OSError:
            client.transport.abort()
            return
        if self._cut:  # cut while the upstream connection was being opened
            client.transport.abort()
            upstream.transport.abort()
            return
        self._writers.update((client, upstream))
        try:
            await asyncio.gather(_pipe(client_reader, upstream), _pipe(upstream_reader, client))
        finally:
            for writer in (client, upstream):
                self._writers.discard(writer)
                writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(BUFFER):
            writer.write(data)
            await writer.drain()
    # One direction ended: end the other too, so neither side waits on a half-open pair.
    writer.transport.abort()


@contextlib.contextmanager
def tcp_proxy(upstream_host: str, upstream_port: int) -> Iterator[TcpProxy]:
    proxy = TcpProxy(upstream_host, upstream_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()

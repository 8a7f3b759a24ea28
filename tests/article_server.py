"""A tiny article server on 127.0.0.1 for fetcher tests: ``http.server`` in a thread.

Each route is a function of the request handler that writes the whole response, so a test
can serve anything: huge pages, trickled bytes, gzip bombs, redirect loops, odd charsets.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a trickling handler must not hold up the test's teardown

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            send(self, b"not here", status=404, content_type="text/plain")
            return
        # The fetcher hanging up on us is what a test of its limits wants.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def send(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def html(body: bytes | str, **kwargs: object) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda handler: send(handler, data, **kwargs)  # type: ignore[arg-type]


def redirect(location: str, status: int = 302) -> Route:
    return lambda handler: send(handler, b"", status=status, headers={"Location": location})


def gzipped(body: bytes) -> Route:
    data = gzip.compress(body)
    return lambda handler: send(handler, data, headers={"Content-Encoding": "gzip"})


def trickle(byte_interval: float = 0.2, count: int = 600) -> Route:
    """Headers at once, then one byte every ``byte_interval`` seconds: a slowloris page."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(count))
        handler.end_headers()
        for _ in range(count):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(byte_interval)

    return route


@contextmanager
def article_server(routes: dict[str, Route]) -> Iterator[_Server]:
    server = _Server(routes)
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"

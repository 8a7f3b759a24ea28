"""Answering repeat anonymous thread reads from the cache, before the app sees them.

``app.Rejoinder`` asks ``ThreadCacheFront.answer`` first, ahead of every middleware, so a hit
costs a dict lookup and (on SQLite) one version check, with no routing, dependency solving
or validation: the cached bytes were validated when the route produced them. No middleware
has anything to add here: thread reads carry no CORS headers (api/cors.py) and no body.
Everything else, and every miss, goes on to the app unchanged.
"""

from __future__ import annotations

from starlette.types import Scope, Send

from rejoinder.readcache.cache import ReadCache

THREAD_PATH = "/api/v1/threads"
SESSION_COOKIE = b"rejoinder_session="
JSON = b"application/json"
# Anonymous reads are the same for everyone: shared caches may keep them, but must ask again
# (with If-None-Match) before each use. Signed-in reads say "private" (api/comments.py).
PUBLIC_CACHE_CONTROL = "public, no-cache"
VARY = "Authorization, Cookie"


def response_headers(etag: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"etag", etag),
        (b"cache-control", PUBLIC_CACHE_CONTROL.encode()),
        (b"vary", VARY.encode()),
    ]


def is_anonymous(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE in value):
            return False
    return True


def matches(if_none_match: bytes | None, etag: bytes) -> bool:
    return if_none_match is not None and (etag in if_none_match or if_none_match.strip() == b"*")


class ThreadCacheFront:
    def __init__(self, cache: ReadCache) -> None:
        self.cache = cache

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answer the request from the cache if it can; False leaves it to the app."""
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] != THREAD_PATH
            or not is_anonymous(scope["headers"])
        ):
            return False
        entry = self.cache.lookup(scope["query_string"])
        if entry is None:
            return False
        headers = response_headers(entry.etag)
        if matches(_header(scope, b"if-none-match"), entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        headers.append((b"content-type", JSON))
        headers.append((b"content-length", str(len(entry.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})
        return True


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None

"""Batch comment counts (``POST /api/v1/counts``) answered ahead of the middleware stack.

The embed script on every page of a blog asks for the counts of up to 200 links at once
(issue 8: 3,000 requests of 50 URLs a second on two cores). Through the whole app, a
request cost ~1.3 ms of CPU: an ORM session with its transaction (~0.9 ms on SQLite, most
of it thread hops to aiosqlite), URL normalisation (~0.3 ms) and FastAPI's routing,
validation and middleware (~0.25 ms). For a plainly valid request, none of that but the
normalisation and one SELECT changes the answer, so ``app.Rejoinder`` asks ``CountsFront``
first, as it asks ``ThreadReadFront`` (api/comments.py) for thread reads.

The front answers only what the route would answer 200, with the same bytes: a JSON body
within the body limit holding exactly ``{"urls": [...]}``, at most 200 strings of 1 to 8,192
characters (``CountsIn``). Anything else goes to the app with the messages already read
replayed, and the app answers as it always did: its 413, its 422 saying what is wrong, its
503 when the database fails. CORS headers come from the same function as ``EmbedCors``'s.

What is left costs ~0.4 ms of CPU on SQLite with the bulk set (``benchmarks/counts_path.py``
measures it by part): most URLs take ``urlnorm.plain_key`` to their digest, the database
reads digest -> count from one covering index (each alias carries its page's count,
migration 0010), and PostgreSQL's checkout skips the pool's ping (a dead connection fails
the SELECT, and the app answers).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections import deque
from typing import Any

from pydantic import TypeAdapter
from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from rejoinder.api.cors import add_cors_headers
from rejoinder.db.engine import Database, unpinged_checkouts
from rejoinder.db.sqlite_reader import open_reader
from rejoinder.pages import queries
from rejoinder.pages.schemas import CountsOut
from rejoinder.pages.service import counts_by_url, url_digests
from rejoinder.settings import Settings

log = logging.getLogger("rejoinder.counts")

COUNTS_PATH = "/api/v1/counts"
# CountsIn's limits: at most this many URLs, each 1 to URL_MAX_LENGTH characters.
MAX_URLS = 200
URL_MAX_LENGTH = 8192
# The route's serializer (FastAPI serializes a response model with its TypeAdapter).
_COUNTS_OUT = TypeAdapter(CountsOut)


class CountsFront:
    """Plainly valid batch counts, answered without routing, validation or an ORM session."""

    def __init__(self, state: State, max_body_bytes: int) -> None:
        db: Database = state.db
        settings: Settings = state.settings
        self.max_body_bytes = max_body_bytes
        self.max_url_length = settings.max_url_length
        self.origins = frozenset(settings.embed_origins)
        # One statement needs no transaction: autocommit saves PostgreSQL's BEGIN and
        # ROLLBACK round trips (the pool is the app's own). Not on SQLite, whose connections
        # must keep the transaction control db/engine.py gives them.
        self.engine = (
            db.engine
            if db.dialect == "sqlite"
            else db.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        path = db.sqlite_path
        self.sqlite = SqliteCounts(path) if path is not None else None

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer a plain batch count and return None; otherwise the ``receive`` the app must
        read the request from (it replays whatever this front read first)."""
        if scope["type"] != "http" or scope["path"] != COUNTS_PATH or scope["method"] != "POST":
            return receive
        plain, origin = self._read_headers(scope["headers"])
        if not plain:
            return receive
        read: list[Message] = []
        body = await read_body(receive, read, self.max_body_bytes)
        urls = _plain_urls(body) if body is not None else None
        if urls is None:
            return replay(read, receive)
        try:
            digests = url_digests(urls, self.max_url_length)
            found = await self._count(list(set(digests.values())))
            content = _COUNTS_OUT.dump_json(
                CountsOut.model_construct(counts=counts_by_url(urls, digests, found))
            )
        except Exception:
            # Nothing was sent: the app reads again and answers as it would have (a 503 if
            # the database is down, its 500 for a bug).
            return replay(read, receive)
        response = Response(content=content, media_type="application/json")
        allowed = origin if origin is not None and origin in self.origins else None
        add_cors_headers(response.headers, allowed)
        await response(scope, receive, send)
        return None

    def _read_headers(self, headers: list[tuple[bytes, bytes]]) -> tuple[bool, str | None]:
        """(whether the front may answer, the Origin header or None). The app judges a body
        that is not JSON (its 422) or declared over the limit (its 413)."""
        origin: str | None = None
        content_type: bytes | None = None
        for name, value in headers:
            if name == b"content-type":
                # As Starlette's ``headers.get``: the first one counts.
                if content_type is None:
                    content_type = value
            elif name == b"origin":
                if origin is None:
                    origin = value.decode("latin-1")
            elif name == b"content-length" and not (
                value.isdigit() and int(value) <= self.max_body_bytes
            ):
                return False, None
        return content_type is not None and is_plain_json(content_type), origin

    async def _count(self, digests: list[str]) -> dict[str, int]:
        if not digests:
            return {}
        if self.sqlite is not None:
            return self.sqlite.count(digests)
        # No ping: if the connection is dead, the statement fails and the app answers.
        with unpinged_checkouts():
            async with self.engine.connect() as connection:
                return await queries.count_by_digests_on(connection, digests)


async def read_body(receive: Receive, read: list[Message], max_bytes: int) -> bytes | None:
    """The whole body, or None if the client left or it grew over ``max_bytes``; every
    message received is appended to ``read`` (for ``replay``). Also used by api/post_front.py."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def is_plain_json(content_type: bytes) -> bool:
    # FastAPI parses JSON for any application/json (parameters ignored) or +json type;
    # only the common spellings are answered here, the rest by the app.
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json"


def _plain_urls(body: bytes) -> list[str] | None:
    """The URLs as ``CountsIn`` would accept them, or None when the app should judge the body."""
    try:
        # The parser the route uses (Starlette's ``Request.json``).
        payload: Any = json.loads(body)
    except ValueError:
        return None
    if type(payload) is not dict or len(payload) != 1 or "urls" not in payload:
        return None
    urls = payload["urls"]
    if type(urls) is not list or len(urls) > MAX_URLS:
        return None
    for url in urls:
        if type(url) is not str or not 0 < len(url) <= URL_MAX_LENGTH:
            return None
        if not url.isascii():
            try:
                # A lone surrogate ("\ud800" in the JSON) cannot be encoded in the answer.
                url.encode()
            except UnicodeEncodeError:
                return None
    return urls


def replay(read: list[Message], receive: Receive) -> Receive:
    """``receive`` as if nothing had been read: the messages already read come first."""
    if not read:
        return receive
    pending = deque(read)

    async def replaying() -> Message:
        if pending:
            return pending.popleft()
        return await receive()

    return replaying


class SqliteCounts:
    """The count query on a synchronous, read-only SQLite connection, on the event loop.

    As ``readcache.freshness.SqliteVersions``: an indexed lookup of up to 200 digests in a WAL
    database, where readers never wait for writers, costs less than the thread hops of
    aiosqlite around it. A busy or broken database raises, and the app answers instead.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def connection(self) -> sqlite3.Connection:
        """This worker's connection, opened on first use."""
        if self._connection is None:
            # Index pages of the alias and page tables; the OS page cache keeps the rest.
            self._connection = open_reader(self.path, cache_kib=1024)
        return self._connection

    def count(self, digests: list[str]) -> dict[str, int]:
        try:
            return queries.count_by_digests_sqlite(self.connection(), digests)
        except sqlite3.Error as exc:
            log.warning("batch counts: SQLite read failed (%s); the app answers instead", exc)
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

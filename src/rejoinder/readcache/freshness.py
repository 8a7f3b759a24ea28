"""Is a cached thread still the current one? Two answers, one per database.

``SqliteVersions`` asks the database on every hit; ``BrokerEvictions`` trusts what is cached
until told otherwise, and tells the other workers through the realtime broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Iterable
from typing import Protocol

from rejoinder.db.sqlite_reader import open_reader
from rejoinder.readcache.store import Entry, ThreadCache
from rejoinder.realtime.broker import (
    MemoryBroker,
    RedisBroker,
    Subscription,
    SubscriptionClosed,
)

log = logging.getLogger("rejoinder.readcache")

# Not a page topic (those are "page:<digest>"), so no live reader ever subscribes to it.
EVICTIONS_TOPIC = "readcache:evict"


class Freshness(Protocol):
    def is_current(self, entry: Entry) -> bool: ...

    def accepting(self) -> bool:
        """Whether bodies read now may be stored."""
        ...

    def committed(self, page_ids: set[int]) -> None:
        """This process committed changes to these pages' threads."""
        ...

    async def run(self) -> None:
        """Background work for the life of the app (cancelled at shutdown)."""
        ...

    async def settle(self) -> None:
        """Wait until the other workers have been told of this process's commits."""
        ...

    def close(self) -> None: ...


class SqliteVersions:
    """Compare the entry's version with ``pages.thread_version``, read synchronously.

    A blocking call on the event loop is acceptable here and only here: it is one lookup by
    primary key in a WAL database, where readers never wait for writers, and going through a
    thread (aiosqlite) would cost ten times more than the lookup. A busy or broken database
    counts as "not current", so the request takes the ordinary path and reports the error.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        # Reads one row per hit; a large page cache per worker would only cost memory.
        return open_reader(self.path, cache_kib=512)

    def version(self, page_id: int) -> int | None:
        try:
            if self._connection is None:
                self._connection = self._connect()
            row = self._connection.execute(
                "SELECT thread_version FROM pages WHERE id = ?", (page_id,)
            ).fetchone()
        except sqlite3.Error as exc:
            log.warning("thread cache: version lookup failed (%s); reading from the database", exc)
            self.close()
            return None
        return None if row is None else int(row[0])

    def is_current(self, entry: Entry) -> bool:
        return self.version(entry.page_id) == entry.version

    def accepting(self) -> bool:
        return True

    def committed(self, page_ids: set[int]) -> None:
        # Nothing to do: the next hit compares versions with the database anyway.
        del page_ids

    async def run(self) -> None:
        return None

    async def settle(self) -> None:
        return None

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None


class BrokerEvictions:
    """Evict on commit here, and on every worker through the broker's eviction topic.

    With Redis, a message can be lost (Redis down, this worker's queue overflowing); the
    broker then closes the subscription, and this class empties the cache and refuses to
    serve from it until it has subscribed again. With the in-process broker there is only
    this worker, and local eviction at commit is the whole story.
    """

    def __init__(self, cache: ThreadCache, broker: MemoryBroker | RedisBroker) -> None:
        self.cache = cache
        self.broker = broker
        self._shared = isinstance(broker, RedisBroker)
        self._listening = not self._shared
        self._subscription: Subscription | None = None
        self._pending: set[int] = set()
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    def is_current(self, entry: Entry) -> bool:
        # An entry still in the store has not been evicted; the store enforces the TTL.
        del entry
        return self.accepting()

    def accepting(self) -> bool:
        if not self._shared:
            return True
        # The broker closes the subscription itself (synchronously) when messages may have
        # been lost; until this class has emptied the cache and subscribed again, bypass it.
        subscription = self._subscription
        return (
            self._listening
            and subscription is not None
            and subscription.closed_reason is None
            and isinstance(self.broker, RedisBroker)
            and self.broker.connected
        )

    def committed(self, page_ids: set[int]) -> None:
        for page_id in page_ids:
            self.cache.evict_page(page_id)
        if not self._shared:
            return
        self._pending |= page_ids
        if not self._flush_scheduled:
            # Called from inside a commit (synchronous code); the publish happens just after.
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._pending.clear()
                return
            self._flush_scheduled = True
            loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        page_ids, self._pending = self._pending, set()
        if page_ids:
            task = asyncio.create_task(self._publish(page_ids))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        # The request that wrote waits for this before answering, so that by the time its
        # writer sees the answer, Redis has already pushed the eviction to every worker.
        if self._flush_scheduled:
            self._flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _publish(self, page_ids: Iterable[int]) -> None:
        await self.broker.publish(EVICTIONS_TOPIC, ",".join(map(str, sorted(page_ids))).encode())

    async def run(self) -> None:
        if not self._shared:
            return
        while True:
            async with self.broker.subscribe(EVICTIONS_TOPIC) as subscription:
                self._subscription = subscription
                self._listening = True
                try:
                    while True:
                        message = await subscription.get()
                        if message is not None:
                            for page_id in _page_ids(message.data):
                                self.cache.evict_page(page_id)
                except SubscriptionClosed as closed:
                    log.info("thread cache: evictions may be lost (%s); emptying", closed.reason)
                finally:
                    self._listening = False
                    self.cache.clear()
            if isinstance(self.broker, RedisBroker):
                await self.broker.wait_connected()

    def close(self) -> None:
        self._listening = False
        self.cache.clear()


def _page_ids(data: bytes) -> list[int]:
    ids = []
    for part in data.split(b","):
        with contextlib.suppress(ValueError):
            ids.append(int(part))
    return ids

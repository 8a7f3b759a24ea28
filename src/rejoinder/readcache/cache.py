"""``ReadCache``: the store and its freshness rule together, as the app uses them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rejoinder.db.engine import Database
from rejoinder.readcache.freshness import BrokerEvictions, Freshness, SqliteVersions
from rejoinder.readcache.store import Entry, ThreadCache
from rejoinder.realtime.broker import MemoryBroker, RedisBroker
from rejoinder.settings import Settings


class ReadCache:
    def __init__(self, store: ThreadCache, freshness: Freshness) -> None:
        self.store = store
        self.freshness = freshness
        self.hits = 0
        self.misses = 0

    def lookup(self, key: bytes) -> Entry | None:
        entry = self.store.get(key) if self.freshness.accepting() else None
        if entry is not None and not self.freshness.is_current(entry):
            self.store.discard(key)
            entry = None
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def mark(self) -> int:
        return self.store.mark()

    def remember(
        self, key: bytes, page_id: int, version: int, body: bytes, etag: bytes, since: int
    ) -> None:
        if self.freshness.accepting():
            self.store.put(key, page_id, version, body, etag, since)

    def committed(self, page_ids: set[int]) -> None:
        self.freshness.committed(page_ids)

    async def settle(self) -> None:
        await self.freshness.settle()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self.freshness.run(), name="rejoinder-readcache")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.freshness.close()


def build(settings: Settings, db: Database, broker: MemoryBroker | RedisBroker) -> ReadCache | None:
    """The cache this deployment can keep coherent, or None (off, or no way to stay coherent)."""
    if settings.thread_cache_bytes <= 0:
        return None
    store = ThreadCache(settings.thread_cache_bytes, settings.thread_cache_ttl_seconds)
    freshness: Freshness
    if db.dialect == "sqlite":
        path = db.sqlite_path
        if path is None:
            return None
        freshness = SqliteVersions(path)
    else:
        if isinstance(broker, MemoryBroker) and settings.workers > 1:
            # Workers could not tell each other about changes: stay correct, stay off.
            return None
        freshness = BrokerEvictions(store, broker)
    cache = ReadCache(store, freshness)
    db.commit_hooks.append(cache.committed)
    return cache

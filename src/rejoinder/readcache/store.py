"""A byte-bounded LRU of serialized thread reads, with per-page eviction.

Keys are the exact query strings of anonymous ``GET /api/v1/threads`` requests, so a repeat
read needs no URL parsing. Each entry remembers the page and the ``thread_version`` it was
read at; ``freshness`` decides whether that version is still current.

Eviction can race with a read that started before it: the read fetched version 7, a write
committed version 8 and evicted the page, and then the read stores its version-7 body.
``mark()`` before the read and ``put(..., since=mark)`` after it close that gap: a page
evicted after the mark is not stored.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# How many recent evictions are remembered for the race check above. A read that spans more
# evictions than this is not plausible; the entry's TTL bounds the damage if it happens.
RECENT_EVICTIONS = 10_000


@dataclass(slots=True, frozen=True)
class Entry:
    page_id: int
    version: int
    body: bytes
    etag: bytes
    stored_at: float


class ThreadCache:
    def __init__(
        self,
        max_bytes: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        # One huge thread must not push out everything else.
        self.max_entry_bytes = max(max_bytes // 4, 1)
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self._keys_by_page: dict[int, set[bytes]] = {}
        self._bytes = 0
        self._sequence = 0
        self._evicted_at: OrderedDict[int, int] = OrderedDict()
        self._cleared_at = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: bytes) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry.stored_at > self.ttl_seconds:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def mark(self) -> int:
        """A point in the eviction history, taken before reading from the database."""
        return self._sequence

    def put(
        self, key: bytes, page_id: int, version: int, body: bytes, etag: bytes, since: int
    ) -> bool:
        """Store a body read after ``since``; False when it may already be stale or is too big."""
        cost = len(key) + len(body)
        if cost > self.max_entry_bytes:
            return False
        if since < self._cleared_at or self._evicted_at.get(page_id, -1) > since:
            return False
        if key in self._entries:
            self._drop(key)
        # An exact-size copy: orjson's output keeps its growth buffer (16 KB allocated for a
        # 5 KB body), so the cache would hold ~3x the bytes it counts (issue 8, memory).
        body = memoryview(body).tobytes()
        self._entries[key] = Entry(page_id, version, body, etag, self._clock())
        self._keys_by_page.setdefault(page_id, set()).add(key)
        self._bytes += cost
        while self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)
        return True

    def discard(self, key: bytes) -> None:
        if key in self._entries:
            self._drop(key)

    def evict_page(self, page_id: int) -> None:
        self._sequence += 1
        self._evicted_at[page_id] = self._sequence
        self._evicted_at.move_to_end(page_id)
        while len(self._evicted_at) > RECENT_EVICTIONS:
            self._evicted_at.popitem(last=False)
        for key in list(self._keys_by_page.get(page_id, ())):
            self._drop(key)

    def clear(self) -> None:
        self._sequence += 1
        self._cleared_at = self._sequence
        self._entries.clear()
        self._keys_by_page.clear()
        self._evicted_at.clear()
        self._bytes = 0

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(key) + len(entry.body)
        keys = self._keys_by_page.get(entry.page_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._keys_by_page[entry.page_id]

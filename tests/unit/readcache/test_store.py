"""The thread cache's store: bounded by bytes, per-page eviction, TTL, and the read race."""

from __future__ import annotations

from rejoinder.readcache.store import ThreadCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def put(cache: ThreadCache, key: bytes, page_id: int, body: bytes = b"x" * 10) -> bool:
    return cache.put(key, page_id, 1, body, b'"e"', cache.mark())


def test_get_returns_what_was_put() -> None:
    cache = ThreadCache(1000, 60)
    assert put(cache, b"url=a", 1, b"body")
    entry = cache.get(b"url=a")
    assert entry is not None
    assert entry.body == b"body"
    assert entry.page_id == 1
    assert cache.get(b"url=b") is None


def test_size_is_bounded_least_recently_used_first() -> None:
    cache = ThreadCache(120, 60)
    for n in range(5):
        put(cache, f"k{n}".encode(), n, b"x" * 20)  # 22 bytes each with the key
    cache.get(b"k0")  # k0 is now the most recently used
    put(cache, b"k5", 5, b"x" * 20)
    assert cache.size_bytes <= 120
    assert cache.get(b"k0") is not None
    assert cache.get(b"k1") is None


def test_an_entry_bigger_than_a_quarter_is_not_kept() -> None:
    cache = ThreadCache(100, 60)
    assert not put(cache, b"k", 1, b"x" * 30)
    assert len(cache) == 0


def test_evicting_a_page_drops_every_query_of_it() -> None:
    cache = ThreadCache(1000, 60)
    put(cache, b"url=a&sort=top", 1)
    put(cache, b"url=a&sort=new", 1)
    put(cache, b"url=b", 2)
    cache.evict_page(1)
    assert cache.get(b"url=a&sort=top") is None
    assert cache.get(b"url=a&sort=new") is None
    assert cache.get(b"url=b") is not None
    assert cache.size_bytes == len(b"url=b") + 10


def test_entries_expire() -> None:
    clock = FakeClock()
    cache = ThreadCache(1000, 60, clock=clock)
    put(cache, b"k", 1)
    clock.now += 59
    assert cache.get(b"k") is not None
    clock.now += 2
    assert cache.get(b"k") is None
    assert cache.size_bytes == 0


def test_a_read_that_raced_an_eviction_is_not_stored() -> None:
    cache = ThreadCache(1000, 60)
    since = cache.mark()  # a read starts
    cache.evict_page(7)  # a write to page 7 commits meanwhile
    assert not cache.put(b"k", 7, 1, b"old", b'"e"', since)
    assert cache.put(b"k2", 8, 1, b"other page", b'"e"', since)  # other pages are fine
    assert cache.put(b"k", 7, 2, b"new", b'"e"', cache.mark())


def test_a_read_that_raced_a_clear_is_not_stored() -> None:
    cache = ThreadCache(1000, 60)
    since = cache.mark()
    cache.clear()
    assert not cache.put(b"k", 1, 1, b"old", b'"e"', since)
    assert len(cache) == 0

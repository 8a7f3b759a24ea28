"""The thread cache keeps its own exact-size copy of each body (issue 8, memory).

orjson hands out bytes objects that keep their growth buffer: a 5 KB thread body can hold a
16 KB allocation. Kept as is, a cache bounded at 32 MB of counted bytes would hold ~3x that.
The contract checked here (no memory measured): what the cache keeps is a new object with
the same bytes, so it is sized to its content whatever the serializer allocated.
"""

from __future__ import annotations

import orjson

from rejoinder.readcache.store import ThreadCache


def test_the_cache_keeps_a_copy_of_the_body_not_the_serializers_object() -> None:
    cache = ThreadCache(1_000_000, 60)
    body = orjson.dumps({"comments": [{"id": n, "html": "<p>" + "x" * 400} for n in range(12)]})
    assert cache.put(b"url=a", 1, 1, body, b'"e"', cache.mark())
    entry = cache.get(b"url=a")
    assert entry is not None
    assert entry.body == body
    assert entry.body is not body

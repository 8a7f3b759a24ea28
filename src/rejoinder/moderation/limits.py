"""Rate limits as token buckets: ``N/SECONDS`` means a burst of N, refilled at N per SECONDS.

A bucket is keyed by what it protects, e.g. ``login:ip:203.0.113.9`` or ``login:user:alice``.
Each event takes one token; an empty bucket answers with the seconds until the next token,
which becomes the ``Retry-After`` of a 429. Checking and taking happen in one step (no
check-then-insert race): in-process there is no ``await`` between them, and the Redis backend
runs them as one Lua script so the limit holds across workers.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rejoinder.errors import RateLimited
from rejoinder.settings import parse_rate


@dataclass(frozen=True, slots=True)
class Rate:
    burst: int
    period: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        burst, period = parse_rate(text)
        return cls(burst, period)

    @property
    def per_second(self) -> float:
        return self.burst / self.period


class RateLimiter(Protocol):
    async def take(self, key: str, rate: Rate) -> float:
        """Take a token: 0.0 when allowed, else the seconds until one is available."""
        ...


class MemoryRateLimiter:
    """Buckets in this process's memory; right for a single worker."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    async def take(self, key: str, rate: Rate) -> float:
        now = self._clock()
        tokens, updated = self._buckets.pop(key, (float(rate.burst), now))
        tokens = min(float(rate.burst), tokens + (now - updated) * rate.per_second)
        if tokens >= 1.0:
            tokens -= 1.0
            wait = 0.0
        else:
            wait = (1.0 - tokens) / rate.per_second
        self._buckets[key] = (tokens, now)
        # The least recently touched buckets are the likeliest to be full again: dropping
        # them first bounds memory without loosening a limit anyone is hitting.
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


async def enforce(limiter: RateLimiter, rate: Rate, *keys: str, message: str | None = None) -> None:
    """Take a token from every bucket named; raise ``RateLimited`` with the longest wait."""
    waits = [await limiter.take(key, rate) for key in keys]
    longest = max(waits, default=0.0)
    if longest > 0:
        raise RateLimited(longest, message)

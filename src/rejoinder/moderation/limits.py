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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rejoinder.errors import RateLimited
from rejoinder.settings import parse_rate

if TYPE_CHECKING:
    from redis.asyncio import Redis


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

    async def take_all(self, keys: Sequence[str], rate: Rate) -> float:
        """Take one token from every bucket, or none if any is empty (then: the longest wait).

        All-or-nothing matters under concurrency: a request refused by the account's bucket
        must not spend a token of the address's bucket, or a burst ends below the limit.
        """
        ...


class MemoryRateLimiter:
    """Buckets in this process's memory; right for a single worker."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    async def take(self, key: str, rate: Rate) -> float:
        return await self.take_all([key], rate)

    async def take_all(self, keys: Sequence[str], rate: Rate) -> float:
        # No await in here: in one process, checking and taking cannot interleave.
        now = self._clock()
        levels = {}
        for key in keys:
            tokens, updated = self._buckets.pop(key, (float(rate.burst), now))
            levels[key] = min(float(rate.burst), tokens + (now - updated) * rate.per_second)
        wait = max(((1.0 - tokens) / rate.per_second for tokens in levels.values()), default=0.0)
        wait = max(wait, 0.0)
        for key, tokens in levels.items():
            self._buckets[key] = (tokens - 1.0 if wait == 0.0 else tokens, now)
        # The least recently touched buckets are the likeliest to be full again: dropping
        # them first bounds memory without loosening a limit anyone is hitting.
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


# Refill every bucket named, then take from all of them or from none, in one atomic step on
# the Redis server, timed by the server's own clock so workers with skewed clocks agree. Lua
# numbers become integers on the way out, so the wait is returned as a string.
_TAKE_SCRIPT = """
local burst = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local levels = {}
local wait = 0
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'tokens', 'updated')
  local tokens = tonumber(state[1])
  local updated = tonumber(state[2])
  if tokens == nil or updated == nil then
    tokens = burst
    updated = now
  end
  tokens = math.min(burst, tokens + math.max(0, now - updated) * per_second)
  if tokens < 1 then
    wait = math.max(wait, (1 - tokens) / per_second)
  end
  levels[i] = tokens
end
for i, key in ipairs(KEYS) do
  local tokens = levels[i]
  if wait == 0 then
    tokens = tokens - 1
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'updated', tostring(now))
  redis.call('PEXPIRE', key, ARGV[3])
end
return tostring(wait)
"""


class RedisRateLimiter:
    """Buckets in Redis under ``prefix``: one limit shared by every worker and server."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix + "limit:"
        self._script = client.register_script(_TAKE_SCRIPT)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisRateLimiter:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url), prefix)

    async def take(self, key: str, rate: Rate) -> float:
        return await self.take_all([key], rate)

    async def take_all(self, keys: Sequence[str], rate: Rate) -> float:
        if not keys:
            return 0.0
        # A bucket left alone for one period is full again: Redis may forget it by then.
        ttl_ms = int(rate.period * 1000) + 1000
        wait = await self._script(
            keys=[self._prefix + key for key in keys],
            args=[rate.burst, repr(rate.per_second), ttl_ms],
        )
        return float(wait)

    async def close(self) -> None:
        await self._client.aclose()


async def enforce(limiter: RateLimiter, rate: Rate, *keys: str, message: str | None = None) -> None:
    """Take a token from every bucket named, or raise ``RateLimited`` with the longest wait."""
    wait = await limiter.take_all(keys, rate)
    if wait > 0:
        raise RateLimited(wait, message)

"""Rate limits as token buckets: ``N/SECONDS`` means a burst of N, refilled at N per SECONDS.

A bucket is keyed by what it protects, e.g. ``login:ip:203.0.113.9`` or ``login:user:alice``.
Each event takes one token; an empty bucket answers with the seconds until the next token,
which becomes the ``Retry-After`` of a 429. Checking and taking happen in one step (no
check-then-insert race): in-process there is no ``await`` between them, and the Redis backend
runs them as one Lua script so the limit holds across workers.

When Redis cannot be reached, the Redis backend neither fails open nor refuses the request:
it falls back to buckets in the worker's memory until Redis answers again (see
``RedisRateLimiter``).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

from rejoinder.errors import RateLimited
from rejoinder.settings import parse_rate

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("rejoinder.limits")


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
    """Buckets in Redis under ``prefix``: one limit shared by every worker and server.

    While Redis is unreachable each worker limits with its own in-memory buckets, and tries
    Redis again every ``retry_seconds``. Failing open would lift every limit (login
    guessing, comment floods) exactly when an attacker can cause the outage; answering 503
    would take all writing down with a service that only guards it. Buckets per worker keep
    the limits, at worst N workers times looser, and writes keep working. When Redis is back
    its buckets take over again, with the levels they had.
    """

    def __init__(
        self,
        client: Redis,
        prefix: str,
        *,
        retry_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._prefix = prefix + "limit:"
        self._script = client.register_script(_TAKE_SCRIPT)
        self._fallback = MemoryRateLimiter(clock=clock)
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._down_until: float | None = None

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisRateLimiter:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # Short timeouts and one immediate retry: an unreachable Redis must cost a request a
        # moment, not seconds, before it is limited in memory instead; the retry replaces a
        # pooled connection that died with a Redis restart.
        client = Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 1)
        )
        return cls(client, prefix)

    @property
    def is_degraded(self) -> bool:
        """True while limits are kept in this worker's memory because Redis failed."""
        return self._down_until is not None

    async def take(self, key: str, rate: Rate) -> float:
        return await self.take_all([key], rate)

    async def take_all(self, keys: Sequence[str], rate: Rate) -> float:
        if not keys:
            return 0.0
        if self._down_until is not None and self._clock() < self._down_until:
            return await self._fallback.take_all(keys, rate)
        # A bucket left alone for one period is full again: Redis may forget it by then.
        ttl_ms = int(rate.period * 1000) + 1000
        try:
            wait = await self._script(
                keys=[self._prefix + key for key in keys],
                args=[rate.burst, repr(rate.per_second), ttl_ms],
            )
        except (RedisError, OSError) as exc:
            if self._down_until is None:
                log.warning("Redis unreachable (%s): rate limits kept per worker for now", exc)
            self._down_until = self._clock() + self._retry_seconds
            return await self._fallback.take_all(keys, rate)
        if self._down_until is not None:
            log.warning("Redis is back: rate limits shared by every worker again")
            self._down_until = None
        return float(wait)

    async def close(self) -> None:
        await self._client.aclose()


async def enforce(limiter: RateLimiter, rate: Rate, *keys: str, message: str | None = None) -> None:
    """Take a token from every bucket named, or raise ``RateLimited`` with the longest wait."""
    wait = await limiter.take_all(keys, rate)
    if wait > 0:
        raise RateLimited(wait, message)

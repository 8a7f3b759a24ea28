"""The Redis token bucket: same arithmetic as in memory, one bucket for every client."""

from __future__ import annotations

import secrets

import pytest
import redis.asyncio as aioredis
from conftest import REDIS_URL, unavailable

from rejoinder.moderation.limits import Rate, RedisRateLimiter

pytestmark = pytest.mark.anyio


@pytest.fixture
async def prefix():
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as exc:
        await client.aclose()
        unavailable(f"Redis at {REDIS_URL}", exc)
    value = f"rejoinder-unit-{secrets.token_hex(6)}:"
    yield value
    keys = [key async for key in client.scan_iter(match=value + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_burst_then_wait(prefix):
    limiter = RedisRateLimiter.from_url(REDIS_URL, prefix)
    try:
        rate = Rate.parse("3/60")
        assert [await limiter.take("k", rate) for _ in range(3)] == [0.0, 0.0, 0.0]
        wait = await limiter.take("k", rate)
        assert 19.0 < wait <= 20.0
        assert await limiter.take("other", rate) == 0.0
    finally:
        await limiter.close()


async def test_two_limiters_share_buckets_and_keys_expire(prefix):
    first = RedisRateLimiter.from_url(REDIS_URL, prefix)
    second = RedisRateLimiter.from_url(REDIS_URL, prefix)
    try:
        rate = Rate.parse("2/30")
        assert await first.take("shared", rate) == 0.0
        assert await second.take("shared", rate) == 0.0
        assert await first.take("shared", rate) > 0
        ttl = await first._client.pttl(prefix + "limit:shared")
        assert 0 < ttl <= 31_000
    finally:
        await first.close()
        await second.close()


async def test_all_or_nothing_across_buckets(prefix):
    limiter = RedisRateLimiter.from_url(REDIS_URL, prefix)
    try:
        rate = Rate.parse("1/60")
        assert await limiter.take_all(["user:a", "ip:1"], rate) == 0.0
        assert await limiter.take_all(["user:b", "ip:1"], rate) > 0
        # The refusal above left user:b's token in place.
        assert await limiter.take_all(["user:b", "ip:2"], rate) == 0.0
    finally:
        await limiter.close()

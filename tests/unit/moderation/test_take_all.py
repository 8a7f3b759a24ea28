"""Several buckets at once: a refused request takes from none of them."""

from __future__ import annotations

import pytest

from rejoinder.errors import RateLimited
from rejoinder.moderation.limits import MemoryRateLimiter, Rate, enforce

pytestmark = pytest.mark.anyio


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_refusal_by_one_bucket_spends_nothing_from_the_others():
    limiter = MemoryRateLimiter(clock=FakeClock())
    rate = Rate.parse("2/60")
    assert await limiter.take_all(["user:a", "ip:1"], rate) == 0.0
    assert await limiter.take_all(["user:a", "ip:1"], rate) == 0.0
    # user:a is empty now; ip:1 too. A second account from the same address is refused...
    assert await limiter.take_all(["user:b", "ip:1"], rate) > 0
    # ...without spending user:b's tokens: from another address it still has both.
    assert await limiter.take_all(["user:b", "ip:2"], rate) == 0.0
    assert await limiter.take_all(["user:b", "ip:3"], rate) == 0.0
    assert await limiter.take_all(["user:b", "ip:4"], rate) > 0


async def test_wait_is_the_longest_of_the_empty_buckets():
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    await limiter.take_all(["slow"], Rate.parse("1/100"))
    await limiter.take_all(["fast"], Rate.parse("1/100"))
    clock.now += 50
    assert await limiter.take_all(["slow", "fast"], Rate.parse("1/100")) == pytest.approx(50.0)
    with pytest.raises(RateLimited) as caught:
        await enforce(limiter, Rate.parse("1/100"), "slow", "fast")
    assert caught.value.retry_after == 50


async def test_no_keys_is_allowed():
    assert await MemoryRateLimiter().take_all([], Rate.parse("1/60")) == 0.0

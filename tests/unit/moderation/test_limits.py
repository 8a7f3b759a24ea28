"""Token-bucket arithmetic, with a fake clock."""

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


async def test_burst_then_refill():
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    rate = Rate.parse("3/60")
    assert [await limiter.take("k", rate) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await limiter.take("k", rate) == pytest.approx(20.0)
    clock.now += 20
    assert await limiter.take("k", rate) == 0.0
    assert await limiter.take("k", rate) == pytest.approx(20.0)


async def test_keys_are_independent():
    limiter = MemoryRateLimiter(clock=FakeClock())
    rate = Rate.parse("1/60")
    assert await limiter.take("a", rate) == 0.0
    assert await limiter.take("b", rate) == 0.0
    assert await limiter.take("a", rate) > 0


async def test_enforce_raises_with_longest_wait():
    limiter = MemoryRateLimiter(clock=FakeClock())
    await enforce(limiter, Rate.parse("1/10"), "x", "y")
    with pytest.raises(RateLimited) as caught:
        await enforce(limiter, Rate.parse("1/10"), "x", "y")
    assert caught.value.retry_after == 10
    assert caught.value.headers() == {"Retry-After": "10"}


async def test_memory_is_bounded():
    limiter = MemoryRateLimiter(max_keys=10, clock=FakeClock())
    for index in range(100):
        await limiter.take(f"k{index}", Rate.parse("1/60"))
    assert len(limiter._buckets) == 10


@pytest.mark.parametrize("text", ["", "10", "0/60", "5/0", "a/b", "-1/5"])
def test_bad_rates_are_refused(text):
    with pytest.raises(ValueError):
        Rate.parse(text)

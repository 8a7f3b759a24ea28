"""The remembered "is any webhook active" answer: kept for its TTL, dropped by `forget`."""

from __future__ import annotations

import pytest

from rejoinder.webhooks.presence import WebhookPresence

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Lookup:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        return self.answer


async def test_answer_is_remembered_until_the_ttl_passes():
    clock = Clock()
    presence = WebhookPresence(ttl=5.0, clock=clock)
    lookup = Lookup(False)
    assert await presence.any_active("db", lookup) is False
    lookup.answer = True  # another worker added a hook
    clock.now += 4.9
    assert await presence.any_active("db", lookup) is False
    clock.now += 0.2
    assert await presence.any_active("db", lookup) is True
    assert lookup.calls == 2


async def test_forget_makes_the_next_call_look_again():
    presence = WebhookPresence(clock=Clock())
    lookup = Lookup(False)
    await presence.any_active("db", lookup)
    lookup.answer = True
    presence.forget("db")
    assert await presence.any_active("db", lookup) is True


async def test_databases_are_remembered_apart():
    presence = WebhookPresence(clock=Clock())
    assert await presence.any_active("a", Lookup(True)) is True
    assert await presence.any_active("b", Lookup(False)) is False
    assert await presence.any_active("a", Lookup(False)) is True


async def test_a_lookup_overtaken_by_forget_is_not_remembered():
    # The lookup read before the hook's transaction committed; the commit's forget came
    # while it was in flight, so its "no" must not stick for the whole TTL.
    presence = WebhookPresence(clock=Clock())

    async def stale() -> bool:
        presence.forget("db")
        return False

    assert await presence.any_active("db", stale) is False
    assert await presence.any_active("db", Lookup(True)) is True

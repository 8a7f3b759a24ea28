"""Whether any webhook is active, remembered per process so most writes skip the lookup.

Most instances have no webhooks, yet every new comment and report would otherwise cost the
webhook listener a read transaction just to learn that. The answer is kept per process and
per database (tests run many apps in one process, on different databases):

- This process forgets it as soon as one of its transactions that created or deleted a
  webhook commits (`forget_after_commit`), so a hook works from the next comment on.
- Other processes (``rejoinder serve --workers N``) cannot be told without a message bus,
  so they keep their answer for at most `TTL_SECONDS`: for up to 5 seconds after an admin
  adds the first webhook, comments handled by another worker do not produce a delivery.
  Removing a hook needs no haste: a stale "yes" only costs the full lookup, which finds no
  subscriber.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

TTL_SECONDS = 5.0


@dataclass(slots=True)
class _Answer:
    active: bool
    until: float


class WebhookPresence:
    """``await presence.any_active(key, lookup)``: the remembered or freshly looked-up answer."""

    def __init__(
        self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self._answers: dict[str, _Answer] = {}
        # Bumped by `forget`: a lookup that started before a forget must not store its
        # (possibly pre-commit) answer afterwards.
        self._generation = 0

    async def any_active(self, key: str, lookup: Callable[[], Awaitable[bool]]) -> bool:
        answer = self._answers.get(key)
        now = self.clock()
        if answer is not None and now < answer.until:
            return answer.active
        generation = self._generation
        active = await lookup()
        if generation == self._generation:
            self._answers[key] = _Answer(active, now + self.ttl)
        return active

    def forget(self, key: str) -> None:
        self._answers.pop(key, None)
        self._generation += 1

    def forget_after_commit(self, session: AsyncSession) -> None:
        """Forget the answer for the session's database once its transaction commits."""
        key = database_key(session.sync_session)

        def _forget(_session: Session) -> None:
            self.forget(key)

        self.forget(key)
        event.listen(session.sync_session, "after_commit", _forget, once=True)


def database_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


# One per process: the service that changes hooks and the listener that reads them share it.
presence = WebhookPresence()

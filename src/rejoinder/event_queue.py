"""`QueuedListener`: an event listener that enqueues and returns, and a task that handles.

Listeners in ``app.state.event_listeners`` are awaited by the request after its commit, so
slow work there would delay the response. A queued listener only puts the event on a bounded
in-process queue; `run` (started in the app's lifespan) handles the events that queued up
(`handle_batch`, by default one at a time) in transactions of its own. If the handler falls
``QUEUE_SIZE`` events behind (the database is down), further events are dropped with a log
line rather than growing memory without bound.
Events live in memory: a process that dies with events queued loses what they would have
caused (notifications, webhook deliveries), never the committed write itself.
"""

from __future__ import annotations

import abc
import asyncio
import logging

import anyio

from rejoinder import events

log = logging.getLogger("rejoinder.events")

QUEUE_SIZE = 10_000
# Under a burst of writes events queue up; a batch lets a listener share one lookup.
BATCH_SIZE = 100
_STOP = object()
AnyEvent = events.Event | events.ModeratorActed


class QueuedListener(abc.ABC):
    """Subclasses say which events they take (`accepts`) and what to do (`handle`)."""

    name = "events"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[AnyEvent] = asyncio.Queue(QUEUE_SIZE)

    @abc.abstractmethod
    def accepts(self, event: AnyEvent) -> bool:
        """Whether this listener queues the event at all (cheap: runs in the request)."""

    @abc.abstractmethod
    async def handle(self, event: AnyEvent) -> None:
        """Do the work for one event, in a transaction of the listener's own."""

    async def __call__(self, event: AnyEvent) -> None:
        if not self.accepts(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("%s queue full; dropped %r", self.name, event)

    async def handle_batch(self, batch: list[AnyEvent]) -> None:
        """Events that queued up together (under load); one failure never stops the rest.

        By default each is handled alone; a listener overrides this to share work, such as
        one lookup for the whole batch.
        """
        for event in batch:
            try:
                await self.handle(event)
            except Exception:
                log.exception("%s: could not handle %r", self.name, event)

    async def run(self) -> None:
        """Handle queued events until `stop`, taking whatever has queued up at once."""
        while True:
            batch = [await self.queue.get()]
            while len(batch) < BATCH_SIZE and batch[-1] is not _STOP and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            stopping = batch[-1] is _STOP
            events_ = batch[:-1] if stopping else batch
            try:
                if events_:
                    await self.handle_batch(events_)
            except Exception:
                log.exception("%s: could not handle %d events", self.name, len(events_))
            finally:
                for _ in batch:
                    self.queue.task_done()
            if stopping:
                return

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Finish the event in hand and what is queued, then return from `run`.

        Cancelling `run` in the middle of a database transaction can leave the driver's
        connection thread waiting on a lock while the loop shuts down; letting the handler
        finish its transaction first avoids that.
        """
        try:
            self.queue.put_nowait(_STOP)  # type: ignore[arg-type]
        except asyncio.QueueFull:
            return
        with anyio.move_on_after(grace_seconds):
            await self.queue.join()

    async def settle(self) -> None:
        """Wait until every event queued so far is handled (tests use this)."""
        await self.queue.join()

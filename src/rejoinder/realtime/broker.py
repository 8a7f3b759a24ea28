"""Fan-out of live messages from the process that wrote to every reader watching the topic.

A topic is a string such as ``page:<sha256 of the page key>``; a message is opaque bytes
(the stream pre-renders them, so fanning out to 10,000 readers copies no JSON). Two layers:

- ``Fanout`` is the in-process part, the same for both brokers: a dict from topic to the set
  of local ``Subscription`` objects, each a small bounded deque plus a future to wake its
  reader. Delivery is a loop of ``deque.append``; nothing awaits, so one slow reader cannot
  hold up the others. A reader whose deque is full has fallen behind (a stalled connection):
  it is closed with reason ``"lagged"`` instead of buffering without bound, and its stream
  tells the browser to reconnect and re-read the thread. An idle subscription holds an empty
  deque and a few references (the unit test measures it; well under 1 KB).
- The broker decides where a published message goes. ``MemoryBroker`` hands it straight to
  the local ``Fanout`` (one process). ``RedisBroker`` publishes it on the Redis channel
  ``{prefix}topic:{topic}``; every worker holds ONE pub/sub connection pattern-subscribed to
  ``{prefix}topic:*`` and feeds what arrives into its local ``Fanout``, so a comment written
  by worker A reaches readers connected to worker B, and the number of Redis connections does
  not grow with the number of readers.

Each message delivered by a process gets the next number of a process-wide counter, the SSE
``id``. Nothing is kept for replay: a reader who missed messages (reconnect, lag, Redis
outage) re-reads the thread, which is the source of truth. That is also why, when Redis comes
back after an outage, every local subscription is closed with reason ``"resync"``: messages
published by other workers in between are lost, and the readers must re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import NamedTuple, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from rejoinder.settings import Settings

log = logging.getLogger("rejoinder.realtime")

# Messages a reader may have waiting before it counts as stalled. A live browser drains its
# queue in microseconds; 64 covers a burst of votes on a busy thread.
QUEUE_SIZE = 64


class Message(NamedTuple):
    id: int
    data: bytes


class SubscriptionClosed(Exception):
    """The broker stopped delivering to this subscription; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Subscription:
    """One reader's view of a topic: an async iterator of ``Message``.

    Iteration ends when the broker closes the subscription (``closed_reason`` says why:
    ``"lagged"``, ``"resync"`` or ``"shutdown"``). ``get(wait_seconds)`` is the same with a
    deadline, for streams that must send keep-alives while idle.
    """

    __slots__ = ("_queue", "_waiter", "closed_reason", "topic")

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._queue: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed_reason: str | None = None

    def offer(self, message: Message) -> bool:
        """Queue a message; False (and closed) when the reader has fallen too far behind."""
        if self.closed_reason is not None:
            return False
        if len(self._queue) >= QUEUE_SIZE:
            self.close("lagged")
            return False
        self._queue.append(message)
        self._wake()
        return True

    def close(self, reason: str) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            self._queue.clear()
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self, wait_seconds: float | None = None) -> Message | None:
        """The next message, or None when ``wait_seconds`` pass without one.

        Raises:
            SubscriptionClosed: the broker will deliver nothing more to this subscription.
        """
        if not self._queue and self.closed_reason is None:
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            # A timer on the future rather than asyncio.wait_for: no task per wait.
            timer = loop.call_later(wait_seconds, self._wake) if wait_seconds is not None else None
            try:
                await self._waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        if self._queue:
            return self._queue.popleft()
        if self.closed_reason is not None:
            raise SubscriptionClosed(self.closed_reason)
        return None

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        while True:
            try:
                message = await self.get()
            except SubscriptionClosed:
                raise StopAsyncIteration from None
            if message is not None:
                return message


class Fanout:
    """Local subscriptions by topic, and delivery to them."""

    def __init__(self) -> None:
        self._topics: dict[str, set[Subscription]] = {}
        self._ids = itertools.count(1)

    def add(self, topic: str) -> Subscription:
        subscription = Subscription(topic)
        self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        subscribers = self._topics.get(subscription.topic)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._topics[subscription.topic]

    def deliver(self, topic: str, data: bytes) -> int:
        """Hand ``data`` to every local subscriber of ``topic``; returns how many took it."""
        subscribers = self._topics.get(topic)
        if not subscribers:
            return 0
        message = Message(next(self._ids), data)
        delivered = 0
        for subscription in list(subscribers):
            if subscription.offer(message):
                delivered += 1
            else:
                self.remove(subscription)
        return delivered

    def close_all(self, reason: str) -> None:
        for subscribers in list(self._topics.values()):
            for subscription in list(subscribers):
                subscription.close(reason)
        self._topics.clear()

    def count(self, topic: str | None = None) -> int:
        """Local subscribers of ``topic``, or of every topic."""
        if topic is not None:
            return len(self._topics.get(topic, ()))
        return sum(map(len, self._topics.values()))


class Broker(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, data: bytes) -> None: ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[Subscription]: ...

    def count(self, topic: str | None = None) -> int: ...


class MemoryBroker:
    """Publish and subscribe within one process."""

    def __init__(self) -> None:
        self.fanout = Fanout()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.fanout.close_all("shutdown")

    async def publish(self, topic: str, data: bytes) -> None:
        self.fanout.deliver(topic, data)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        subscription = self.fanout.add(topic)
        try:
            yield subscription
        finally:
            self.fanout.remove(subscription)

    def count(self, topic: str | None = None) -> int:
        return self.fanout.count(topic)


def _glob_escape(text: str) -> str:
    """Escape Redis glob characters so a prefix like ``app[1]:`` matches only itself."""
    return "".join("\\" + char if char in "\\*?[]" else char for char in text)


class RedisBroker:
    """Publish through Redis; one pattern subscription per process feeds the local fan-out.

    When Redis is unreachable the listener retries with exponential backoff (``min_backoff``
    doubling to ``max_backoff``) and logs each failure; meanwhile ``publish`` delivers to this
    process's readers only, so a single-worker deployment keeps working.
    """

    # Without traffic, ping this often so a silently dead connection is noticed.
    IDLE_PING_SECONDS = 30.0

    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        startup_wait: float = 5.0,
    ) -> None:
        self.fanout = Fanout()
        self.url = url
        self.channel_prefix = f"{prefix}topic:"
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.startup_wait = startup_wait
        self._backoff = min_backoff
        self._redis: Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._state = asyncio.Condition()
        # Set once the first pub/sub connection is up, so a later success is a recovery.
        self._was_connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self) -> None:
        # One immediate retry inside redis-py, no more: a publish while Redis is down should
        # fall back at once, not stall the request that triggered it (the listener does its
        # own retries). The one retry is for the pooled connection that died with a Redis
        # restart the listener already recovered from: the retry opens a new connection.
        self._redis = Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1)
        )
        self._task = asyncio.create_task(self._listen_forever(), name="rejoinder-redis-broker")
        # Give the first connection a moment, so the worker's first readers miss nothing;
        # if Redis is down the worker starts anyway and the listener keeps trying.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.startup_wait):
                await self.wait_connected()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        self.fanout.close_all("shutdown")

    async def publish(self, topic: str, data: bytes) -> None:
        if self._redis is None or not self._connected:
            # Down (or not started): other workers miss this, and their readers will resync
            # when Redis is back; this worker's readers still get it.
            log.warning("Redis is unreachable: live update for %s delivered locally only", topic)
            self.fanout.deliver(topic, data)
            return
        try:
            await self._redis.publish(self.channel_prefix + topic, data)
        except (RedisError, OSError) as exc:
            log.warning("Redis publish failed (%s): delivered locally only", exc)
            self.fanout.deliver(topic, data)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        subscription = self.fanout.add(topic)
        try:
            yield subscription
        finally:
            self.fanout.remove(subscription)

    def count(self, topic: str | None = None) -> int:
        return self.fanout.count(topic)

    async def wait_connected(self, connected: bool = True) -> None:
        """Wait until the listener is (or is no longer) connected; tests use it."""
        async with self._state:
            await self._state.wait_for(lambda: self._connected is connected)

    async def _set_connected(self, connected: bool) -> None:
        async with self._state:
            self._connected = connected
            self._state.notify_all()

    async def _listen_forever(self) -> None:
        # _listen_once returns only by raising; the backoff restarts from min_backoff after
        # every connection that got as far as subscribing.
        while True:
            try:
                await self._listen_once()
            except (RedisError, OSError) as exc:
                log.warning("Redis pub/sub unreachable (%s); retrying in %.1fs", exc, self._backoff)
            except Exception:
                # Whatever went wrong, live updates must not stop for the life of the worker.
                log.exception("Redis pub/sub listener failed; retrying in %.1fs", self._backoff)
            await self._set_connected(False)
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, self.max_backoff)

    async def _listen_once(self) -> None:
        assert self._redis is not None
        pubsub: PubSub = self._redis.pubsub()
        try:
            await pubsub.psubscribe(_glob_escape(self.channel_prefix) + "*")
            # psubscribe() only sends the command; until Redis confirms it, a message
            # published elsewhere may not be routed to this connection yet.
            confirmation = await pubsub.get_message(timeout=self.startup_wait)
            if confirmation is None or confirmation["type"] != "psubscribe":
                raise ConnectionError(f"Redis did not confirm the subscription: {confirmation}")
            self._backoff = self.min_backoff
            # Connected first, resync second: a reader told to resync re-reads and may post
            # at once, and that comment must go through Redis, not stay on this worker.
            await self._set_connected(True)
            if self._was_connected:
                log.warning("Redis pub/sub is back; asking live readers to resync")
                self.fanout.close_all("resync")
            else:
                log.info("Redis pub/sub connected")
            self._was_connected = True
            await self._pump(pubsub)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py

    async def _pump(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        prefix = self.channel_prefix.encode()
        while True:
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=self.IDLE_PING_SECONDS
            )
            if message is None:
                if loop.time() - last_heard > 2 * self.IDLE_PING_SECONDS:
                    raise ConnectionError("no answer to ping from Redis")
                await pubsub.ping()
                continue
            last_heard = loop.time()
            if message["type"] != "pmessage":
                continue
            channel: bytes = message["channel"]
            if channel.startswith(prefix):
                topic = channel[len(prefix) :].decode(errors="replace")
                self.fanout.deliver(topic, message["data"])


def make_broker(settings: Settings) -> MemoryBroker | RedisBroker:
    """Redis when ``redis_url`` is set (several workers), otherwise in-process."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url, settings.redis_prefix)
    return MemoryBroker()

"""The broker: in-process fan-out, bounded queues, and Redis fan-out across processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import tracemalloc
from collections.abc import AsyncIterator

import anyio
import pytest
from conftest import REDIS_URL, unavailable
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rejoinder.realtime.broker import (
    QUEUE_SIZE,
    MemoryBroker,
    RedisBroker,
    SubscriptionClosed,
    _glob_escape,
    make_broker,
)
from rejoinder.settings import Settings

pytestmark = pytest.mark.anyio

WAIT = 5  # seconds any single wait may take before the test fails instead of hanging


@pytest.fixture
async def broker() -> AsyncIterator[MemoryBroker]:
    memory = MemoryBroker()
    await memory.start()
    yield memory
    await memory.stop()


class TestMemoryBroker:
    async def test_publish_reaches_every_subscriber_of_the_topic_only(self, broker):
        async with (
            broker.subscribe("page:a") as first,
            broker.subscribe("page:a") as second,
            broker.subscribe("page:b") as other,
        ):
            await broker.publish("page:a", b"hello")
            with anyio.fail_after(WAIT):
                assert (await first.get()).data == b"hello"
                assert (await second.get()).data == b"hello"
            assert await other.get(0) is None

    async def test_ids_increase_across_messages_and_topics(self, broker):
        async with broker.subscribe("page:a") as a, broker.subscribe("page:b") as b:
            await broker.publish("page:a", b"1")
            await broker.publish("page:b", b"2")
            await broker.publish("page:a", b"3")
            with anyio.fail_after(WAIT):
                ids = [(await a.get()).id, (await b.get()).id, (await a.get()).id]
        assert ids == sorted(ids)
        assert len(set(ids)) == 3

    async def test_one_message_has_one_id_for_every_reader(self, broker):
        async with broker.subscribe("t") as a, broker.subscribe("t") as b:
            await broker.publish("t", b"x")
            with anyio.fail_after(WAIT):
                assert (await a.get()).id == (await b.get()).id

    async def test_leaving_the_context_unsubscribes(self, broker):
        async with broker.subscribe("page:a"):
            assert broker.count("page:a") == 1
        assert broker.count("page:a") == 0
        assert broker.count() == 0
        assert broker.fanout._topics == {}

    async def test_publish_without_subscribers_is_a_no_op(self, broker):
        await broker.publish("nobody", b"x")
        assert broker.count() == 0

    async def test_waiting_reader_wakes_on_publish(self, broker):
        async with broker.subscribe("t") as subscription:
            received: list[bytes] = []

            async def read_one() -> None:
                message = await subscription.get()
                assert message is not None
                received.append(message.data)

            with anyio.fail_after(WAIT):
                async with anyio.create_task_group() as group:
                    group.start_soon(read_one)
                    await anyio.wait_all_tasks_blocked()
                    await broker.publish("t", b"wake")
        assert received == [b"wake"]

    async def test_get_with_a_wait_returns_none_when_nothing_arrives(self, broker):
        async with broker.subscribe("t") as subscription:
            with anyio.fail_after(WAIT):
                assert await subscription.get(0.01) is None
            # The timer did not leave a waiter behind: a later message is still delivered.
            await broker.publish("t", b"later")
            assert (await subscription.get(0)).data == b"later"

    async def test_reader_that_falls_behind_is_dropped_not_buffered(self, broker):
        async with broker.subscribe("t") as stalled, broker.subscribe("t") as live:
            for number in range(QUEUE_SIZE + 5):
                await broker.publish("t", str(number).encode())
                with anyio.fail_after(WAIT):
                    assert (await live.get()).data == str(number).encode()
            assert stalled.closed_reason == "lagged"
            assert broker.count("t") == 1
            with pytest.raises(SubscriptionClosed) as closed:
                await stalled.get()
            assert closed.value.reason == "lagged"
            assert [message async for message in stalled] == []

    async def test_stop_ends_every_subscription(self):
        memory = MemoryBroker()
        async with memory.subscribe("t") as subscription:
            await memory.stop()
            with anyio.fail_after(WAIT):
                assert [message async for message in subscription] == []
            assert subscription.closed_reason == "shutdown"

    async def test_idle_subscriber_costs_well_under_20_kb(self, broker):
        """An idle reader: a task parked in ``get()`` inside ``subscribe()``."""
        count = 2000
        parked = 0
        all_parked = asyncio.Event()

        async def idle_reader(topic: str) -> None:
            nonlocal parked
            async with broker.subscribe(topic) as subscription:
                parked += 1
                if parked == count:
                    all_parked.set()
                # Nothing awaits between the counter and here, so the reader is parked in
                # get() before the measuring code runs again.
                await subscription.get()

        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tasks = [asyncio.create_task(idle_reader(f"page:{i % 100}")) for i in range(count)]
            with anyio.fail_after(WAIT * 4):
                await all_parked.wait()
            per_reader = (tracemalloc.get_traced_memory()[0] - before) / count
        finally:
            tracemalloc.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        assert broker.count() == 0
        # Measured at about 2.8 KB, most of it the task and its coroutine frames.
        assert per_reader < 20_000, per_reader


def test_glob_characters_in_prefixes_are_escaped():
    assert _glob_escape("app[1]*?:\\") == "app\\[1\\]\\*\\?:\\\\"


def test_broker_is_chosen_by_redis_url(tmp_path):
    assert isinstance(make_broker(Settings(data_dir=tmp_path)), MemoryBroker)
    redis = make_broker(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0"))
    assert isinstance(redis, RedisBroker)


# ---------------------------------------------------------------------------------------
# Redis


@pytest.fixture
async def redis_prefix() -> str:
    """A key prefix of this test's own, so runs and tests sharing a Redis never meet."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        unavailable(f"Redis at {REDIS_URL}", exc)
    await client.aclose()
    return f"rejoinder-test-{secrets.token_hex(6)}:"


@contextlib.asynccontextmanager
async def running(broker: RedisBroker) -> AsyncIterator[RedisBroker]:
    await broker.start()
    try:
        with anyio.fail_after(WAIT):
            await broker.wait_connected()
        yield broker
    finally:
        await broker.stop()


class Proxy:
    """A TCP proxy to Redis that the test can cut and restore, to play a Redis outage."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        for task in (
            asyncio.create_task(pipe(reader, up_writer)),
            asyncio.create_task(pipe(up_reader, writer)),
        ):
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def cut(self) -> None:
        """Stop listening and drop every connection, as a Redis restart does."""
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def stop(self) -> None:
        await self.cut()


def _redis_host_port() -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379


@pytest.mark.redis
class TestRedisBroker:
    async def test_message_published_by_one_process_reaches_readers_of_another(self, redis_prefix):
        async with (
            running(RedisBroker(REDIS_URL, redis_prefix)) as writer,
            running(RedisBroker(REDIS_URL, redis_prefix)) as reader,
            running(RedisBroker(REDIS_URL, redis_prefix + "other:")) as stranger,
            reader.subscribe("page:abc") as subscription,
            writer.subscribe("page:abc") as own,
            stranger.subscribe("page:abc") as unrelated,
        ):
            await writer.publish("page:abc", b"event: x\ndata: {}\n")
            await writer.publish("page:abc", b"second")
            with anyio.fail_after(WAIT):
                assert (await subscription.get()).data == b"event: x\ndata: {}\n"
                assert (await subscription.get()).data == b"second"
                # The writer's own worker gets them through Redis too, exactly once.
                assert (await own.get()).data == b"event: x\ndata: {}\n"
                assert (await own.get()).data == b"second"
            assert await own.get(0) is None
            assert await unrelated.get(0) is None

    async def test_reconnects_after_an_outage_and_asks_readers_to_resync(
        self, redis_prefix, caplog
    ):
        caplog.set_level(logging.INFO, logger="rejoinder.realtime")
        proxy = Proxy(*_redis_host_port())
        await proxy.start()
        url = f"redis://127.0.0.1:{proxy.port}/0"
        try:
            async with (
                running(RedisBroker(url, redis_prefix, min_backoff=0.05, max_backoff=0.2)) as via,
                running(RedisBroker(REDIS_URL, redis_prefix)) as direct,
            ):
                async with via.subscribe("t") as before_outage:
                    await proxy.cut()
                    with anyio.fail_after(WAIT):
                        await via.wait_connected(False)
                    # While down, a publish still reaches this worker's readers, and does
                    # not raise into the request that made it.
                    await via.publish("t", b"local")
                    with anyio.fail_after(WAIT):
                        assert (await before_outage.get()).data == b"local"
                    await proxy.start()  # same port: Redis is back
                    with anyio.fail_after(WAIT):
                        await via.wait_connected()
                        # Messages from other workers may have been lost: resync.
                        assert [m async for m in before_outage] == []
                    assert before_outage.closed_reason == "resync"
                async with via.subscribe("t") as after_outage:
                    await direct.publish("t", b"back")
                    with anyio.fail_after(WAIT):
                        assert (await after_outage.get()).data == b"back"
        finally:
            await proxy.stop()
        messages = [record.getMessage() for record in caplog.records]
        assert any("unreachable" in message for message in messages), messages
        assert any("is back" in message for message in messages), messages


async def test_worker_starts_and_serves_its_own_readers_while_redis_is_down(caplog):
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    broker = RedisBroker("redis://127.0.0.1:1/0", "x:", min_backoff=0.05, startup_wait=0.2)
    with anyio.fail_after(WAIT):
        await broker.start()
    try:
        assert not broker.connected
        async with broker.subscribe("t") as subscription:
            await broker.publish("t", b"local")
            with anyio.fail_after(WAIT):
                assert (await subscription.get()).data == b"local"
    finally:
        await broker.stop()
    assert "Redis pub/sub unreachable" in caplog.text

"""The server-sent event stream of one page: which topic a URL watches, and the byte stream.

Wire format (https://html.spec.whatwg.org/multipage/server-sent-events.html)::

    retry: 3000                       first: reconnect after 3 s if the connection drops

    id: 17                            one block per live update
    event: comment.created
    data: {"comment": {...}}

    : keep-alive                      after every idle interval, so proxies keep the line open

    event: reconnect                  last, after the maximum lifetime
    data: {}

``id`` numbers come from a per-process counter: they increase within a connection, but the
server keeps no history, so ``Last-Event-ID`` is not replayed. A client that reconnects (or
gets ``reconnect``) re-reads the thread to recover anything it missed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from rejoinder.db.engine import Database
from rejoinder.pages.service import PageService
from rejoinder.realtime.broker import Broker, SubscriptionClosed
from rejoinder.realtime.publisher import page_topic

RETRY = b"retry: 3000\n\n"
KEEP_ALIVE = b": keep-alive\n\n"
RECONNECT = b"event: reconnect\ndata: {}\n\n"
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    # nginx buffers proxied responses unless told not to.
    (b"x-accel-buffering", b"no"),
]


async def topic_for_url(db: Database, url: str, max_url_length: int) -> str:
    """The topic of the discussion a URL belongs to; raises ``InvalidUrl`` for bad URLs.

    A URL may reach a page through an alias whose key is not the page's own key, and events
    name the page's key, so the page is looked up (one short read session, closed before
    streaming starts). A page nobody has commented on yet gets this URL's key, which is the
    key its first comment will create it with.
    """
    async with db.read_session() as session:
        pages = PageService(session, max_url_length)
        ref = pages.resolve(url)
        page = await pages.find(ref)
    return page_topic(page.key if page is not None else ref.key)


async def event_stream(
    broker: Broker, topic: str, *, lifetime: float, keepalive: float
) -> AsyncGenerator[bytes, None]:
    """Bytes of one reader's stream, until ``lifetime`` seconds pass or the broker drops it."""
    loop = asyncio.get_running_loop()
    # Up to 10% shorter, at random: readers who all connected at once (after a restart) do
    # not all come back at the same moment.
    deadline = loop.time() + lifetime * random.uniform(0.9, 1.0)  # noqa: S311 - not secret
    async with broker.subscribe(topic) as subscription:
        # Subscribed before the first byte: a client that has read ``retry`` misses nothing.
        yield RETRY
        while (remaining := deadline - loop.time()) > 0:
            try:
                message = await subscription.get(min(keepalive, remaining))
            except SubscriptionClosed:
                break  # lagged behind, or the broker is resyncing or stopping
            if message is not None:
                yield b"id: %d\n%s\n" % (message.id, message.data)
            elif loop.time() < deadline:
                yield KEEP_ALIVE
    yield RECONNECT


async def send_events(content: AsyncGenerator[bytes, None], receive: Receive, send: Send) -> None:
    """Send ``content`` as a ``text/event-stream`` response; stop when the client goes away.

    An idle stream is mostly memory, so this is lean on purpose (issue 8: under 20 KB per
    idle subscriber): the response runs in the request's own task, and one small task waits
    for the disconnect and then cancels it. Starlette would wait for the next write to fail
    (up to a keep-alive interval on an idle stream) or run a task group of two tasks.
    """
    task = asyncio.current_task()
    assert task is not None
    # "streaming" until the last chunk is sent; "left" once the client went away meanwhile.
    state = {"streaming": True, "left": False}

    def stop(watcher: asyncio.Future[None]) -> None:
        if state["streaming"] and not watcher.cancelled():
            state["left"] = True
            task.cancel()

    watcher = asyncio.ensure_future(_until_disconnect(receive))
    watcher.add_done_callback(stop)
    try:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        async for chunk in content:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        # Finishing the response makes receive() answer "disconnect": not a client leaving.
        state["streaming"] = False
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except asyncio.CancelledError:
        if not state["left"]:
            raise  # cancelled from outside (server shutdown): not ours to swallow
        task.uncancel()
    finally:
        state["streaming"] = False
        watcher.cancel()
        # Ends the subscription now, not at garbage collection of a suspended generator.
        await content.aclose()


async def _until_disconnect(receive: Receive) -> None:
    # A GET has no body worth reading; anything sent is drained and dropped.
    while (await receive())["type"] != "http.disconnect":
        pass


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` response (``send_events``), for routes that return one."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncGenerator[bytes, None]) -> None:
        self._content = content
        super().__init__(content)
        self.raw_headers = list(HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        await send_events(self._content, receive, send)

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

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from rejoinder.db.engine import Database
from rejoinder.pages.service import PageService
from rejoinder.realtime.broker import Broker, SubscriptionClosed
from rejoinder.realtime.publisher import page_topic

RETRY = b"retry: 3000\n\n"
KEEP_ALIVE = b": keep-alive\n\n"
RECONNECT = b"event: reconnect\ndata: {}\n\n"


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


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` response that ends as soon as the client goes away.

    Starlette only watches for the disconnect on ASGI spec < 2.4 and otherwise waits for the
    next write to fail, which on an idle stream is up to a keep-alive interval later. Watching
    always frees the subscription at once, whatever the server.
    """

    media_type = "text/event-stream"

    def __init__(self, content: AsyncGenerator[bytes, None]) -> None:
        self._content = content
        super().__init__(
            content,
            headers={
                "Cache-Control": "no-cache",
                # nginx buffers proxied responses unless told not to.
                "X-Accel-Buffering": "no",
            },
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        try:
            async with anyio.create_task_group() as group:

                async def stream_then_stop() -> None:
                    await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream_then_stop)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            # A stream cancelled while suspended at a yield would keep its subscription
            # until garbage collection; close it now, even while this task is cancelled.
            with anyio.CancelScope(shield=True):
                await self._content.aclose()

"""Domain events -> live stream messages on the page's topic.

``EventPublisher`` is one of ``app.state.event_listeners``: the request scope calls it after a
commit with ``CommentPosted``/``CommentEdited``/``CommentRemoved``/``VoteChanged``. It renders
the SSE frame once (``event:`` and ``data:`` lines, without the ``id:``, which each process
assigns as it delivers) and publishes it on ``page:<sha256 of the page key>``.

What goes out is what an anonymous reader of ``GET /api/v1/threads`` may see: a comment that
is pending (held for moderation), removed or deleted is never sent; its text is not public.
An edit that leaves a comment hidden (an edit can be held) is sent as ``comment.removed``.
The request already committed, so a failure here is logged and swallowed: the write
succeeded, and readers who miss the update see it when they next read the thread.
"""

from __future__ import annotations

import logging
from typing import Any

from rejoinder import events
from rejoinder.api.responses import dumps
from rejoinder.comments import queries
from rejoinder.comments.models import CommentStatus
from rejoinder.comments.schemas import Sort
from rejoinder.comments.threads import ThreadRow, build_thread
from rejoinder.db.engine import Database
from rejoinder.pages.urlnorm import key_digest
from rejoinder.realtime.broker import Broker, MemoryBroker

log = logging.getLogger("rejoinder.realtime")


def page_topic(page_key: str) -> str:
    return "page:" + key_digest(page_key)


def sse_frame(event: str, payload: Any) -> bytes:
    """``event:`` and ``data:`` lines; orjson never emits a newline, so one data line."""
    return b"event: " + event.encode() + b"\ndata: " + dumps(payload) + b"\n"


def public_comment(row: ThreadRow) -> dict[str, Any] | None:
    """The comment as an anonymous reader of the thread sees it, or None if they may not."""
    if row.deleted_at is not None or row.status is not CommentStatus.VISIBLE:
        return None
    # Rendered by the thread code itself, so the stream cannot drift from GET /threads; as a
    # lone row it must pose as top-level (a reply without its parent would be dropped).
    (comment,) = build_thread([row._replace(parent_id=None)], Sort.NEW)
    comment["parent_id"] = row.parent_id
    return comment


class EventPublisher:
    """``async def listener(event)`` for ``app.state.event_listeners``."""

    def __init__(self, db: Database, broker: Broker) -> None:
        self.db = db
        self.broker = broker

    async def __call__(self, event: events.Event | events.ModeratorActed) -> None:
        if not isinstance(event, events.Event):
            return  # a moderation log entry concerns no page's stream
        topic = page_topic(event.page_key)
        # An in-process broker knows every subscriber there is: with none on this page,
        # building the frame would cost a database read per write for nobody.
        if isinstance(self.broker, MemoryBroker) and not self.broker.count(topic):
            return
        try:
            frame = await self._frame(event)
            if frame is not None:
                await self.broker.publish(topic, frame)
        except Exception:
            log.exception("Could not publish %r to live readers", event)

    async def _frame(self, event: events.Event) -> bytes | None:
        if isinstance(event, events.CommentPosted):
            comment = await self._load(event.comment_id)
            return sse_frame("comment.created", {"comment": comment}) if comment else None
        if isinstance(event, events.CommentEdited):
            comment = await self._load(event.comment_id)
            if comment is None:
                # The edit left it hidden (edits can be held for review): readers showing
                # the old text must take it down.
                return sse_frame("comment.removed", {"id": event.comment_id})
            return sse_frame("comment.edited", {"comment": comment})
        if isinstance(event, events.CommentRemoved):
            return sse_frame("comment.removed", {"id": event.comment_id})
        if isinstance(event, events.VoteChanged):
            return sse_frame(
                "vote.changed",
                {
                    "comment_id": event.comment_id,
                    "score": event.score,
                    "upvotes": event.upvotes,
                    "downvotes": event.downvotes,
                },
            )
        return None

    async def _load(self, comment_id: int) -> dict[str, Any] | None:
        # The event carries only ids; read the committed row with a short read session.
        async with self.db.read_session() as session:
            row = await queries.get_thread_row(session, comment_id)
        return public_comment(row) if row is not None else None

"""Live updates of a discussion as server-sent events."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rejoinder.api.deps import AppSettings
from rejoinder.api.pages import UrlQuery
from rejoinder.realtime.stream import EventStreamResponse, event_stream, topic_for_url

router = APIRouter(tags=["live"])

_EVENTS_DOC = (
    "`retry: 3000` first; then `comment.created`, `comment.edited` (data `{comment}`, shaped as "
    "in the thread), `comment.removed` (`{id}`) and `vote.changed` (`{comment_id, score, "
    "upvotes, downvotes}`), each with an `id`; a `: keep-alive` comment when idle; and "
    "`event: reconnect` at the end of the stream's lifetime. Nothing is replayed on "
    "reconnection: re-read the thread to recover missed updates."
)

# OpenAPI 3.1 has a text/event-stream `schema` describe one event (3.2 calls it itemSchema).
_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {
            "type": "string",
            "enum": [
                "comment.created",
                "comment.edited",
                "comment.removed",
                "vote.changed",
                "reconnect",
            ],
        },
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string", "description": "Increasing within one connection."},
        "retry": {"type": "integer"},
    },
}


@router.get(
    "/stream",
    response_class=EventStreamResponse,
    status_code=200,
    response_description=_EVENTS_DOC,
    responses={200: {"content": {"text/event-stream": {"schema": _EVENT_SCHEMA}}}},
)
async def stream_page(
    request: Request, url: UrlQuery, settings: AppSettings
) -> EventStreamResponse:
    """Follow a page's discussion live (server-sent events), even before its first comment."""
    # No DbSession dependency: it would stay open for the life of the stream.
    topic = await topic_for_url(request.app.state.db, url, settings.max_url_length)
    return EventStreamResponse(
        event_stream(
            request.app.state.broker,
            topic,
            lifetime=settings.stream_lifetime_seconds,
            keepalive=settings.stream_keepalive_seconds,
        )
    )

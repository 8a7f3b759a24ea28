"""Live updates of a discussion as server-sent events.

Two doors, one stream. ``StreamFront`` answers a well-formed ``GET /api/v1/stream`` ahead
of the middleware and routing (``Rejoinder.__call__``): a stream is held open for up to
half an hour, and every layer it passes through keeps its frames, closures and exit stacks
alive for as long (about 30 KB per idle reader through the full stack, under 20 KB without
it; issue 8). Anything it does not accept (no ``url``, two of them, a bad address, another
method) goes on to the route below, which renders the 422 problem and is what OpenAPI
documents.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.types import Receive, Scope, Send

from rejoinder.api.deps import AppSettings
from rejoinder.api.pages import URL_MAX_LENGTH, UrlQuery
from rejoinder.db.engine import Database
from rejoinder.errors import InvalidUrl
from rejoinder.realtime.broker import Broker
from rejoinder.realtime.stream import (
    EventStreamResponse,
    event_stream,
    send_events,
    topic_for_url,
)
from rejoinder.settings import Settings

PATH = "/api/v1/stream"

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


class StreamFront:
    """Serves valid stream requests directly; says False for the route to handle the rest."""

    def __init__(self, db: Database, broker: Broker, settings: Settings) -> None:
        self.db = db
        self.broker = broker
        self.settings = settings

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> bool:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            return False
        urls = [
            value
            for name, value in parse_qsl(
                scope["query_string"].decode("latin-1"), keep_blank_values=True
            )
            if name == "url"
        ]
        if len(urls) != 1 or not 0 < len(urls[0]) <= URL_MAX_LENGTH:
            return False
        try:
            topic = await topic_for_url(self.db, urls[0], self.settings.max_url_length)
        except InvalidUrl:
            return False
        stream = event_stream(
            self.broker,
            topic,
            lifetime=self.settings.stream_lifetime_seconds,
            keepalive=self.settings.stream_keepalive_seconds,
        )
        await send_events(stream, receive, send)
        return True

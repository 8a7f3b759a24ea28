"""Atom feeds: a discussion, a person, the front page, and a reader's private replies feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from rejoinder.api.deps import AppSettings, DbSession
from rejoinder.errors import NotFound
from rejoinder.feeds import atom
from rejoinder.feeds.service import FeedService
from rejoinder.notifications.service import NotificationService

router = APIRouter()

PageId = Annotated[int, Path(gt=0, le=2**62)]
Username = Annotated[str, Path(min_length=1, max_length=64)]
FeedToken = Annotated[str, Path(min_length=1, max_length=100)]


def _atom(feed: atom.Feed, cache: str = "public, max-age=300") -> Response:
    return Response(
        atom.render(feed),
        media_type=atom.MEDIA_TYPE,
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/feeds/pages/{page_id}.atom")
async def page_feed(page_id: PageId, session: DbSession, settings: AppSettings) -> Response:
    return _atom(await FeedService(session, settings).page_feed(page_id))


@router.get("/u/{username}/feed.atom")
async def user_feed(username: Username, session: DbSession, settings: AppSettings) -> Response:
    return _atom(await FeedService(session, settings).user_feed(username))


@router.get("/feed.atom")
async def front_feed(session: DbSession, settings: AppSettings) -> Response:
    return _atom(await FeedService(session, settings).front_feed())


@router.get("/feeds/replies/{token}.atom")
async def replies_feed(token: FeedToken, session: DbSession, settings: AppSettings) -> Response:
    """A reader's replies and mentions; the secret URL is the only credential."""
    reader = await NotificationService(session).feed_owner(token)
    if reader is None:
        raise NotFound("No feed here: the link was revoked or never existed.")
    url = f"{settings.public_url}/feeds/replies/{token}.atom"
    feed = await FeedService(session, settings).replies_feed(reader, url)
    response = _atom(feed, cache="private, no-store")
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

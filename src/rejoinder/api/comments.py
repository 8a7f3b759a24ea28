"""Threads, comments and votes."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status

from rejoinder.accounts.models import Account
from rejoinder.api.deps import AppSettings, CurrentAccount, DbSession, Gate, Viewer
from rejoinder.api.responses import JSONBytes, dumps
from rejoinder.comments.models import Comment
from rejoinder.comments.queries import DELETED_AUTHOR
from rejoinder.comments.quotes import quote_json, quote_out
from rejoinder.comments.reading import ThreadReader
from rejoinder.comments.schemas import (
    CommentCreate,
    CommentOut,
    CommentUpdate,
    Sort,
    ThreadOut,
    VoteIn,
    VoteOut,
)
from rejoinder.comments.service import CommentService
from rejoinder.readcache.cache import ReadCache
from rejoinder.readcache.front import VARY, matches, response_headers
from rejoinder.votes.queries import get_vote
from rejoinder.votes.service import VoteService

router = APIRouter(tags=["comments"])

CommentId = Annotated[int, Path(gt=0, le=2**62)]


def comment_out(comment: Comment, author_name: str | None, my_vote: int = 0) -> dict[str, Any]:
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "author": {"name": author_name or "Anonymous"},
        "body_html": comment.body_html,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "score": comment.score,
        "upvotes": comment.upvotes,
        "downvotes": comment.downvotes,
        "my_vote": my_vote,
        "status": "deleted" if comment.deleted_at else comment.status.value,
        "nsfw": comment.nsfw,
        "pinned": comment.is_pinned,
        "muted": False,
        "quote": None if comment.deleted_at else quote_out(comment.quote),
        "replies": [],
    }


def _author_name(comment: Comment, author: Account | None) -> str | None:
    if author is None:
        return comment.guest_name
    return DELETED_AUTHOR if author.deleted_at is not None else author.username


@router.get("/threads", response_model=ThreadOut)
async def read_thread(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: Viewer,
    url: Annotated[str, Query(min_length=1, max_length=8192)],
    sort: Sort = Sort.TOP,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """A page's discussion, nested, one page of top-level comments at a time."""
    cache: ReadCache | None = request.app.state.read_cache
    since = cache.mark() if cache is not None else 0
    thread = await ThreadReader(session, settings).read(
        url, sort=sort, limit=limit, cursor=cursor, viewer=viewer
    )
    body = dumps(thread.as_dict())
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    if viewer is None:
        # The same bytes for every anonymous reader: the next one is served by the cache.
        headers = {name.decode(): value.decode() for name, value in response_headers(etag)}
        if cache is not None and thread.page is not None:
            key = request.scope["query_string"]
            cache.remember(key, thread.page.id, thread.page.thread_version, body, etag, since)
    else:
        headers = {"ETag": etag.decode(), "Cache-Control": "private, no-cache", "Vary": VARY}
    if matches(request.headers.get("if-none-match", "").encode(), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return JSONBytes(body, headers=headers)


@router.post("/comments", response_model=CommentOut, status_code=status.HTTP_201_CREATED)
async def create_comment(
    body: CommentCreate, session: DbSession, settings: AppSettings, viewer: Viewer, gate: Gate
) -> JSONBytes:
    """Post a comment on the page at `url`, or a reply to `parent_id`."""
    comment, _page = await CommentService(session, settings, gate).post(
        body=body.body,
        author=viewer,
        url=body.url,
        parent_id=body.parent_id,
        nsfw=body.nsfw,
        guest_name=body.author_name,
        quote=quote_json(body.quote.exact, body.quote.prefix, body.quote.suffix)
        if body.quote
        else None,
    )
    return JSONBytes(comment_out(comment, _author_name(comment, viewer)), status_code=201)


@router.get("/comments/{comment_id}", response_model=CommentOut)
async def read_comment(
    comment_id: CommentId, session: DbSession, settings: AppSettings, viewer: Viewer
) -> JSONBytes:
    """One comment, without its replies."""
    comment = await CommentService(session, settings).get_visible(comment_id, viewer)
    author = await session.get(Account, comment.author_id) if comment.author_id else None
    vote = await get_vote(session, comment_id, viewer.id) if viewer else None
    out = comment_out(comment, _author_name(comment, author), vote.value if vote else 0)
    if comment.deleted_at:
        out.update(author=None, body_html="", score=0, upvotes=0, downvotes=0, my_vote=0)
    return JSONBytes(out)


@router.patch("/comments/{comment_id}", response_model=CommentOut)
async def edit_comment(
    comment_id: CommentId,
    body: CommentUpdate,
    session: DbSession,
    settings: AppSettings,
    account: CurrentAccount,
    gate: Gate,
) -> JSONBytes:
    """Change a comment's text: its author within the edit window, moderators always."""
    comment = await CommentService(session, settings, gate).edit(comment_id, body.body, account)
    author = await session.get(Account, comment.author_id) if comment.author_id else None
    vote = await get_vote(session, comment_id, account.id)
    return JSONBytes(comment_out(comment, _author_name(comment, author), vote.value if vote else 0))


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comment(
    comment_id: CommentId, session: DbSession, settings: AppSettings, account: CurrentAccount
) -> Response:
    """Delete a comment; replies keep their place under a placeholder."""
    await CommentService(session, settings).delete(comment_id, account)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/comments/{comment_id}/vote", response_model=VoteOut)
async def vote_comment(
    comment_id: CommentId, body: VoteIn, session: DbSession, account: CurrentAccount, gate: Gate
) -> VoteOut:
    """Set your vote: 1 up, -1 down, 0 none. Repeating a vote changes nothing."""
    return VoteOut(**await VoteService(session, gate).vote(comment_id, body.value, account))

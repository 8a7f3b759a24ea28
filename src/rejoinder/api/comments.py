"""Threads, comments and votes."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, NamedTuple
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from rejoinder.accounts.models import Account
from rejoinder.api.deps import (
    AppSettings,
    CommentWrite,
    CurrentAccount,
    DbSession,
    Gate,
    SignedInWrite,
    Viewer,
)
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
from rejoinder.readcache.front import (
    SESSION_COOKIE,
    THREAD_PATH,
    VARY,
    matches,
    response_headers,
)
from rejoinder.settings import Settings
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


URL_MAX_LENGTH = 8192
MAX_LIMIT = 1000
CURSOR_MAX_LENGTH = 200


class ThreadQuery(NamedTuple):
    url: str
    sort: Sort
    limit: int | None
    cursor: str | None


@router.get("/threads", response_model=ThreadOut)
async def read_thread(
    request: Request,
    session: DbSession,
    viewer: Viewer,
    url: Annotated[str, Query(min_length=1, max_length=URL_MAX_LENGTH)],
    sort: Sort = Sort.TOP,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description="Top-level comments on this page. Without it, a page holds up to "
            "REJOINDER_THREAD_PAGE_SIZE top-level comments and ends before its comments, "
            "replies included, pass REJOINDER_THREAD_PAGE_COMMENTS (the first top-level "
            "comment always comes whole).",
        ),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> Response:
    """A page's discussion, nested, one page of top-level comments at a time."""
    return await _thread_response(
        session,
        request.app.state,
        request.scope["query_string"],
        request.headers.get("if-none-match", ""),
        ThreadQuery(url, sort, limit, cursor),
        viewer,
    )


async def _thread_response(
    session: AsyncSession,
    state: State,
    query_string: bytes,
    if_none_match: str,
    query: ThreadQuery,
    viewer: Account | None,
) -> Response:
    """The route's answer; ``ThreadReadFront`` gives the same one to anonymous readers."""
    settings: Settings = state.settings
    cache: ReadCache | None = state.read_cache
    since = cache.mark() if cache is not None else 0
    thread = await ThreadReader(session, settings).read(
        query.url, sort=query.sort, limit=query.limit, cursor=query.cursor, viewer=viewer
    )
    body = dumps(thread.as_dict())
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    if viewer is None:
        # The same bytes for every anonymous reader: the next one is served by the cache.
        headers = {name.decode(): value.decode() for name, value in response_headers(etag)}
        if cache is not None and thread.page is not None:
            cache.remember(
                query_string, thread.page.id, thread.page.thread_version, body, etag, since
            )
    else:
        headers = {"ETag": etag.decode(), "Cache-Control": "private, no-cache", "Vary": VARY}
    if matches(if_none_match.encode(), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return JSONBytes(body, headers=headers)


_SORTS = {sort.value: sort for sort in Sort}
_LIMIT = re.compile(r"[1-9][0-9]{0,3}")
# Headers after which the full app must answer: a body to limit (middleware.BodyLimit), or
# a reader who may be signed in (api/deps.get_viewer).
_NOT_PLAIN = frozenset({b"authorization", b"content-length", b"transfer-encoding"})


class ThreadReadFront:
    """Anonymous thread reads the cache missed, answered ahead of the middleware stack.

    Through the whole app, routing, dependency solving and validation cost about as much CPU
    as the read itself on a small thread (issue 8: ~0.5 ms of ~1.5 ms). None of it changes
    the answer of a plain anonymous read, so ``app.Rejoinder`` asks this front first, after
    the thread cache. Anything unusual goes on to the app, which answers as it always did:
    a query that is not plainly valid (the app's 422 says what is wrong), a signed-in or
    maybe signed-in reader, a request with a body, or any error while reading (a forged
    cursor, a bad URL, a database failure) before anything was sent.
    """

    def __init__(self, state: State) -> None:
        self.state = state

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request if it is a plain anonymous thread read; False leaves it to the app."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != THREAD_PATH:
            return False
        if_none_match = None
        for name, value in scope["headers"]:
            if name in _NOT_PLAIN or (name == b"cookie" and SESSION_COOKIE in value):
                return False
            if name == b"if-none-match" and if_none_match is None:
                if_none_match = value.decode("latin-1")
        query = _plain_query(scope["query_string"])
        if query is None:
            return False
        try:
            # Only SELECTs, nothing to commit: on PostgreSQL without BEGIN and COMMIT
            # (db/engine.py, ``statement_session``), which are a quarter of the read's round trips.
            async with self.state.db.statement_session() as session:
                response = await _thread_response(
                    session, self.state, scope["query_string"], if_none_match or "", query, None
                )
        except Exception:
            return False
        await response(scope, receive, send)
        return True


def _plain_query(query_string: bytes) -> ThreadQuery | None:
    """The query as the route would receive it, or None when the app should judge it."""
    # As Starlette parses it: the last of repeated names wins, names the route does not
    # take are ignored.
    params = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    url = params.get("url")
    if url is None or not 0 < len(url) <= URL_MAX_LENGTH:
        return None
    sort = _SORTS.get(params.get("sort", Sort.TOP.value))
    if sort is None:
        return None
    limit: int | None = None
    if "limit" in params:
        if not _LIMIT.fullmatch(params["limit"]) or int(params["limit"]) > MAX_LIMIT:
            return None
        limit = int(params["limit"])
    cursor = params.get("cursor")
    if cursor is not None and len(cursor) > CURSOR_MAX_LENGTH:
        return None
    return ThreadQuery(url, sort, limit, cursor)


@router.post("/comments", response_model=CommentOut, status_code=status.HTTP_201_CREATED)
async def create_comment(body: CommentCreate, write: CommentWrite) -> JSONBytes:
    """Post a comment on the page at `url`, or a reply to `parent_id`."""
    viewer = write.viewer
    comment, _page = await CommentService(write.session, write.settings, write.gate).post(
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
    comment_id: CommentId, body: CommentUpdate, write: SignedInWrite
) -> JSONBytes:
    """Change a comment's text: its author within the edit window, moderators always."""
    session, account = write.session, write.account
    comment = await CommentService(session, write.settings, write.gate).edit(
        comment_id, body.body, account
    )
    author = await session.get(Account, comment.author_id) if comment.author_id else None
    vote = await get_vote(session, comment_id, account.id)
    return JSONBytes(comment_out(comment, _author_name(comment, author), vote.value if vote else 0))


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comment(comment_id: CommentId, write: SignedInWrite) -> Response:
    """Delete a comment; replies keep their place under a placeholder."""
    await CommentService(write.session, write.settings).delete(comment_id, write.account)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/comments/{comment_id}/vote", response_model=VoteOut)
async def vote_comment(
    comment_id: CommentId, body: VoteIn, session: DbSession, account: CurrentAccount, gate: Gate
) -> VoteOut:
    """Set your vote: 1 up, -1 down, 0 none. Repeating a vote changes nothing."""
    return VoteOut(**await VoteService(session, gate).vote(comment_id, body.value, account))

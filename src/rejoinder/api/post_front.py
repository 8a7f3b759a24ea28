"""Plain comment posts (``POST /api/v1/comments``) answered ahead of the middleware stack.

Issue 8 asks for 1,000 acknowledged posts a second on two cores. Through the whole app, a
post spent more CPU in Starlette and FastAPI (middleware, routing, dependency solving, the
exception-handler wrappers) than in its own rules and statements. None of that changes the
answer to a plain post, so ``app.Rejoinder`` asks ``PostFront`` first, as it asks
``ThreadReadFront`` for thread reads and ``CountsFront`` for batch counts.

What the front answers, it answers with the route's own code: the same validation of the
body (``CommentCreate``), the same writer and gate (``api.deps.solve_write``) inside the
same per-request transaction (``request_transaction``), the same ``create_comment``, and
errors rendered by the app's own exception handlers. It decides *before* anything is
written whether it answers: a body that is not plainly valid JSON of the right shape
(the app's 422 says what is wrong, after its 401 for a bad token), a body over the limit
(the app's 413), or any other content type goes on to the app, with the messages already
read replayed. Once the transaction has begun the front answers whatever happens: a
retry by the app could store a comment twice or take a second rate-limit token.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from rejoinder.api.comments import create_comment
from rejoinder.api.cors import CORS_PATHS
from rejoinder.api.counts_front import is_plain_json, read_body, replay
from rejoinder.api.deps import request_transaction, solve_write
from rejoinder.comments.schemas import CommentCreate

POST_PATH = "/api/v1/comments"
# The app's handler of last resort: it answers 500, and the exception goes on to the server.
_LAST_RESORT = (Exception, 500)


class PostFront:
    """Plainly valid comment posts, without routing, dependency solving or middleware."""

    def __init__(self, app: FastAPI, max_body_bytes: int) -> None:
        # The front sends no CORS headers: EmbedCors adds none on this path.
        assert POST_PATH not in CORS_PATHS
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer a plain post and return None; otherwise the ``receive`` the app must read
        the request from (it replays whatever this front read first)."""
        if scope["type"] != "http" or scope["path"] != POST_PATH or scope["method"] != "POST":
            return receive
        if not self._plain_headers(scope["headers"]):
            return receive
        read: list[Message] = []
        body = await read_body(receive, read, self.max_body_bytes)
        comment = _plain_comment(body) if body is not None else None
        if comment is None:
            return replay(read, receive)
        # The request as the route sees it; ``app`` is what Starlette puts in the scope.
        request = Request({**scope, "app": self.app}, replay(read, receive))
        state = self.app.state
        try:
            async with request_transaction(state, True, inline=True) as session:
                write = await solve_write(request, session, state)
                response = await create_comment(comment, write)
        except Exception as exc:
            await self._problem(request, exc, receive, send)
            return None
        await response(scope, receive, send)
        return None

    def _plain_headers(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """Whether the front may answer: a JSON body, not declared over the limit."""
        content_type: bytes | None = None
        for name, value in headers:
            if name == b"content-type":
                # As Starlette's ``headers.get``: the first one counts.
                if content_type is None:
                    content_type = value
            elif name == b"content-length" and not (
                value.isdigit() and int(value) <= self.max_body_bytes
            ):
                return False
        return content_type is not None and is_plain_json(content_type)

    async def _problem(
        self, request: Request, exc: Exception, receive: Receive, send: Send
    ) -> None:
        """Answer ``exc`` with the app's handler for it, as its middleware would."""
        handlers = self.app.exception_handlers
        for cls in type(exc).__mro__:
            if cls in handlers and cls not in _LAST_RESORT:
                response = await _render(handlers[cls], request, exc)
                await response(request.scope, receive, send)
                return
        # Starlette's ServerErrorMiddleware: the 500 problem, then the exception goes on.
        response = await _render(handlers.get(500) or handlers[Exception], request, exc)
        await response(request.scope, receive, send)
        raise exc


async def _render(handler: Any, request: Request, exc: Exception) -> Response:
    """The handler's response (the app's handlers are coroutines; a plain function's
    answer is used as it is)."""
    answer = handler(request, exc)
    response: Response = await answer if inspect.isawaitable(answer) else answer
    return response


def _plain_comment(body: bytes) -> CommentCreate | None:
    """The body as the route would receive it, or None when the app should judge it."""
    if not body:
        return None
    try:
        # The parser the route uses (Starlette's ``Request.json``); the app also answers
        # what it cannot parse (too deeply nested: RecursionError).
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if type(payload) is not dict:
        return None
    try:
        # As FastAPI validates a body parameter (``ModelField.validate``).
        return CommentCreate.model_validate(payload, from_attributes=True)
    except (ValidationError, RecursionError):
        return None

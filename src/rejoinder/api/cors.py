"""CORS for the few API endpoints that embedding pages call from their own origin.

The embed script runs in a host page (``https://blog.example``) and asks
``POST /api/v1/counts`` for the counts of the page's links: a cross-origin request with a JSON
body, so the browser sends a preflight first. Only the origins an operator listed in
``REJOINDER_EMBED_ORIGINS`` get an ``Access-Control-Allow-Origin`` naming them; nothing is
ever answered with ``*`` and no credentials are allowed (counts are public, and a cookie
must never ride on a request another site's script makes). Every answer on these paths
carries ``Vary: Origin``, so a shared cache cannot hand one site's answer to another.

The rest of the API sends no CORS headers at all: the widget's iframe is served by this
instance and calls the API same-origin.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rejoinder.api.responses import dumps
from rejoinder.errors import problem

# Path -> the methods a host page may call there.
CORS_PATHS: dict[str, frozenset[str]] = {"/api/v1/counts": frozenset({"POST"})}
ALLOWED_HEADERS = frozenset({"content-type"})
# Browsers cap this anyway (Chromium at 2 hours); 10 minutes keeps an operator's change
# of the allow-list effective soon.
PREFLIGHT_MAX_AGE = "600"


def add_cors_headers(headers: MutableHeaders, allowed_origin: str | None) -> None:
    """The CORS headers of an answer (not a preflight) on a CORS path: ``Vary: Origin``
    always, and the request's origin when it is on the allow-list (else None).

    Also used by the batch-count front (api/counts_front.py), which answers ahead of this
    middleware.
    """
    headers.add_vary_header("Origin")
    if allowed_origin is not None:
        headers["Access-Control-Allow-Origin"] = allowed_origin


class EmbedCors:
    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = CORS_PATHS.get(scope["path"]) if scope["type"] == "http" else None
        if methods is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = origin is not None and origin in self.origins
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(scope, send, headers, methods, origin if allowed else None)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_cors_headers(MutableHeaders(scope=message), origin if allowed else None)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self,
        scope: Scope,
        send: Send,
        headers: Headers,
        methods: frozenset[str],
        origin: str | None,
    ) -> None:
        method = headers["access-control-request-method"].strip().upper()
        requested = {
            name.strip().lower()
            for name in headers.get("access-control-request-headers", "").split(",")
            if name.strip()
        }
        if origin is None:
            reason = "This origin is not allowed to call the API: see REJOINDER_EMBED_ORIGINS."
        elif method not in methods:
            reason = f"{method} is not allowed here from other sites."
        elif not requested <= ALLOWED_HEADERS:
            reason = "Only the Content-Type header may be sent from other sites."
        else:
            await _respond(
                send,
                204,
                b"",
                [
                    (b"access-control-allow-origin", origin.encode()),
                    (b"access-control-allow-methods", ", ".join(sorted(methods)).encode()),
                    (b"access-control-allow-headers", b"Content-Type"),
                    (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
                    (b"vary", b"Origin"),
                ],
            )
            return
        body = dumps(problem(403, "cors-refused", "Cross-origin request refused", reason,
                             instance=scope["path"]))  # fmt: skip
        await _respond(
            send,
            403,
            body,
            [(b"content-type", b"application/problem+json"), (b"vary", b"Origin")],
        )


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

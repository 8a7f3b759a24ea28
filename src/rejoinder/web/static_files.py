"""``/static/``: the stylesheet and scripts, cached for a year.

Templates link them with ``static_url()``, whose ``?v=`` is a hash of the file's content, so
a changed file has a new URL and a long ``max-age`` never serves a stale one.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ONE_YEAR = 365 * 24 * 3600


class CachedStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response

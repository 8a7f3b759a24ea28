"""Who may export what, and the export as one stream from its own read transaction.

A streamed response outlives the request's transaction (committed before the response
starts), so ``stream()`` opens a read session of its own for the length of the download:
one consistent snapshot on PostgreSQL (REPEATABLE READ is not needed: pages are read in
batches and each page's comments in one query) and a WAL read snapshot on SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments.service import is_moderator
from rejoinder.db.engine import Database
from rejoinder.errors import InvalidInput, NotFound
from rejoinder.exports import writers
from rejoinder.exports.writers import ExportFormat, Scope
from rejoinder.pages.service import resolve
from rejoinder.settings import Settings


def require_moderator(actor: Account | None) -> None:
    """Exports include pending and removed comments: moderators and admins only (404)."""
    if actor is not None and not is_moderator(actor):
        raise NotFound("Not found.")


def make_scope(page: str | None, site: str | None, everything: bool, max_url: int) -> Scope:
    """Exactly one of a page URL, a host, or everything."""
    if sum((page is not None, site is not None, everything)) != 1:
        raise InvalidInput(
            "Choose one: a page (URL), a site (host) or all.",
            [{"field": "scope", "reason": "one_of", "message": "page, site or all"}],
        )
    if page is not None:
        ref = resolve(page, max_url)
        return Scope(label=ref.key, page_digest=ref.digest)
    if site is not None:
        host = site.strip().lower().removeprefix("https://").removeprefix("http://")
        host = host.split("/", 1)[0].removeprefix("www.")
        if not host or len(host) > 253 or any(ch.isspace() for ch in host):
            raise InvalidInput(
                "Give the site as a host name, like example.com.",
                [{"field": "site", "reason": "invalid", "message": "A host name."}],
            )
        return Scope(label=host, host=host)
    return Scope(label="all")


async def check_page_exists(session: AsyncSession, scope: Scope) -> None:
    from rejoinder.pages import queries as page_queries

    digest = scope.page_digest
    if digest is not None and await page_queries.get_page_by_digest(session, digest) is None:
        raise NotFound("No discussion for that page.")


async def stream(
    db: Database, settings: Settings, fmt: ExportFormat, scope: Scope, collection_id: str
) -> AsyncIterator[str]:
    async with db.read_session() as session:
        if fmt is ExportFormat.REJOINDER_JSON:
            chunks = writers.rejoinder_json(session, scope, settings.public_url)
        elif fmt is ExportFormat.WEB_ANNOTATION:
            chunks = writers.web_annotation(session, scope, settings.public_url, collection_id)
        else:
            chunks = writers.csv_rows(session, scope)
        async for chunk in chunks:
            yield chunk

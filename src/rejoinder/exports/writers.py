"""The three export formats, each an async stream of text chunks.

- ``rejoinder-json``: JSON Lines, full fidelity and re-importable (``importers/rejoinder_json``):
  a header, then each page followed by its comments. Lines stream; a whole instance never
  sits in memory (a single JSON document could not be read back that way).
- ``web-annotation``: a W3C Web Annotation ``AnnotationCollection`` (JSON-LD) of the visible
  comments: top-level comments are ``commenting`` on the page (with a ``TextQuoteSelector``
  when they quote it), replies are ``replying`` with two targets: the parent annotation and
  the page.
- ``csv``: one row per comment, every status, for moderators and researchers. Cells that a
  spreadsheet would run as a formula (starting ``= + - @``, tab or CR) get a leading ``'``.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.comments.quotes import quote_out
from rejoinder.exports import queries
from rejoinder.importers.models import ImportedIdentity
from rejoinder.pages.models import Page

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CSV_COLUMNS = ("id", "page_url", "parent_id", "author", "created", "status", "score", "text")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(enum.StrEnum):
    REJOINDER_JSON = "rejoinder-json"
    WEB_ANNOTATION = "web-annotation"
    CSV = "csv"


MEDIA_TYPES = {
    ExportFormat.REJOINDER_JSON: "application/x-ndjson",
    ExportFormat.WEB_ANNOTATION: (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    ),
    ExportFormat.CSV: "text/csv; charset=utf-8",
}
EXTENSIONS = {
    ExportFormat.REJOINDER_JSON: "jsonl",
    ExportFormat.WEB_ANNOTATION: "jsonld",
    ExportFormat.CSV: "csv",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """Which pages: one (by alias digest), a host's, or all; ``label`` names it in the file."""

    label: str
    page_digest: str | None = None
    host: str | None = None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _line(value: Any) -> str:
    return orjson.dumps(value).decode() + "\n"


async def _pages(session: AsyncSession, scope: Scope) -> AsyncIterator[tuple[Page, list[str]]]:
    ids = await queries.list_page_ids(session, page_digest=scope.page_digest, host=scope.host)
    for start in range(0, len(ids), queries.PAGE_BATCH):
        batch = ids[start : start + queries.PAGE_BATCH]
        aliases = await queries.list_alias_keys(session, batch)
        for page in await queries.get_pages(session, batch):
            yield page, aliases.get(page.id, [])
            session.expunge(page)


def _author_name(comment: Comment, username: str | None) -> str:
    return username or comment.guest_name or ""


async def rejoinder_json(session: AsyncSession, scope: Scope, instance: str) -> AsyncIterator[str]:
    yield _line(
        {
            "format": "rejoinder-json",
            "version": 1,
            "instance": instance,
            "exported_at": _iso(clock.now()),
            "scope": scope.label,
        }
    )
    async for page, aliases in _pages(session, scope):
        yield _line(
            {
                "type": "page",
                "id": page.id,
                "url": page.url,
                "key": page.key,
                "title": page.title,
                "aliases": [key for key in aliases if key != page.key],
                "is_locked": page.is_locked,
                "is_closed": page.is_closed,
                "created_at": _iso(page.created_at),
            }
        )
        async for comment, username, identity in queries.stream_comments(session, page.id):
            yield _line(_comment_record(comment, username, identity))


def _comment_record(
    comment: Comment, username: str | None, identity: ImportedIdentity | None
) -> dict[str, Any]:
    author: dict[str, Any] = {"name": _author_name(comment, username), "account": username}
    if identity is not None:
        author["identity"] = {
            "source": identity.source,
            "external_key": identity.external_key,
            "email_hash": identity.email_hash,
        }
    return {
        "type": "comment",
        "id": comment.id,
        "page_id": comment.page_id,
        "parent_id": comment.parent_id,
        "author": author,
        "body_src": comment.body_src,
        "body_html": comment.body_html,
        "status": comment.status.value,
        "nsfw": comment.nsfw,
        "is_pinned": comment.is_pinned,
        "upvotes": comment.upvotes,
        "downvotes": comment.downvotes,
        "score": comment.score,
        "controversy": comment.controversy,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
        "deleted_at": _iso(comment.deleted_at),
        "quote": quote_out(comment.quote),
    }


def annotation(
    comment: Comment, username: str | None, page_url: str, public_url: str
) -> dict[str, Any]:
    """One comment as a W3C Web Annotation (the model's required and our optional fields)."""
    creator: dict[str, Any] = {"type": "Person", "name": _author_name(comment, username)}
    if username:
        creator["id"] = f"{public_url}/u/{username}"
    result: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": f"{public_url}/c/{comment.id}",
        "type": "Annotation",
        "motivation": "replying" if comment.parent_id else "commenting",
        "creator": creator,
        "created": _iso(comment.created_at),
        "modified": _iso(comment.edited_at or comment.created_at),
        "body": {
            "type": "TextualBody",
            "value": comment.body_html,
            "format": "text/html",
            "purpose": "replying" if comment.parent_id else "commenting",
        },
    }
    quote = quote_out(comment.quote)
    on_page: dict[str, Any] = {"source": page_url}
    if quote is not None:
        on_page["selector"] = {key: value for key, value in quote.items() if value}
    # A reply targets its parent annotation and, like every annotation, its page: a reader
    # of the collection places it without resolving the parent (which may be left out).
    result["target"] = (
        [f"{public_url}/c/{comment.parent_id}", on_page] if comment.parent_id else on_page
    )
    return result


async def web_annotation(
    session: AsyncSession, scope: Scope, public_url: str, collection_id: str
) -> AsyncIterator[str]:
    yield (
        '{"@context": "' + ANNO_CONTEXT + '", "id": ' + orjson.dumps(collection_id).decode()
        + ', "type": "AnnotationCollection", "label": '
        + orjson.dumps(f"Rejoinder comments: {scope.label}").decode()
        + ', "first": {"id": ' + orjson.dumps(collection_id + "#page-1").decode()
        + ', "type": "AnnotationPage", "startIndex": 0, "items": [\n'
    )  # fmt: skip
    first = True
    async for page, _aliases in _pages(session, scope):
        async for comment, username, _identity in queries.stream_comments(session, page.id):
            # Public comments only: pending, removed, spam and deleted stay out.
            if comment.status is not CommentStatus.VISIBLE or comment.deleted_at is not None:
                continue
            item = orjson.dumps(annotation(comment, username, page.url, public_url)).decode()
            yield item if first else ",\n" + item
            first = False
    yield "\n]}}\n"


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: formula-looking values get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


async def csv_rows(session: AsyncSession, scope: Scope) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    async for page, _aliases in _pages(session, scope):
        async for comment, username, _identity in queries.stream_comments(session, page.id):
            status = "deleted" if comment.deleted_at else comment.status.value
            writer.writerow(
                [
                    comment.id,
                    csv_cell(page.url),
                    comment.parent_id or "",
                    csv_cell(_author_name(comment, username)),
                    _iso(comment.created_at),
                    status,
                    comment.score,
                    csv_cell(comment.body_text),
                ]
            )
            yield flush()

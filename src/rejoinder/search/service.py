"""Searching comments and titles: the reader's text in, a page of results with snippets out.

Results are paged by offset (titles first, then comments, newest first), which is fine for
search: nobody reads past the first pages, and ``MAX_RESULTS`` stops anyone from asking the
database to skip a million rows.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.errors import InvalidInput
from rejoinder.pages.permalinks import page_path
from rejoinder.search import queries
from rejoinder.search.snippets import snippet_html
from rejoinder.search.terms import MAX_QUERY, parse

PAGE_SIZE = 20
MAX_RESULTS = 1000


@dataclass(frozen=True, slots=True)
class Results:
    query: str
    items: list[dict[str, Any]]
    next_cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "results": self.items, "next_cursor": self.next_cursor}


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(["search", offset])).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    invalid = InvalidInput(
        "This cursor is not valid; start the search again without it.",
        [{"field": "cursor", "reason": "invalid", "message": "Invalid cursor."}],
    )
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise invalid from None
    if not isinstance(payload, list) or len(payload) != 2 or payload[0] != "search":
        raise invalid
    offset = payload[1]
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 < offset < MAX_RESULTS:
        raise invalid
    return offset


class SearchService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(self, text: str, cursor: str | None = None, limit: int = PAGE_SIZE) -> Results:
        """Results for ``text``; a query with nothing searchable in it has none (not an error)."""
        if len(text) > MAX_QUERY:
            raise InvalidInput(
                f"Searches are limited to {MAX_QUERY} characters.",
                [{"field": "q", "reason": "too_long", "message": f"At most {MAX_QUERY}."}],
            )
        offset = decode_cursor(cursor) if cursor else 0
        terms = parse(text)
        if not terms:
            return Results(text, [], None)
        limit = min(limit, MAX_RESULTS - offset)
        hits = await queries.search(self.session, terms, offset=offset, limit=limit + 1)
        more, hits = len(hits) > limit, hits[:limit]
        pages = await queries.list_pages(self.session, [hit.page_id for hit in hits])
        words = terms.words
        items = []
        for hit in hits:
            page = pages[hit.page_id]
            is_comment = hit.kind == queries.COMMENT
            items.append(
                {
                    "kind": "comment" if is_comment else "page",
                    "comment_id": hit.id if is_comment else None,
                    "page": {
                        "id": page.id,
                        "key": page.key,
                        "url": page.url,
                        "title": page.title,
                        "discussion_path": page_path(page),
                    },
                    "author": {"name": hit.author or "Anonymous"} if is_comment else None,
                    "created_at": hit.created_at,
                    "snippet_html": snippet_html(hit.text or "", words),
                }
            )
        next_offset = offset + len(hits)
        next_cursor = encode_cursor(next_offset) if more and next_offset < MAX_RESULTS else None
        return Results(text, items, next_cursor)

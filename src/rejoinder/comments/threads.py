"""Arranging a page's comment rows into the nested thread readers see.

Pure functions, no database: the read path fetches a page of top-level comments and all their
descendants as flat rows (two indexed queries), and this module nests them, orders every
level by the chosen sort, and turns comments that must not be shown into placeholders or
drops them:

- a deleted or removed comment with shown replies stays as a placeholder without its text,
  author or score, so the conversation under it still makes sense;
- one with no shown replies disappears;
- a pending comment is shown to its author only (the query already filtered the others').
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from rejoinder.comments.models import CommentStatus
from rejoinder.comments.quotes import quote_out
from rejoinder.comments.schemas import Sort
from rejoinder.errors import InvalidInput


class ThreadRow(NamedTuple):
    id: int
    parent_id: int | None
    author_name: str | None
    body_html: str
    status: CommentStatus
    nsfw: bool
    upvotes: int
    downvotes: int
    score: int
    controversy: float
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    is_pinned: bool = False
    # Per reader: the author is one the reader muted (clients collapse the comment).
    muted: bool = False
    # The quoted article passage, as stored (comments/quotes.py).
    quote: Any = None


def controversy(upvotes: int, downvotes: int) -> float:
    """High when many votes split evenly: total votes raised to the balance between sides.

    10 up / 10 down scores 20; 100 up / 1 down scores about 1.05; one-sided votes score 0.
    """
    if upvotes <= 0 or downvotes <= 0:
        return 0.0
    balance = min(upvotes, downvotes) / max(upvotes, downvotes)
    return float(math.pow(upvotes + downvotes, balance))


def sort_key(sort: Sort) -> Callable[[ThreadRow], tuple[float, ...]]:
    """Ordering of siblings; the SQL ordering of top-level comments must agree with it."""
    if sort is Sort.TOP:
        return lambda row: (-row.score, row.id)
    if sort is Sort.NEW:
        return lambda row: (-row.id,)
    if sort is Sort.OLD:
        return lambda row: (row.id,)
    return lambda row: (-row.controversy, row.id)


def _is_shown(row: ThreadRow) -> bool:
    return row.deleted_at is None and row.status in (CommentStatus.VISIBLE, CommentStatus.PENDING)


def _placeholder_status(row: ThreadRow) -> str:
    return "deleted" if row.deleted_at is not None else "removed"


def build_thread(
    rows: Iterable[ThreadRow],
    sort: Sort,
    my_votes: dict[int, int] | None = None,
    root_order: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Nest rows into the API's comment dicts.

    ``root_order`` gives the top-level order when it came from SQL (paged reads); otherwise
    top-level comments are sorted like every other level. Rows whose parent is absent from
    ``rows`` (hidden or not on this page of the thread) are dropped with their subtrees.
    """
    my_votes = my_votes or {}
    children: dict[int | None, list[ThreadRow]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    key = sort_key(sort)

    def render(row: ThreadRow) -> dict[str, Any] | None:
        kids = children.get(row.id, ())
        replies = [node for node in map(render, sorted(kids, key=key)) if node is not None]
        if _is_shown(row):
            return {
                "id": row.id,
                "parent_id": row.parent_id,
                "author": {"name": row.author_name or "Anonymous"},
                "body_html": row.body_html,
                "created_at": row.created_at,
                "edited_at": row.edited_at,
                "score": row.score,
                "upvotes": row.upvotes,
                "downvotes": row.downvotes,
                "my_vote": my_votes.get(row.id, 0),
                "status": row.status.value,
                "nsfw": row.nsfw,
                "pinned": row.is_pinned,
                "muted": row.muted,
                "quote": quote_out(row.quote),
                "replies": replies,
            }
        if not replies:
            return None
        return {
            "id": row.id,
            "parent_id": row.parent_id,
            "author": None,
            "body_html": "",
            "created_at": row.created_at,
            "edited_at": None,
            "score": 0,
            "upvotes": 0,
            "downvotes": 0,
            "my_vote": 0,
            "status": _placeholder_status(row),
            "nsfw": False,
            "pinned": False,
            "muted": False,
            "quote": None,
            "replies": replies,
        }

    roots = children.get(None, [])
    if root_order is not None:
        position = {root_id: index for index, root_id in enumerate(root_order)}
        roots = sorted(roots, key=lambda row: position.get(row.id, len(position)))
    else:
        # Pinned top-level comments come first, whatever the sort.
        roots = sorted(roots, key=lambda row: (not row.is_pinned, *key(row)))
    return [node for node in map(render, roots) if node is not None]


def encode_cursor(sort: Sort, last: ThreadRow) -> str:
    """An opaque cursor naming the last top-level comment of a page in this sort."""
    position: list[Any] = [sort.value, last.id]
    if sort is Sort.TOP:
        position.append(last.score)
    elif sort is Sort.CONTROVERSIAL:
        position.append(last.controversy)
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[int, float | None]:
    """(last id, last sort value) from a cursor, or ``InvalidInput`` for a forged one."""
    invalid = InvalidInput(
        "This cursor is not valid for this thread and sort; start again without it.",
        [{"field": "cursor", "reason": "invalid", "message": "Invalid cursor."}],
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise invalid from None
    if not isinstance(position, list) or not position or position[0] != sort.value:
        raise invalid
    needs_value = sort in (Sort.TOP, Sort.CONTROVERSIAL)
    if len(position) != (3 if needs_value else 2):
        raise invalid
    last_id = position[1]
    if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 < last_id < 2**63:
        raise invalid
    if not needs_value:
        return last_id, None
    value = position[2]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid
    if sort is Sort.TOP and (not isinstance(value, int) or abs(value) >= 2**62):
        raise invalid
    return last_id, float(value)

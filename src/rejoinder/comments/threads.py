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


# Shown to the reader; the query already left out pending comments of other authors.
_SHOWN = frozenset((CommentStatus.VISIBLE, CommentStatus.PENDING))
# ``status.value`` is a descriptor call, slow enough to show on a 200-comment read.
_STATUS_TEXT = {status: status.value for status in CommentStatus}


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
    # One sort of all rows orders every level at once: appending each node to its parent's
    # replies in this order leaves every list of siblings sorted (issue 8: ~2 µs per row, a
    # sort and a recursive call per comment cost three times that).
    ordered = sorted(rows, key=sort_key(sort))
    my_votes = my_votes or {}
    nodes: dict[int, dict[str, Any]] = {}
    hidden: dict[int, ThreadRow] = {}
    for row in ordered:
        # Unpacked once: a named field is a descriptor call, 15 of them per row (issue 8).
        (id_, parent_id, name, html, status, nsfw, up, down, score, _controversy, created,
         edited, deleted, pinned, muted, quote) = row  # fmt: skip
        if deleted is None and status in _SHOWN:
            nodes[id_] = {
                "id": id_,
                "parent_id": parent_id,
                "author": {"name": name or "Anonymous"},
                "body_html": html,
                "created_at": created,
                "edited_at": edited,
                "score": score,
                "upvotes": up,
                "downvotes": down,
                "my_vote": my_votes.get(id_, 0),
                "status": _STATUS_TEXT[status],
                "nsfw": nsfw,
                "pinned": pinned,
                "muted": muted,
                "quote": None if quote is None else quote_out(quote),
                "replies": [],
            }
        else:
            hidden[id_] = row
    if hidden:
        _add_placeholders(ordered, nodes, hidden)
    roots: list[tuple[ThreadRow, dict[str, Any]]] = []
    for row in ordered:
        node = nodes.get(row.id)
        if node is None:
            continue
        if row.parent_id is None:
            roots.append((row, node))
        elif (parent := nodes.get(row.parent_id)) is not None:
            parent["replies"].append(node)
    if root_order is not None:
        position = {root_id: index for index, root_id in enumerate(root_order)}
        roots.sort(key=lambda pair: position.get(pair[0].id, len(position)))
    else:
        # Pinned top-level comments come first, whatever the sort.
        roots.sort(key=lambda pair: not pair[0].is_pinned)
    return [node for _row, node in roots]


def _add_placeholders(
    rows: Sequence[ThreadRow], nodes: dict[int, dict[str, Any]], hidden: dict[int, ThreadRow]
) -> None:
    """A placeholder for each hidden row with a shown comment somewhere below it."""
    for row in rows:
        if row.id in hidden:
            continue
        parent_id = row.parent_id
        while parent_id is not None and parent_id in hidden and parent_id not in nodes:
            above = hidden[parent_id]
            nodes[parent_id] = {
                "id": above.id,
                "parent_id": above.parent_id,
                "author": None,
                "body_html": "",
                "created_at": above.created_at,
                "edited_at": None,
                "score": 0,
                "upvotes": 0,
                "downvotes": 0,
                "my_vote": 0,
                "status": _placeholder_status(above),
                "nsfw": False,
                "pinned": False,
                "muted": False,
                "quote": None,
                "replies": [],
            }
            parent_id = above.parent_id


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

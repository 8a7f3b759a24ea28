"""Front-page orders and their arithmetic: ``hot``, ``new``, ``top`` (day/week/all), ``active``.

``hot`` decays votes by age without ever needing to be recomputed::

    hot = sign(points) * log10(1 + |points|) + (created_at - EPOCH) / DECAY_SECONDS

where ``points = upvotes - downvotes`` and ``DECAY_SECONDS = 45,000`` (12.5 hours). Every 12.5
hours of age cost one order of magnitude of votes: a link with 99 points submitted 12.5 hours
ago ties with one of 9 points submitted now and with an unvoted one submitted 25 hours later.

This is Reddit's form rather than Hacker News' ``points / (age_hours + 2) ** 1.8``. Both decay
by age, but HN's value depends on *now*, so the order of two links changes as time passes
and a stored value goes stale (it needs a refresh job, and between refreshes the order is
wrong). Here a link's value depends only on its own points and submission time: comparing two
links at any moment gives the same answer, so the value is stored in ``submissions.hot``,
changed only by a vote (inside the vote's transaction), and a page of the front page is one
scan of the ``(hot, id)`` index with a keyset cursor that stays valid while a reader pages.

The other orders read their own indexed columns: ``new`` the id, ``top`` the points (within the
period), ``active`` ``active_at`` (the latest comment, or the submission time before any).
"""

from __future__ import annotations

import base64
import binascii
import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from rejoinder.errors import InvalidInput

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
DECAY_SECONDS = 45_000


class Sort(enum.StrEnum):
    HOT = "hot"
    NEW = "new"
    TOP = "top"
    ACTIVE = "active"


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    ALL = "all"


PERIOD_LENGTH = {Period.DAY: timedelta(days=1), Period.WEEK: timedelta(days=7)}


def hot(points: int, created_at: datetime) -> float:
    """The stored ``hot`` value of a link with these points, submitted at ``created_at``."""
    votes = math.copysign(math.log10(1 + abs(points)), points) if points else 0.0
    return votes + (created_at - EPOCH).total_seconds() / DECAY_SECONDS


def period_start(period: Period, now: datetime) -> datetime | None:
    """The oldest submission time ``top`` counts in this period; None for all time."""
    length = PERIOD_LENGTH.get(period)
    return now - length if length is not None else None


def to_micros(moment: datetime) -> int:
    """A time as integer microseconds since the Unix epoch: exact in a cursor, unlike a float."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


@dataclass(frozen=True, slots=True)
class Position:
    """Where the previous page ended: the last row's id and its sort value."""

    id: int
    value: float | None = None


def encode_cursor(sort: Sort, period: Period, position: Position) -> str:
    """An opaque cursor for the page after ``position`` in this order."""
    payload: list[object] = [sort.value, period.value, position.id]
    if position.value is not None:
        payload.append(position.value)
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def _invalid() -> InvalidInput:
    return InvalidInput(
        "This cursor is not valid for this order; start again without it.",
        [{"field": "cursor", "reason": "invalid", "message": "Invalid cursor."}],
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def decode_cursor(sort: Sort, period: Period, cursor: str) -> Position:
    """The position a cursor names, or ``InvalidInput`` for a forged or mismatched one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise _invalid() from None
    if not isinstance(payload, list) or payload[:2] != [sort.value, period.value]:
        raise _invalid()
    needs_value = sort is not Sort.NEW
    if len(payload) != (4 if needs_value else 3):
        raise _invalid()
    last_id = payload[2]
    if not _is_int(last_id) or not 0 < last_id < 2**63:
        raise _invalid()
    if not needs_value:
        return Position(last_id)
    value = payload[3]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid()
    # Points and active times (microseconds) are integers; a fractional or huge one was not
    # made by us.
    if sort in (Sort.TOP, Sort.ACTIVE) and (not _is_int(value) or abs(value) >= 2**62):
        raise _invalid()
    if sort is Sort.ACTIVE:
        try:
            from_micros(int(value))
        except OverflowError:
            raise _invalid() from None
    return Position(last_id, value)

"""Dates in exports: strict parsing, so an odd format fails the import instead of guessing."""

from __future__ import annotations

from datetime import UTC, datetime

from rejoinder import clock
from rejoinder.importers.items import ImportFailed

_EARLIEST_YEAR = 1990  # before the web had comment sections


def parse_iso(value: str | None, where: str) -> datetime:
    """An ISO 8601 date and time; naive times are UTC (Disqus, WordPress GMT fields)."""
    text = (value or "").strip()
    if not text or len(text) > 40:
        raise ImportFailed(f"missing or unreadable date {text[:40]!r}", where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ImportFailed(f"unreadable date {text!r} (expected ISO 8601)", where) from None
    return check_range(moment if moment.tzinfo else moment.replace(tzinfo=UTC), where)


def parse_timestamp(value: object, where: str) -> datetime:
    """Seconds since 1970 (Isso's REAL columns)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ImportFailed(f"unreadable timestamp {value!r}", where)
    try:
        moment = datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise ImportFailed(f"timestamp {value!r} is out of range", where) from None
    return check_range(moment, where)


def check_range(moment: datetime, where: str) -> datetime:
    moment = moment.astimezone(UTC)
    latest = clock.now().year + 1
    if not _EARLIEST_YEAR <= moment.year <= latest:
        raise ImportFailed(f"date {moment.isoformat()} is out of range", where)
    return moment

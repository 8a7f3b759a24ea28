"""Column values as the database driver hands them, converted the way the column types would.

SQLAlchemy's ``UTCDateTime`` costs several microseconds per value (a Python type decorator
over the dialect's own processor), three times per row on a thread read. The hot read path
(``comments/queries.py``) selects those columns without their type and converts them here,
to exactly what the typed column gives everywhere else: SQLite stores naive UTC text
(``2026-01-01 00:01:00.000000``), PostgreSQL's ``timestamptz`` arrives as an aware datetime;
both become aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_datetime(value: str | datetime | None) -> datetime | None:
    """An aware UTC datetime from SQLite's text or PostgreSQL's datetime; ``None`` stays."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
        # SQLAlchemy's SQLite DATETIME parses the text with ``fromisoformat`` too. Naming the
        # offset in the text is five times cheaper than ``replace(tzinfo=UTC)`` afterwards.
        try:
            value = datetime.fromisoformat(text + "+00:00")
        except ValueError:  # text that already names an offset
            value = datetime.fromisoformat(text)
    if value.tzinfo is UTC:
        return value
    # UTCDateTime's rule: naive values are UTC, others are converted to it.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

"""Driver values converted by hand give what the typed column gives (db/driver_values.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from rejoinder.db.base import UTCDateTime
from rejoinder.db.driver_values import utc_datetime

SQLITE = sqlite.dialect()
SQLITE_DATETIME = sqlite.DATETIME()


def through_sqlalchemy_on_sqlite(aware: datetime) -> tuple[str, datetime]:
    """The text SQLAlchemy stores for ``aware`` and the value its typed column reads back."""
    column = UTCDateTime()
    bound = column.process_bind_param(aware, SQLITE)
    text = SQLITE_DATETIME.bind_processor(SQLITE)(bound)
    read = column.process_result_value(SQLITE_DATETIME.result_processor(SQLITE, None)(text), SQLITE)
    return text, read


@given(st.datetimes(timezones=st.just(UTC)))
def test_sqlite_text_reads_like_the_typed_column(aware):
    text, typed = through_sqlalchemy_on_sqlite(aware)
    converted = utc_datetime(text)
    assert converted == typed == aware
    assert converted.tzinfo is UTC
    assert converted.isoformat() == typed.isoformat()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01 00:01:00.000000", datetime(2026, 1, 1, 0, 1, tzinfo=UTC)),
        ("2026-01-01 00:01:00.5", datetime(2026, 1, 1, 0, 1, 0, 500000, tzinfo=UTC)),
        # Written by hand or by SQLite itself (CURRENT_TIMESTAMP): no fraction, a date alone.
        ("2026-01-01 00:01:00", datetime(2026, 1, 1, 0, 1, tzinfo=UTC)),
        ("2026-01-01", datetime(2026, 1, 1, tzinfo=UTC)),
        # Text that names its own offset is converted to UTC, as UTCDateTime does.
        ("2026-01-01 02:01:00+02:00", datetime(2026, 1, 1, 0, 1, tzinfo=UTC)),
        ("2026-01-01T00:01:00Z", datetime(2026, 1, 1, 0, 1, tzinfo=UTC)),
    ],
)
def test_sqlite_text_forms(text, expected):
    converted = utc_datetime(text)
    assert converted == expected
    assert converted.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 1, 12, tzinfo=UTC),
        datetime(2026, 1, 1, 14, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 1, 1, 12),  # noqa: DTZ001 - a naive timestamp column hands these over
    ],
)
def test_postgresql_datetimes_read_like_the_typed_column(value):
    typed = UTCDateTime().process_result_value(value, postgresql.dialect())
    converted = utc_datetime(value)
    assert converted == typed
    assert converted.tzinfo is UTC
    assert converted.isoformat() == typed.isoformat()


def test_none_stays_none():
    assert utc_datetime(None) is None


def test_malformed_text_is_an_error_not_a_wrong_date():
    with pytest.raises(ValueError, match="isoformat"):
        utc_datetime("yesterday")

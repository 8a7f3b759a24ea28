"""Front-page ranking arithmetic: hot values and order with a fixed clock, periods, cursors."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from rejoinder.errors import InvalidInput
from rejoinder.submissions.ranking import (
    DECAY_SECONDS,
    EPOCH,
    Period,
    Position,
    Sort,
    decode_cursor,
    encode_cursor,
    from_micros,
    hot,
    period_start,
    to_micros,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


@pytest.mark.parametrize(
    ("points", "created_at", "expected"),
    [
        (0, EPOCH, 0.0),
        (9, EPOCH, 1.0),
        (99, EPOCH, 2.0),
        (-9, EPOCH, -1.0),
        (1, EPOCH, math.log10(2)),
        (0, EPOCH + timedelta(seconds=DECAY_SECONDS), 1.0),
        (9, EPOCH - timedelta(seconds=DECAY_SECONDS), 0.0),
    ],
)
def test_hot_values(points, created_at, expected):
    assert hot(points, created_at) == pytest.approx(expected)


# (name, points, hours before NOW) -> expected hot order, highest first.
ORDER_CASES = [
    pytest.param([("old", 10, 5), ("new", 10, 1)], ["new", "old"], id="same points: newer first"),
    pytest.param(
        [("a", 1, 2), ("b", 5, 2), ("c", 0, 2)], ["b", "a", "c"], id="same age: more points first"
    ),
    pytest.param(
        [("popular", 99, 24), ("fresh", 0, 0)], ["popular", "fresh"], id="99 pts beat 24 h"
    ),
    pytest.param([("popular", 99, 26), ("fresh", 0, 0)], ["fresh", "popular"], id="but not 26 h"),
    pytest.param([("hated", -5, 0), ("plain", 0, 3)], ["plain", "hated"], id="downvotes sink"),
    pytest.param(
        [("d", 3, 48), ("c", 30, 30), ("b", 300, 40), ("a", 2, 1)],
        ["a", "b", "c", "d"],
        id="mixed",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), ORDER_CASES)
def test_hot_order_with_a_fixed_clock(rows, expected):
    ranked = sorted(rows, key=lambda row: hot(row[1], hours_ago(row[2])), reverse=True)
    assert [name for name, _points, _hours in ranked] == expected


def test_ten_times_the_votes_are_worth_one_decay_period():
    assert hot(99, NOW) - hot(9, NOW) == pytest.approx(1.0)
    assert hot(9, NOW + timedelta(seconds=DECAY_SECONDS)) == pytest.approx(hot(99, NOW))


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (Period.DAY, NOW - timedelta(days=1)),
        (Period.WEEK, NOW - timedelta(days=7)),
        (Period.ALL, None),
    ],
)
def test_period_start(period, expected):
    assert period_start(period, NOW) == expected


@pytest.mark.parametrize(
    ("sort", "position"),
    [
        (Sort.NEW, Position(42)),
        (Sort.HOT, Position(7, hot(3, NOW))),
        (Sort.TOP, Position(7, -3)),
        (Sort.ACTIVE, Position(9, to_micros(NOW))),
    ],
)
def test_cursor_round_trips(sort, position):
    assert decode_cursor(sort, Period.WEEK, encode_cursor(sort, Period.WEEK, position)) == position


def test_micros_round_trip_exactly():
    moment = datetime(2026, 11, 23, 12, 0, 0, 123457, tzinfo=UTC)
    assert from_micros(to_micros(moment)) == moment


@pytest.mark.parametrize(
    ("sort", "period", "cursor_of"),
    [
        (Sort.HOT, Period.ALL, (Sort.NEW, Period.ALL, Position(1))),
        (Sort.TOP, Period.DAY, (Sort.TOP, Period.WEEK, Position(1, 5))),
        (Sort.TOP, Period.ALL, (Sort.TOP, Period.ALL, Position(1, 1.5))),
        (Sort.ACTIVE, Period.ALL, (Sort.ACTIVE, Period.ALL, Position(1, 10**19))),
        (Sort.ACTIVE, Period.ALL, (Sort.ACTIVE, Period.ALL, Position(1, 2**61))),
        (Sort.NEW, Period.ALL, (Sort.NEW, Period.ALL, Position(1, 3))),
    ],
)
def test_cursor_of_another_order_or_out_of_range_is_rejected(sort, period, cursor_of):
    with pytest.raises(InvalidInput):
        decode_cursor(sort, period, encode_cursor(*cursor_of))


@pytest.mark.parametrize(
    "cursor", ["", "x", "====", "bnVsbA", "W10", "WyJob3QiLCJhbGwiXQ", "WyJuZXciLCJhbGwiLDBd"]
)
def test_garbage_cursors_are_rejected(cursor):
    with pytest.raises(InvalidInput):
        decode_cursor(Sort.NEW, Period.ALL, cursor)

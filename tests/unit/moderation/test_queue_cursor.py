"""Queue cursors round-trip and forged ones are refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from rejoinder.errors import InvalidInput
from rejoinder.moderation.queue import decode_cursor, encode_cursor


def test_round_trip():
    when = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(when, 42)) == (when, 42)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        _b64(b"not json"),
        _b64(b"[]"),
        _b64(b'["2026-11-23T10:00:00", 1]'),  # naive time
        _b64(b'["2026-11-23T10:00:00+00:00", true]'),
        _b64(b'["2026-11-23T10:00:00+00:00", 0]'),
        _b64(b'["2026-11-23T10:00:00+00:00", 99999999999999999999]'),
        _b64(b'["yesterday", 1]'),
        _b64(b'{"a": 1}'),
        _b64(b'["2026-11-23T10:00:00+00:00", 1, 2]'),
    ],
)
def test_forged_cursors_are_invalid_input(cursor):
    with pytest.raises(InvalidInput):
        decode_cursor(cursor)

"""Thread building: nesting, ordering, placeholders and cursors, with no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rejoinder.comments.models import CommentStatus
from rejoinder.comments.schemas import Sort
from rejoinder.comments.threads import (
    ThreadRow,
    build_thread,
    controversy,
    decode_cursor,
    encode_cursor,
)
from rejoinder.errors import InvalidInput

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def row(id_, parent=None, score=0, status=CommentStatus.VISIBLE, deleted=False, up=0, down=0):
    return ThreadRow(
        id=id_,
        parent_id=parent,
        author_name=f"user{id_}",
        body_html=f"<p>{id_}</p>",
        status=status,
        nsfw=False,
        upvotes=up,
        downvotes=down,
        score=score,
        controversy=controversy(up, down),
        created_at=T0,
        edited_at=None,
        deleted_at=T0 if deleted else None,
    )


def shape(nodes):
    return [(node["id"], shape(node["replies"])) for node in nodes]


def test_nesting_and_order_per_level():
    rows = [row(1), row(2, 1), row(3, 1, score=5), row(4), row(5, 3)]
    assert shape(build_thread(rows, Sort.OLD)) == [(1, [(2, []), (3, [(5, [])])]), (4, [])]
    assert shape(build_thread(rows, Sort.TOP)) == [(1, [(3, [(5, [])]), (2, [])]), (4, [])]
    assert shape(build_thread(rows, Sort.NEW)) == [(4, []), (1, [(3, [(5, [])]), (2, [])])]


@pytest.mark.parametrize(
    ("status", "deleted", "expected_status"),
    [
        (CommentStatus.VISIBLE, True, "deleted"),
        (CommentStatus.REMOVED, False, "removed"),
        (CommentStatus.SPAM, False, "removed"),
    ],
)
def test_hidden_comment_with_replies_is_a_placeholder(status, deleted, expected_status):
    rows = [row(1, status=status, deleted=deleted, score=9), row(2, 1)]
    (node,) = build_thread(rows, Sort.TOP)
    assert node["status"] == expected_status
    assert node["author"] is None
    assert node["body_html"] == ""
    assert node["score"] == 0
    assert [reply["id"] for reply in node["replies"]] == [2]


def test_hidden_leaves_and_chains_of_hidden_comments_vanish():
    rows = [row(1, deleted=True), row(2, 1, deleted=True), row(3, status=CommentStatus.REMOVED)]
    assert build_thread(rows, Sort.TOP) == []


def test_orphans_are_dropped():
    assert shape(build_thread([row(1), row(2, 99)], Sort.OLD)) == [(1, [])]


def test_my_votes_are_overlaid():
    (node,) = build_thread([row(1)], Sort.TOP, {1: -1})
    assert node["my_vote"] == -1


def test_root_order_from_sql_is_kept():
    rows = [row(1), row(2), row(3)]
    assert shape(build_thread(rows, Sort.TOP, root_order=[3, 1, 2])) == [(3, []), (1, []), (2, [])]


@pytest.mark.parametrize(
    ("up", "down", "expected"), [(0, 0, 0.0), (5, 0, 0.0), (10, 10, 20.0), (1, 1, 2.0)]
)
def test_controversy(up, down, expected):
    assert controversy(up, down) == pytest.approx(expected)


def test_controversy_prefers_balanced_and_bigger():
    assert controversy(10, 10) > controversy(100, 1)
    assert controversy(50, 50) > controversy(10, 10)


@pytest.mark.parametrize("sort", list(Sort))
def test_cursor_round_trip(sort):
    last = row(42, score=-3, up=3, down=6)
    after = decode_cursor(sort, encode_cursor(sort, last))
    assert after[0] == 42
    if sort is Sort.TOP:
        assert after[1] == -3
    if sort is Sort.CONTROVERSIAL:
        assert after[1] == last.controversy


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", "bm9wZQ", "WyJ0b3AiXQ", "WyJuZXciLCAiYSJd", "WyJuZXciLDFd" * 3],
)
def test_forged_cursors_are_invalid_input(cursor):
    with pytest.raises(InvalidInput):
        decode_cursor(Sort.TOP, cursor)


def test_cursor_of_another_sort_is_invalid():
    with pytest.raises(InvalidInput):
        decode_cursor(Sort.OLD, encode_cursor(Sort.NEW, row(1)))


@st.composite
def forests(draw):
    count = draw(st.integers(0, 40))
    rows = []
    for id_ in range(1, count + 1):
        parent = draw(st.one_of(st.none(), st.integers(1, id_ - 1))) if id_ > 1 else None
        rows.append(
            row(
                id_,
                parent,
                score=draw(st.integers(-5, 5)),
                deleted=draw(st.booleans()),
                status=draw(st.sampled_from([CommentStatus.VISIBLE, CommentStatus.REMOVED])),
            )
        )
    return rows


def _walk(nodes, depth=0):
    for node in nodes:
        yield node, depth
        yield from _walk(node["replies"], depth + 1)


@settings(max_examples=200, deadline=None)
@given(forests(), st.sampled_from(list(Sort)))
def test_thread_properties(rows, sort):
    thread = build_thread(rows, sort)
    by_id = {r.id: r for r in rows}
    seen = [node["id"] for node, _ in _walk(thread)]
    # Every comment appears at most once, under its real parent.
    assert len(seen) == len(set(seen))
    for node, _ in _walk(thread):
        for reply in node["replies"]:
            assert by_id[reply["id"]].parent_id == node["id"]
        # A placeholder only exists to hold replies; a shown comment has its text.
        if node["status"] in ("deleted", "removed"):
            assert node["replies"]
            assert node["body_html"] == ""
        else:
            assert node["body_html"] == by_id[node["id"]].body_html
    # Every shown comment whose ancestors all exist is present.
    for r in rows:
        if r.deleted_at is None and r.status is CommentStatus.VISIBLE:
            assert r.id in seen
    # Siblings are ordered by the sort.
    for node, _ in _walk([{"id": None, "replies": thread}]):
        ids = [reply["id"] for reply in node["replies"]]
        if sort is Sort.OLD:
            assert ids == sorted(ids)
        elif sort is Sort.NEW:
            assert ids == sorted(ids, reverse=True)

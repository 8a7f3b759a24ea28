"""``build_thread`` against the obvious recursive nesting it replaced for speed (issue 8).

The fast version sorts all rows once and links nodes in that order; the reference sorts each
level's children and recurses. Both must give the same dicts for any forest of rows, in any
input order, including hidden comments, placeholders, orphans and pinned comments.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from rejoinder.comments.models import CommentStatus
from rejoinder.comments.quotes import quote_out
from rejoinder.comments.schemas import Sort
from rejoinder.comments.threads import ThreadRow, build_thread, controversy, sort_key

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def reference(rows, sort, my_votes=None, root_order=None):
    my_votes = my_votes or {}
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    key = sort_key(sort)

    def render(row):
        replies = [n for n in map(render, sorted(children.get(row.id, ()), key=key)) if n]
        if row.deleted_at is None and row.status in (CommentStatus.VISIBLE, CommentStatus.PENDING):
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
            "status": "deleted" if row.deleted_at is not None else "removed",
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
        roots = sorted(roots, key=lambda row: (not row.is_pinned, *key(row)))
    return [node for node in map(render, roots) if node]


@st.composite
def rows(draw):
    count = draw(st.integers(0, 30))
    drawn = []
    for id_ in range(1, count + 1):
        # Parents up to count + 3: some rows are orphans, their parent not on this page.
        parent = draw(
            st.one_of(st.none(), st.integers(1, count + 3).filter(lambda p, own=id_: p != own))
        )
        up, down = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        drawn.append(
            ThreadRow(
                id=id_,
                parent_id=parent,
                author_name=draw(st.sampled_from([None, "ann"])),
                body_html=f"<p>{id_}</p>",
                status=draw(st.sampled_from(list(CommentStatus))),
                nsfw=draw(st.booleans()),
                upvotes=up,
                downvotes=down,
                score=up - down,
                controversy=controversy(up, down),
                created_at=T0,
                edited_at=draw(st.sampled_from([None, T0])),
                deleted_at=draw(st.sampled_from([None, None, T0])),
                is_pinned=parent is None and draw(st.booleans()),
                muted=draw(st.booleans()),
                quote=draw(st.sampled_from([None, {"exact": "q"}, "junk"])),
            )
        )
    return draw(st.permutations(drawn))


@settings(max_examples=100, deadline=None)
@given(rows(), st.sampled_from(list(Sort)), st.data())
def test_same_thread_as_the_recursive_reference(drawn, sort, data):
    votes = {row.id: data.draw(st.sampled_from([-1, 1])) for row in drawn[::2]}
    assert build_thread(drawn, sort, votes) == reference(drawn, sort, votes)
    root_ids = [row.id for row in drawn if row.parent_id is None]
    order = data.draw(st.permutations(root_ids))
    assert build_thread(drawn, sort, votes, order) == reference(drawn, sort, votes, order)


def test_cycles_in_bad_data_end_without_a_hang():
    looped = [
        ThreadRow(1, 2, "a", "", CommentStatus.REMOVED, False, 0, 0, 0, 0.0, T0, None, None),
        ThreadRow(2, 1, "b", "", CommentStatus.VISIBLE, False, 0, 0, 0, 0.0, T0, None, None),
    ]
    assert build_thread(looped, Sort.TOP) == []

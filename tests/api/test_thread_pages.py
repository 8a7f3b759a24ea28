"""Pages of a thread bounded by comments in all: long discussions open as light as short ones."""

from __future__ import annotations

from typing import Any

import pytest
from factories import User, make_comment, make_user, promote, read_thread

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/11/long-debate"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"thread_page_size": 100, "thread_page_comments": 6}


async def top_with_replies(client: Any, user: User, label: str, replies: int) -> list[int]:
    """A top-level comment and a chain of ``replies`` under it; every id, the top one first."""
    top = await make_comment(client, user, label, url=ARTICLE)
    ids = [top["id"]]
    for n in range(replies):
        reply = await make_comment(client, user, f"{label} reply {n}", url=None, parent_id=ids[-1])
        ids.append(reply["id"])
    return ids


def flatten(comments: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    stack = list(reversed(comments))
    while stack:
        node = stack.pop()
        ids.append(node["id"])
        stack.extend(reversed(node["replies"]))
    return ids


async def every_page(client: Any, **params: Any) -> list[dict[str, Any]]:
    pages, cursor = [], None
    for _ in range(20):
        query = params | ({"cursor": cursor} if cursor else {})
        thread = await read_thread(client, ARTICLE, **query)
        pages.append(thread)
        cursor = thread["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ran out")


class TestCommentBudget:
    async def test_page_ends_before_the_top_level_comment_that_would_pass_the_budget(self, client):
        alice = await make_user(client)
        first = await top_with_replies(client, alice, "a", 2)  # 3 comments
        second = await top_with_replies(client, alice, "b", 2)  # 6 in all
        third = await top_with_replies(client, alice, "c", 1)  # would make 8
        pages = await every_page(client, sort="old")
        assert [flatten(page["comments"]) for page in pages] == [first + second, third]
        assert pages[0]["page"]["comment_count"] == 8

    async def test_every_comment_once_across_pages_in_every_sort(self, client):
        alice = await make_user(client)
        expected: list[int] = []
        for n, replies in enumerate((0, 4, 1, 7, 2, 0, 3)):
            expected += await top_with_replies(client, alice, f"t{n}", replies)
        for sort in ("top", "new", "old", "controversial"):
            pages = await every_page(client, sort=sort)
            seen = [i for page in pages for i in flatten(page["comments"])]
            assert sorted(seen) == sorted(expected), sort
            for page in pages:
                sizes = [len(flatten([node])) for node in page["comments"]]
                # Within the budget, unless one top-level comment alone is bigger.
                assert sum(sizes) <= 6 or len(sizes) == 1, (sort, sizes)

    async def test_a_top_level_comment_bigger_than_the_budget_still_comes_whole(self, client):
        alice = await make_user(client)
        big = await top_with_replies(client, alice, "big", 9)
        small = await top_with_replies(client, alice, "small", 0)
        pages = await every_page(client, sort="old")
        assert [flatten(page["comments"]) for page in pages] == [big, small]

    async def test_pinned_comments_lead_the_first_page_and_count_in_its_budget(self, client, app):
        alice, mod = await make_user(client), await make_user(client, "mod")
        await promote(app, mod, "moderator")
        first = await top_with_replies(client, alice, "a", 1)
        second = await top_with_replies(client, alice, "b", 1)
        pinned = await top_with_replies(client, alice, "pinned", 4)  # 5 of the 6
        response = await client.put(f"/api/v1/comments/{pinned[0]}/pin", headers=mod.auth)
        assert response.status_code == 200
        pages = await every_page(client, sort="old")
        # The pinned five, then the first unpinned comment whole (a page must move on),
        # then the rest; the pinned comment appears only on the first page.
        assert [flatten(page["comments"]) for page in pages] == [pinned + first, second]

    async def test_a_named_limit_is_top_level_comments_whatever_their_replies(self, client):
        alice = await make_user(client)
        first = await top_with_replies(client, alice, "a", 5)
        second = await top_with_replies(client, alice, "b", 5)
        third = await top_with_replies(client, alice, "c", 5)
        thread = await read_thread(client, ARTICLE, sort="old", limit=2)
        assert flatten(thread["comments"]) == first + second
        rest = await read_thread(client, ARTICLE, sort="old", cursor=thread["next_cursor"])
        assert flatten(rest["comments"]) == third
        assert rest["next_cursor"] is None

    async def test_deleted_comments_shown_as_placeholders_count_in_the_budget(self, client):
        alice = await make_user(client)
        first = await top_with_replies(client, alice, "a", 3)
        deleted = await client.delete(f"/api/v1/comments/{first[0]}", headers=alice.auth)
        assert deleted.status_code == 204
        second = await top_with_replies(client, alice, "b", 2)
        pages = await every_page(client, sort="old")
        assert [flatten(page["comments"]) for page in pages] == [first, second]
        assert pages[0]["comments"][0]["author"] is None  # the placeholder

    async def test_the_discussion_page_loads_more_by_the_same_rule(self, client):
        alice = await make_user(client)
        first = await top_with_replies(client, alice, "a", 4)
        second = await top_with_replies(client, alice, "b", 4)
        page_id = (await read_thread(client, ARTICLE))["page"]["id"]
        html = (await client.get(f"/p/{page_id}", follow_redirects=True)).text
        assert all(f'id="c{i}"' in html for i in first)
        assert not any(f'id="c{i}"' in html for i in second)
        cursor = (await read_thread(client, ARTICLE))["next_cursor"]
        more = await client.get(f"/p/{page_id}/x/more", params={"cursor": cursor, "sort": "top"})
        assert more.status_code == 200
        assert all(f'id="c{i}"' in more.text for i in second)
        assert more.headers["x-next-cursor"] == ""

"""Voting: one vote per account, idempotent, exact tallies under concurrency."""

from __future__ import annotations

import anyio
import pytest
from factories import make_comment, make_user, read_thread

pytestmark = pytest.mark.anyio


async def vote(client, user, comment_id, value):
    return await client.put(
        f"/api/v1/comments/{comment_id}/vote", json={"value": value}, headers=user.auth
    )


async def test_vote_is_idempotent_and_changeable(client):
    alice, bob = await make_user(client), await make_user(client)
    posted = await make_comment(client, alice)
    for _ in range(3):
        response = await vote(client, bob, posted["id"], 1)
        assert response.status_code == 200
        assert response.json() == {
            "comment_id": posted["id"],
            "score": 1,
            "upvotes": 1,
            "downvotes": 0,
            "my_vote": 1,
        }
    response = await vote(client, bob, posted["id"], -1)
    assert response.json() | {} == {
        "comment_id": posted["id"],
        "score": -1,
        "upvotes": 0,
        "downvotes": 1,
        "my_vote": -1,
    }
    response = await vote(client, bob, posted["id"], 0)
    assert response.json()["score"] == 0
    assert response.json()["downvotes"] == 0


async def test_my_vote_shows_in_thread_only_for_me(client):
    alice, bob = await make_user(client), await make_user(client)
    posted = await make_comment(client, alice)
    await vote(client, bob, posted["id"], -1)
    mine = await read_thread(client, user=bob)
    assert mine["comments"][0]["my_vote"] == -1
    theirs = await read_thread(client, user=alice)
    assert theirs["comments"][0]["my_vote"] == 0
    assert theirs["comments"][0]["downvotes"] == 1


async def test_own_comment_cannot_be_voted(client):
    alice = await make_user(client)
    posted = await make_comment(client, alice)
    response = await vote(client, alice, posted["id"], 1)
    assert response.status_code == 403


@pytest.mark.parametrize("value", [2, -2, "1", None, 1.5, True])
async def test_vote_value_must_be_minus_one_zero_or_one(client, value):
    alice, bob = await make_user(client), await make_user(client)
    posted = await make_comment(client, alice)
    response = await vote(client, bob, posted["id"], value)
    assert response.status_code == 422


async def test_vote_needs_an_account(client):
    alice = await make_user(client)
    posted = await make_comment(client, alice)
    response = await client.put(f"/api/v1/comments/{posted['id']}/vote", json={"value": 1})
    assert response.status_code == 401


async def test_vote_on_missing_comment_is_404(client):
    bob = await make_user(client)
    assert (await vote(client, bob, 12345, 1)).status_code == 404


async def test_fifty_concurrent_voters_give_exact_tallies(client):
    author = await make_user(client)
    posted = await make_comment(client, author)
    voters = [await make_user(client) for _ in range(50)]
    statuses: list[int] = []

    async def cast(index: int) -> None:
        # Even-numbered voters vote up, odd ones down; each sends its vote twice at once.
        value = 1 if index % 2 == 0 else -1
        response = await vote(client, voters[index], posted["id"], value)
        statuses.append(response.status_code)

    async with anyio.create_task_group() as group:
        for index in range(50):
            group.start_soon(cast, index)
            group.start_soon(cast, index)
    assert statuses == [200] * 100
    thread = await read_thread(client)
    comment = thread["comments"][0]
    assert (comment["upvotes"], comment["downvotes"], comment["score"]) == (25, 25, 0)

"""Changing one reader's vote row and the tally deltas it causes, for comments and links alike.

A vote is -1, 0 (none: no row) or 1. Changing it moves at most one unit out of one tally
(upvotes or downvotes) and into the other, so the caller can update its counters in place
(``x = x + delta``) under the row lock it already holds, never recounting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class VoteRow(Protocol):
    value: int


@dataclass(frozen=True)
class TallyChange:
    upvotes: int
    downvotes: int


async def change_vote(
    session: AsyncSession,
    existing: VoteRow | None,
    value: int,
    new_row: Callable[[], object],
) -> TallyChange | None:
    """Make the voter's row say ``value``; None when it already did (nothing to count).

    ``new_row`` builds the row for a first vote. Flushes, so the caller's tally update
    follows the row change in the same transaction.
    """
    previous = existing.value if existing is not None else 0
    if previous == value:
        return None
    if existing is not None and value == 0:
        await session.delete(existing)
    elif existing is not None:
        existing.value = value
    else:
        session.add(new_row())
    await session.flush()
    return TallyChange(
        upvotes=int(value == 1) - int(previous == 1),
        downvotes=int(value == -1) - int(previous == -1),
    )

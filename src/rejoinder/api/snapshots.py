"""Snapshots of the articles discussed: what the page said when it was fetched."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from rejoinder.api.deps import DbSession
from rejoinder.pages.schemas import SnapshotListOut, SnapshotOut, SnapshotTextOut
from rejoinder.pages.snapshots import SnapshotService

router = APIRouter(tags=["pages"])

PageID = Annotated[int, Path(gt=0, le=2**31 - 1)]
SnapshotID = Annotated[int, Path(gt=0, le=2**31 - 1)]


@router.get("/pages/{page_id}/snapshots", response_model=SnapshotListOut)
async def list_snapshots(page_id: PageID, session: DbSession) -> SnapshotListOut:
    """The article's text as each fetch found it, newest first, without the texts."""
    summaries = await SnapshotService(session).list_snapshots(page_id)
    return SnapshotListOut(
        snapshots=[
            SnapshotOut(
                id=s.id, fetched_at=s.fetched_at, sha256=s.sha256, length=s.length, title=s.title
            )
            for s in summaries
        ]
    )


@router.get("/pages/{page_id}/snapshots/{snapshot_id}", response_model=SnapshotTextOut)
async def read_snapshot(
    page_id: PageID, snapshot_id: SnapshotID, session: DbSession
) -> SnapshotTextOut:
    """One snapshot with its text."""
    snapshot = await SnapshotService(session).get_snapshot(page_id, snapshot_id)
    return SnapshotTextOut(
        id=snapshot.id,
        fetched_at=snapshot.fetched_at,
        sha256=snapshot.sha256,
        length=snapshot.length,
        title=snapshot.title,
        text=snapshot.text,
    )

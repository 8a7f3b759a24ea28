"""Full-text search over comments and page titles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rejoinder.api.deps import DbSession
from rejoinder.api.responses import JSONBytes
from rejoinder.search.schemas import SearchOut
from rejoinder.search.service import SearchService
from rejoinder.search.terms import MAX_QUERY

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchOut)
async def search(
    session: DbSession,
    q: Annotated[str, Query(max_length=MAX_QUERY, description='Words and "phrases".')],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONBytes:
    """Visible comments and page titles containing every word; titles first, newest first."""
    results = await SearchService(session).search(q, cursor)
    return JSONBytes(results.as_dict())

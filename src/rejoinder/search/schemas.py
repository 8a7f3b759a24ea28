"""What the search endpoint returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from rejoinder.comments.schemas import AuthorOut


class SearchPageOut(BaseModel):
    id: int
    key: str
    url: str
    title: str | None
    discussion_path: str = Field(description="The discussion page, `/p/{page_id}/{slug}`.")


class SearchResultOut(BaseModel):
    kind: Literal["page", "comment"] = Field(description="A page title or a comment matched.")
    comment_id: int | None = Field(description="The comment matched; null for a title.")
    page: SearchPageOut
    author: AuthorOut | None = Field(description="The comment's author; null for a title.")
    created_at: datetime
    snippet_html: str = Field(
        description="Escaped text around the match; only `<mark>` elements are markup."
    )


class SearchOut(BaseModel):
    query: str
    results: list[SearchResultOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")

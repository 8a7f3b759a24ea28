"""What the identity endpoints accept and return: page details, merges, splits, suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rejoinder.pages.schemas import PageOut

PageIdIn = Annotated[int, Field(gt=0, le=2**62)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class SyndicatedCopyOut(BaseModel):
    key: str
    url: str
    title: str | None = Field(description="From the copy's HTML: escape it.")
    similarity: float = Field(description="Estimated share of the text in common, 0..1.")


class PageDetailOut(PageOut):
    aliases: list[str] = Field(
        default_factory=list, description="Every URL key leading to this discussion."
    )
    syndicated_copies: list[SyndicatedCopyOut] = Field(
        default_factory=list,
        description="Other discussions of the same article text (not merged).",
    )


class MergeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    from_page_id: PageIdIn = Field(description="The discussion that moves and ends.")
    into_page_id: PageIdIn = Field(description="The discussion that receives it.")
    reason: Reason = Field("", description="Why; kept in the moderation log.")


class SplitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    page_id: PageIdIn
    alias_key: Annotated[str, StringConstraints(min_length=1, max_length=2048)] = Field(
        description="The URL key (or any URL form of it) to give its own discussion."
    )
    reason: Reason = ""


class PageSummaryOut(BaseModel):
    id: int
    key: str
    url: str
    title: str | None
    comment_count: int


class MergeOut(BaseModel):
    page: PageSummaryOut = Field(description="The discussion the comments are now in.")


class SplitOut(BaseModel):
    page: PageSummaryOut = Field(description="The discussion the key now leads to.")


class SuggestionOut(BaseModel):
    kind: Literal["syndicated", "canonical"]
    from_page: PageSummaryOut
    into_page: PageSummaryOut
    similarity: float | None = Field(description="For `syndicated`: the texts' similarity.")
    found_at: datetime


class SuggestionsOut(BaseModel):
    suggestions: list[SuggestionOut]

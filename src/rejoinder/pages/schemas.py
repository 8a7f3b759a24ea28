"""What the page endpoints accept and return."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# The URL is checked (scheme, length, host) by the service with a reader-facing message;
# this bound only keeps absurd bodies out before that.
UrlText = Annotated[str, StringConstraints(min_length=1, max_length=8192)]


class PageOut(BaseModel):
    key: str = Field(description="The discussion key every URL form of the page maps to.")
    url: str
    canonical_url: str | None
    title: str | None
    comment_count: int


class CountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urls: Annotated[list[UrlText], Field(max_length=200)]


class CountsOut(BaseModel):
    counts: dict[str, int] = Field(description="Visible comments by URL, keyed as sent.")


class PrefixCountsOut(BaseModel):
    prefix: str
    counts: dict[str, int] = Field(description="Counts by sha256(key) hex digest.")

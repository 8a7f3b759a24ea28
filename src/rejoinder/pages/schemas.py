"""What the page endpoints accept and return."""

from __future__ import annotations

from datetime import datetime
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
    # What the background fetcher learned about the article; None until its first fetch.
    # Hostile text from the article (length-capped, control characters stripped): escape it.
    id: int | None = Field(None, description="The page's id; None before the first comment.")
    site_name: str | None = None
    author: str | None = None
    description: str | None = None
    image_url: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime | None = Field(None, description="When the article was last fetched.")


class CountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urls: Annotated[list[UrlText], Field(max_length=200)]


class CountsOut(BaseModel):
    counts: dict[str, int] = Field(description="Visible comments by URL, keyed as sent.")


class PrefixCountsOut(BaseModel):
    prefix: str
    counts: dict[str, int] = Field(description="Counts by sha256(key) hex digest.")


class SnapshotOut(BaseModel):
    id: int
    fetched_at: datetime
    sha256: str = Field(description="SHA-256 of the text: equal hashes, equal texts.")
    length: int = Field(description="Characters of text.")
    title: str | None


class SnapshotListOut(BaseModel):
    snapshots: list[SnapshotOut] = Field(description="Newest (the current text) first.")


class SnapshotTextOut(SnapshotOut):
    text: str = Field(description="The article's readable text as plain text; escape it.")

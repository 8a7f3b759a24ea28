"""What the comment and thread endpoints accept and return."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rejoinder.comments.quotes import MAX_CONTEXT, MAX_EXACT, clean_quote_text
from rejoinder.pages.schemas import PageOut, UrlText

# The configured limit (10,000 by default) is checked by the service with a clear message;
# this bound only rejects absurd bodies before any work is done.
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
GuestName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Sort(enum.StrEnum):
    TOP = "top"
    NEW = "new"
    OLD = "old"
    CONTROVERSIAL = "controversial"


class QuoteIn(BaseModel):
    """A passage of the article the comment answers: a W3C Web Annotation TextQuoteSelector."""

    # Strict: a number or a list where text belongs is a client bug, not something to coerce.
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["TextQuoteSelector"]
    exact: Annotated[str, StringConstraints(min_length=1, max_length=MAX_EXACT)]
    prefix: Annotated[str, StringConstraints(max_length=MAX_CONTEXT)] = ""
    suffix: Annotated[str, StringConstraints(max_length=MAX_CONTEXT)] = ""

    @field_validator("exact", "prefix", "suffix")
    @classmethod
    def _plain_text(cls, value: str) -> str:
        return clean_quote_text(value)

    @field_validator("exact")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The quoted passage is empty once control characters are removed.")
        return value


class QuoteOut(BaseModel):
    type: Literal["TextQuoteSelector"] = "TextQuoteSelector"
    exact: str
    prefix: str
    suffix: str


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: UrlText | None = Field(None, description="The page; may be omitted on a reply.")
    parent_id: Annotated[int, Field(gt=0, le=2**62)] | None = None
    body: Body = Field(description="Markdown (CommonMark, no raw HTML).")
    nsfw: bool = False
    author_name: GuestName | None = Field(
        None, description="Display name of a guest comment, where the instance allows them."
    )
    quote: QuoteIn | None = Field(None, description="The passage of the article answered.")


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class VoteIn(BaseModel):
    # Strict: true/"1" are not votes, and a client sending them has a bug worth seeing.
    model_config = ConfigDict(extra="forbid", strict=True)

    value: Annotated[int, Field(ge=-1, le=1, description="1 up, -1 down, 0 withdraws.")]


class AuthorOut(BaseModel):
    name: str


class CommentStatusOut(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"
    REMOVED = "removed"
    DELETED = "deleted"


class CommentOut(BaseModel):
    id: int
    parent_id: int | None
    author: AuthorOut | None = Field(description="null on deleted and removed placeholders.")
    body_html: str = Field(description="Sanitized HTML; empty on placeholders.")
    created_at: datetime
    edited_at: datetime | None
    score: int
    upvotes: int
    downvotes: int
    my_vote: Literal[-1, 0, 1]
    status: CommentStatusOut
    nsfw: bool
    pinned: bool = Field(False, description="Pinned by a moderator: shown first.")
    muted: bool = Field(False, description="By an author you muted: collapse it.")
    quote: QuoteOut | None = Field(
        None, description="The passage of the article answered; plain text, escape it."
    )
    replies: list[CommentOut]


class ThreadOut(BaseModel):
    page: PageOut
    comments: list[CommentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next top-level page.")


class VoteOut(BaseModel):
    comment_id: int
    score: int
    upvotes: int
    downvotes: int
    my_vote: Literal[-1, 0, 1]

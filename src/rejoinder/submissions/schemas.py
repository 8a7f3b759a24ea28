"""What the submission endpoints accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rejoinder.comments.schemas import AuthorOut, Body
from rejoinder.pages.schemas import UrlText

MAX_TITLE = 300
# Whitespace and control characters are cleaned by the service, which then checks the length
# again with a message for the reader; this bound keeps absurd bodies out before any work.
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE)]


class SubmissionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: UrlText = Field(description="The page to share; any URL form of it.")
    title: Title = Field(description="Shown on the front page; at most 300 characters.")
    body: Body | None = Field(None, description="An optional first comment (Markdown).")


class SubmissionOut(BaseModel):
    id: int
    page_id: int
    title: str
    url: str
    site: str = Field(description="The host of the URL, without `www.`.")
    discussion_path: str = Field(description="The discussion page, `/p/{page_id}/{slug}`.")
    submitter: AuthorOut | None = Field(description="null when the account was deleted.")
    points: int
    upvotes: int
    downvotes: int
    comment_count: int
    created_at: datetime
    active_at: datetime = Field(description="The latest comment, or the submission time.")
    my_vote: Literal[-1, 0, 1]


class SubmissionListOut(BaseModel):
    items: list[SubmissionOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class SubmissionVoteOut(BaseModel):
    submission_id: int
    points: int
    upvotes: int
    downvotes: int
    my_vote: Literal[-1, 0, 1]

"""Markdown preview: the HTML a comment body would be stored as, without storing anything."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from rejoinder.api.deps import AppSettings, ClientIp, Limiter
from rejoinder.comments.render import render_markdown
from rejoinder.comments.schemas import Body
from rejoinder.errors import InvalidInput
from rejoinder.moderation.limits import Rate, enforce

router = APIRouter(tags=["comments"])

# Generous for someone typing (the composer previews on demand), tight for a script using
# the server as a free markdown renderer.
PREVIEW_RATE = Rate(60, 60)


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body = Field(description="Markdown, as it would be posted.")


class PreviewOut(BaseModel):
    html: str = Field(description="Sanitized HTML, exactly as the comment would show.")


@router.post("/preview", response_model=PreviewOut)
async def preview_comment(
    body: PreviewIn, settings: AppSettings, limiter: Limiter, ip: ClientIp
) -> PreviewOut:
    """Render a comment body to HTML without posting it."""
    await enforce(limiter, PREVIEW_RATE, f"preview:ip:{ip}", message="Too many previews.")
    limit = settings.max_comment_length
    if len(body.body.strip()) > limit:
        raise InvalidInput(
            f"Comments are limited to {limit:,} characters; this one has {len(body.body):,}.",
            [{"field": "body", "reason": "too_long", "message": f"At most {limit} characters."}],
        )
    return PreviewOut(html=render_markdown(body.body).html)

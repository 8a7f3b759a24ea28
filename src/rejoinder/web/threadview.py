"""What the discussion templates need beyond the thread itself: links, sorts, permissions.

The thread comes from ``comments.reading`` exactly as the JSON API serves it; this module
only adds presentation facts, e.g. whether the reader may still edit a comment (a hint for
showing the link: the service checks again when the form is sent).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request

from rejoinder import clock
from rejoinder.accounts.models import Account
from rejoinder.comments.queries import DELETED_AUTHOR
from rejoinder.comments.reading import Thread
from rejoinder.comments.schemas import Sort
from rejoinder.moderation.bans import is_staff
from rejoinder.pages.models import Page
from rejoinder.settings import Settings
from rejoinder.web.links import page_path

SORT_LABELS = {
    Sort.TOP: "Top",
    Sort.NEW: "Newest",
    Sort.OLD: "Oldest",
    Sort.CONTROVERSIAL: "Controversial",
}


class Permissions:
    """Per-comment answers for the templates, for one reader."""

    def __init__(
        self, viewer: Account | None, edit_window_seconds: int, page: Page | None = None
    ) -> None:
        self.viewer = viewer
        self.window = timedelta(seconds=edit_window_seconds)
        self.now = clock.now()
        self.is_staff = is_staff(viewer)
        # Moderators may still write in a locked or closed discussion (the gate agrees).
        self.locked = bool(page and page.is_locked) and not self.is_staff
        self.closed = bool(page and (page.is_locked or page.is_closed)) and not self.is_staff

    def is_mine(self, comment: dict[str, Any]) -> bool:
        author = comment.get("author")
        return bool(self.viewer and author and author["name"] == self.viewer.username)

    def can_change(self, comment: dict[str, Any]) -> bool:
        if comment["status"] in ("deleted", "removed") or not self.is_mine(comment):
            return False
        return bool(self.now < comment["created_at"] + self.window)

    def can_vote(self, comment: dict[str, Any]) -> bool:
        return comment["status"] == "visible" and not self.is_mine(comment) and not self.locked

    def can_reply(self, comment: dict[str, Any]) -> bool:
        return comment["status"] in ("visible", "pending") and not self.closed

    def can_report(self, comment: dict[str, Any]) -> bool:
        return bool(self.viewer) and comment["status"] == "visible" and not self.is_mine(comment)

    def can_mute(self, comment: dict[str, Any]) -> bool:
        return bool(self.viewer and self.author_link(comment)) and not self.is_mine(comment)

    def can_pin(self, comment: dict[str, Any]) -> bool:
        top_level = comment["parent_id"] is None
        return self.is_staff and top_level and comment["status"] == "visible"

    @staticmethod
    def author_link(comment: dict[str, Any]) -> str | None:
        author = comment.get("author")
        if not author or author["name"] in (DELETED_AUTHOR, "Anonymous"):
            return None
        return f"/u/{author['name']}"


def count_comments(comments: list[dict[str, Any]]) -> int:
    return sum(1 + count_comments(comment["replies"]) for comment in comments)


def thread_context(
    request: Request,
    settings: Settings,
    page: Page,
    thread: Thread,
    sort: Sort,
    viewer: Account | None,
) -> dict[str, Any]:
    path = page_path(page)
    return {
        "page": page,
        "page_path": path,
        "comments": thread.comments,
        "next_cursor": thread.next_cursor,
        "sort": sort,
        "sorts": SORT_LABELS,
        "perm": Permissions(viewer, settings.edit_window_seconds, page),
        "guests": settings.allow_guests,
        "max_length": settings.max_comment_length,
        "focus_id": None,
        "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "shown_count": count_comments(thread.comments),
    }

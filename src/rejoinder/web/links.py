"""Paths of the HTML pages and safe ``next`` targets; permalinks come from the pages domain."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from rejoinder.pages.permalinks import MAX_SLUG, page_path, page_slug, slugify

__all__ = [
    "MAX_SLUG",
    "comment_path",
    "login_path",
    "page_path",
    "page_slug",
    "safe_next",
    "slugify",
]


def comment_path(comment_id: int) -> str:
    return f"/c/{comment_id}"


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after signing in; anything else (other sites, ``//x``) is ignored."""
    if not target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x20 for char in target):
        return default
    return target


def login_path(next_target: str) -> str:
    return "/login?next=" + quote(safe_next(next_target), safe="/")

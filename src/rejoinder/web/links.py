"""Paths of the HTML pages: discussion permalinks with slugs, and safe ``next`` targets.

A discussion's permalink is ``/p/{page_id}/{slug}``; the slug is decoration made from the
title (or the URL key when the title is unknown), so links stay readable, and a wrong or
stale slug redirects to the current one.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

from rejoinder.pages.models import Page

MAX_SLUG = 60
_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """``"Hello, Wörld!"`` -> ``"hello-world"``; empty results become ``"page"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug or "page"


def page_slug(page: Page) -> str:
    if page.title and page.title.strip():
        return slugify(page.title)
    # The key without its host's "www." reads better: "example.com/2024/story".
    return slugify(page.key.removeprefix("www."))


def page_path(page: Page) -> str:
    return f"/p/{page.id}/{page_slug(page)}"


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

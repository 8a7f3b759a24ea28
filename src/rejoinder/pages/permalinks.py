"""A discussion's permalink: ``/p/{page_id}/{slug}``.

The slug is decoration made from the title (or the URL key when the title is unknown), so
links stay readable; the id alone identifies the page, and a wrong or stale slug redirects to
the current one. Services that return links (search, submissions) and the web app share this.
"""

from __future__ import annotations

import re
import unicodedata

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

"""WordPress WXR exports: ``<rss><channel><item>`` posts holding ``<wp:comment>`` elements.

Example (abridged; the ``wp`` namespace is ``http://wordpress.org/export/1.2/``, or 1.0/1.1)::

    <rss><channel><link>https://blog.example</link>
      <item><title>Hello</title><link>https://blog.example/hello/</link>
        <wp:post_id>5</wp:post_id>
        <wp:comment><wp:comment_id>9</wp:comment_id>
          <wp:comment_author>Ann</wp:comment_author>
          <wp:comment_author_email>ann@mail.example</wp:comment_author_email>
          <wp:comment_date_gmt>2019-04-01 08:00:00</wp:comment_date_gmt>
          <wp:comment_content>Nice post.</wp:comment_content>
          <wp:comment_approved>1</wp:comment_approved>
          <wp:comment_parent>0</wp:comment_parent>
          <wp:comment_type>comment</wp:comment_type></wp:comment>
      </item></channel></rss>

Approval: ``1`` visible, ``0`` pending, ``spam`` spam, ``trash`` deleted. Comment ids are
per blog, so the source is ``wordpress:<blog host>``. Bodies are WordPress's stored text
(some HTML, paragraphs by blank lines, as ``wpautop`` shows them), sanitized like Disqus's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from rejoinder.comments.models import CommentStatus
from rejoinder.comments.render import render_html_fragment
from rejoinder.importers.dates import parse_iso
from rejoinder.importers.items import (
    CommentItem,
    ImportFailed,
    Item,
    ItemError,
    Skipped,
    Source,
    ThreadItem,
    check_length,
    make_author,
)
from rejoinder.importers.xmlstream import child_text, local_name, namespace, records

if TYPE_CHECKING:  # lxml is loaded by the parse itself, not by importing this module
    from lxml import etree

_ZERO_DATE = "0000-00-00 00:00:00"
_BLANK_LINES = re.compile(r"\n\s*\n")
_HAS_BLOCK = re.compile(r"<(?:p|div|blockquote|ul|ol|pre|table)\b", re.IGNORECASE)
_STATUS = {"1": CommentStatus.VISIBLE, "0": CommentStatus.PENDING, "spam": CommentStatus.SPAM}


def parse(stream: BinaryIO, progress: Callable[[int], None] | None = None) -> Iterator[Item]:
    source_sent = False
    for depth, element in records(stream, 2, progress=progress):
        name = local_name(element.tag)
        if depth == 0:
            if name != "rss":
                raise ImportFailed(f"the root element is <{name}>, not <rss>", "line 1")
            continue
        if depth == 1 or name in {"title", "description"}:
            continue
        if not source_sent and name in {"link", "base_blog_url", "item"}:
            host = urlsplit((element.text or "").strip()).hostname if name != "item" else None
            if name == "item" or host:
                source_sent = True
                yield Source(f"wordpress:{host}" if host else "wordpress")
        if name == "item":
            yield from _item(element)


def _is_wp(element: etree._Element) -> bool:
    return namespace(element.tag).startswith("http://wordpress.org/export/")


def _item(item: etree._Element) -> Iterator[Item]:
    where = f"<item> line {item.sourceline}"
    comments = [c for c in item if local_name(c.tag) == "comment" and _is_wp(c)]
    if not comments:
        return
    post_id = (child_text(item, "post_id") or "").strip()[:100]
    link = (child_text(item, "link") or "").strip()
    if not post_id:
        yield ItemError("an item with comments but no <wp:post_id>", where)
        return
    if not link:
        yield ItemError("an item with comments but no <link>", where, thread_id=post_id)
        return
    title = " ".join((child_text(item, "title") or "").split())[:500] or None
    closed = (child_text(item, "comment_status") or "").strip() == "closed"
    yield ThreadItem(post_id, link[:8192], title, where, is_closed=closed)
    for comment in comments:
        yield _comment(comment, post_id)


def _comment(element: etree._Element, post_id: str) -> Item:
    comment_id = (child_text(element, "comment_id") or "").strip()[:100]
    where = f"<wp:comment> line {element.sourceline}"
    if not comment_id:
        return ItemError("a comment without <wp:comment_id>", where, thread_id=post_id)
    where = f"<wp:comment id={comment_id}> line {element.sourceline}"
    parent = (child_text(element, "comment_parent") or "0").strip()
    parent_id = None if parent in {"", "0"} else parent[:100]
    kind = (child_text(element, "comment_type") or "").strip()
    if kind in {"pingback", "trackback"}:
        return Skipped(comment_id, post_id, parent_id, kind, where)
    approved = (child_text(element, "comment_approved") or "").strip()
    if approved not in {*_STATUS, "trash"}:
        return ItemError(
            f"unknown approval state {approved[:20]!r}", where, comment_id, post_id, parent_id
        )
    date = (child_text(element, "comment_date_gmt") or "").strip()
    if not date or date == _ZERO_DATE:
        # Unapproved comments sometimes have no GMT date; the local one is the best we have.
        date = (child_text(element, "comment_date") or "").strip()
    rendered = render_html_fragment(_autop(check_length(_content(element), where)))
    user_id = (child_text(element, "comment_user_id") or "0").strip()
    author = make_author(
        child_text(element, "comment_author"),
        user_id=None if user_id in {"", "0"} else user_id,
        email=child_text(element, "comment_author_email"),
    )
    return CommentItem(
        external_id=comment_id,
        thread_id=post_id,
        parent_id=parent_id,
        author=author,
        body_src=rendered.text,
        body_html=rendered.html,
        body_text=rendered.text,
        created_at=parse_iso(date, where),
        where=where,
        status=_STATUS.get(approved, CommentStatus.VISIBLE),
        deleted=approved == "trash",
    )


def _content(element: etree._Element) -> str:
    return child_text(element, "comment_content") or ""


def _autop(text: str) -> str:
    """WordPress keeps paragraphs as blank lines and shows them through ``wpautop``."""
    text = text.replace("\r\n", "\n").strip()
    if _HAS_BLOCK.search(text):
        return text
    paragraphs = [p.strip() for p in _BLANK_LINES.split(text) if p.strip()]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)

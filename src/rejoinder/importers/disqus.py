"""Disqus XML exports: ``<thread>`` and ``<post>`` elements under ``<disqus>``.

Example (abridged)::

    <disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
      <thread dsq:id="7"><link>https://blog.example/a</link><title>A</title></thread>
      <post dsq:id="70">
        <message><![CDATA[<p>First!</p>]]></message>
        <createdAt>2015-03-01T10:00:00Z</createdAt>
        <isDeleted>false</isDeleted><isSpam>false</isSpam>
        <author><name>Ann</name><email>ann@mail.example</email><username>ann</username>
          <isAnonymous>false</isAnonymous></author>
        <thread dsq:id="7"/><parent dsq:id="69"/>
      </post>
    </disqus>

Threads and posts are direct children of the root, so records are depth 1. Message bodies
are HTML, sanitized by ``render_html_fragment``; the editable source becomes their text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from rejoinder.comments.models import CommentStatus
from rejoinder.comments.render import render_html_fragment
from rejoinder.importers.dates import parse_iso
from rejoinder.importers.items import (
    CommentItem,
    ImportFailed,
    Item,
    ItemError,
    Source,
    ThreadItem,
    check_length,
    make_author,
)
from rejoinder.importers.xmlstream import child, child_text, local_name, records

if TYPE_CHECKING:  # lxml is loaded by the parse itself, not by importing this module
    from lxml import etree

DSQ_NS = "http://disqus.com/disqus-internals"
_DSQ_ID = f"{{{DSQ_NS}}}id"


def parse(stream: BinaryIO, progress: Callable[[int], None] | None = None) -> Iterator[Item]:
    yield Source("disqus")
    seen_root = False
    for depth, element in records(stream, 1, progress=progress):
        name = local_name(element.tag)
        if depth == 0:
            if name != "disqus":
                raise ImportFailed(f"the root element is <{name}>, not <disqus>", "line 1")
            continue
        if not seen_root:
            root = element.getparent()
            if root is None or local_name(root.tag) != "disqus":
                raise ImportFailed("not a Disqus export (the root is not <disqus>)", "line 1")
            seen_root = True
        where = f"line {element.sourceline}"
        if name == "thread":
            yield _thread(element, where)
        elif name == "post":
            yield _post(element, where)


def _id(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    value = element.get(_DSQ_ID)
    return value.strip()[:200] if value and value.strip() else None


def _flag(element: etree._Element, name: str) -> bool:
    return (child_text(element, name) or "").strip().lower() == "true"


def _thread(element: etree._Element, where: str) -> Item:
    thread_id = _id(element)
    if thread_id is None:
        return ItemError("a <thread> without dsq:id", where)
    link = (child_text(element, "link") or "").strip()
    if not link:
        return ItemError("a thread without a <link>", where, thread_id=thread_id)
    title = " ".join((child_text(element, "title") or "").split())[:500] or None
    return ThreadItem(
        external_id=thread_id,
        url=link[:8192],
        title=title,
        where=f"<thread dsq:id={thread_id}> {where}",
        is_closed=_flag(element, "isClosed"),
    )


def _post(element: etree._Element, where: str) -> Item:
    post_id = _id(element)
    if post_id is None:
        return ItemError("a <post> without dsq:id", where)
    where = f"<post dsq:id={post_id}> {where}"
    thread_id = _id(child(element, "thread"))
    parent_id = _id(child(element, "parent"))
    if thread_id is None:
        return ItemError("a post without <thread dsq:id>", where, external_id=post_id)
    html = check_length(child_text(element, "message") or "", where)
    rendered = render_html_fragment(html)
    author_element = child(element, "author")
    author = make_author(None)
    if author_element is not None:
        anonymous = _flag(author_element, "isAnonymous")
        username = (child_text(author_element, "username") or "").strip()
        author = make_author(
            child_text(author_element, "name") or username,
            user_id=None if anonymous else username or None,
            email=child_text(author_element, "email"),
        )
    spam = _flag(element, "isSpam")
    return CommentItem(
        external_id=post_id,
        thread_id=thread_id,
        parent_id=parent_id,
        author=author,
        body_src=rendered.text,
        body_html=rendered.html,
        body_text=rendered.text,
        created_at=parse_iso(child_text(element, "createdAt"), where),
        where=where,
        status=CommentStatus.SPAM if spam else CommentStatus.VISIBLE,
        deleted=_flag(element, "isDeleted"),
    )

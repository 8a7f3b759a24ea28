"""Atom (RFC 4287) documents built with ``xml.etree``, never by pasting strings together.

Every piece of text in a feed (titles, names, comment HTML) comes from readers or from
fetched pages, so it goes into the tree as text and the serializer escapes it; comment HTML
is the stored, sanitized ``body_html`` and travels as ``<content type="html">``, escaped
once more by XML. XML 1.0 forbids some characters outright (most C0 controls, lone
surrogates, U+FFFE/U+FFFF) and escaping cannot help with those, so `xml_text` drops them:
a title with a stray ``\\x0b`` must not make the whole feed unreadable.

Entry ids are tag URIs (RFC 4151): ``tag:<host>,2026:comment/<id>``, stable for as long as
the instance keeps its host name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_TAG_YEAR = "2026"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def tag_uri(public_url: str, specific: str) -> str:
    host = urlsplit(public_url).hostname or "localhost"
    return f"tag:{host},{_TAG_YEAR}:{specific}"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    link: str
    updated: datetime
    author: str
    content_html: str
    published: datetime | None = None


@dataclass(slots=True)
class Feed:
    id: str
    title: str
    self_url: str
    alternate_url: str
    updated: datetime
    entries: list[Entry] = field(default_factory=list)
    subtitle: str | None = None


def _add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, name, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def render(feed: Feed) -> bytes:
    """The feed as UTF-8 XML with its declaration."""
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(root, "id", feed.id)
    _add(root, "title", feed.title or "Untitled")
    if feed.subtitle:
        _add(root, "subtitle", feed.subtitle)
    _add(root, "updated", _timestamp(feed.updated))
    _add(root, "link", rel="self", type="application/atom+xml", href=feed.self_url)
    _add(root, "link", rel="alternate", type="text/html", href=feed.alternate_url)
    _add(root, "generator", "Rejoinder")
    for item in feed.entries:
        entry = _add(root, "entry")
        _add(entry, "id", item.id)
        _add(entry, "title", item.title or "Untitled")
        _add(entry, "link", rel="alternate", type="text/html", href=item.link)
        _add(entry, "updated", _timestamp(item.updated))
        if item.published is not None:
            _add(entry, "published", _timestamp(item.published))
        author = _add(entry, "author")
        _add(author, "name", item.author or "[deleted]")
        _add(entry, "content", item.content_html, type="html")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document

"""What an article says about itself, read from hostile HTML.

`extract` takes the decoded HTML of a fetched page and returns `PageMetadata`: title, site
name, author, publication date, description, image, language, the URLs the page names for
itself (``<link rel=canonical>``, ``og:url``, ``<link rel=amphtml>``), a DOI, and the
readable text of the article for snapshots.

The ``<head>`` is read with selectolax (Lexbor, an HTML5 parser), in the order sites are
most careful with: OpenGraph, then Dublin Core / citation / schema-style meta tags, then the
plain ``<title>``. trafilatura extracts the readable text and fills what the head lacks.

Everything here is attacker-written text headed for our pages and API: single-line fields
lose control characters and bidirectional overrides, whitespace is collapsed, lengths are
capped (to the column sizes), URLs must be absolute http(s) after resolving against the
page's own URL, and dates outside a sane range are dropped. Escaping is the renderer's job.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from rejoinder import clock

MAX_TITLE = 500
MAX_SITE_NAME = 200
MAX_AUTHOR = 200
MAX_DESCRIPTION = 1000
MAX_URL = 2048
MAX_LANGUAGE = 35
MAX_DOI = 255
# Longer than any article; keeps a page of generated filler from filling the database.
MAX_TEXT = 500_000
# The oldest plausible web publication date; anything earlier is a parsing accident.
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)

# C0/C1 controls and the Unicode bidirectional controls that can reorder displayed text.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(f"[{_BIDI}]")
_SPACES = re.compile(r"\s+")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


@dataclass(slots=True)
class PageMetadata:
    title: str | None = None
    site_name: str | None = None
    author: str | None = None
    description: str | None = None
    published_at: datetime | None = None
    image_url: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    og_url: str | None = None
    amphtml_url: str | None = None
    doi: str | None = None
    text: str = ""

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def clean_line(value: str | None, limit: int) -> str | None:
    """One line of hostile text: controls removed, whitespace collapsed, at most ``limit``."""
    if not value:
        return None
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def clean_text(value: str | None) -> str:
    """Article text: paragraphs kept, other controls removed, at most `MAX_TEXT`."""
    if not value:
        return ""
    text = _INVISIBLE.sub("", value)
    lines = (_SPACES.sub(" ", _CONTROL.sub(" ", line)).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)[:MAX_TEXT]


def clean_url(value: str | None, base: str) -> str | None:
    """An absolute http(s) URL resolved against ``base``, or None."""
    text = clean_line(value, MAX_URL)
    if not text:
        return None
    try:
        url = urljoin(base, text)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        return None
    return url


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as aware UTC, when plausible (1990 to tomorrow)."""
    text = clean_line(value, 64)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    # A date without a zone is taken as UTC: close enough for "published on".
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if not _EARLIEST <= parsed <= clock.now() + timedelta(days=1):
        return None
    return parsed


def extract(html: str, url: str) -> PageMetadata:
    """Metadata and readable text of the page at ``url``; never raises on bad HTML."""
    tree = LexborHTMLParser(html)
    meta = _meta_tags(tree)
    links = _links(tree)
    doc = _trafilatura(html, url)

    def first(*names: str) -> str | None:
        return next((meta[n] for n in names if meta.get(n)), None)

    title_node = tree.css_first("title")
    html_node = tree.css_first("html")
    return PageMetadata(
        title=clean_line(
            first("og:title", "twitter:title", "citation_title", "dc.title")
            or (title_node.text() if title_node else None)
            or doc.get("title"),
            MAX_TITLE,
        ),
        site_name=clean_line(
            first("og:site_name", "application-name", "citation_journal_title")
            or _real_site_name(doc.get("sitename"), url),
            MAX_SITE_NAME,
        ),
        author=clean_line(
            first("author", "article:author", "citation_author", "dc.creator", "parsely-author")
            or doc.get("author"),
            MAX_AUTHOR,
        ),
        description=clean_line(
            first("og:description", "description", "twitter:description", "dc.description")
            or doc.get("description"),
            MAX_DESCRIPTION,
        ),
        published_at=parse_date(
            first(
                "article:published_time",
                "citation_publication_date",
                "dc.date",
                "dc.date.issued",
                "date",
                "parsely-pub-date",
            )
        )
        or parse_date(doc.get("date")),
        image_url=clean_url(first("og:image", "og:image:url", "twitter:image"), url),
        language=_language(html_node.attributes.get("lang") if html_node else None)
        or _language(first("og:locale", "content-language", "dc.language")),
        canonical_url=clean_url(links.get("canonical"), url),
        og_url=clean_url(first("og:url"), url),
        amphtml_url=clean_url(links.get("amphtml"), url),
        doi=_doi(first("citation_doi", "dc.identifier", "prism.doi", "bepress_citation_doi")),
        text=clean_text(doc.get("text")),
    )


def _meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    """The first value of each ``<meta name|property|http-equiv=... content=...>``."""
    found: dict[str, str] = {}
    for node in tree.css("meta"):
        attributes = node.attributes
        content = attributes.get("content")
        key = attributes.get("property") or attributes.get("name") or attributes.get("http-equiv")
        if key and content:
            found.setdefault(key.strip().lower(), content)
    return found


def _links(tree: LexborHTMLParser) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.css("link[rel][href]"):
        href = _attribute(node, "href")
        for rel in (_attribute(node, "rel") or "").lower().split():
            if href:
                found.setdefault(rel, href)
    return found


def _attribute(node: LexborNode, name: str) -> str | None:
    return node.attributes.get(name)


def _trafilatura(html: str, url: str) -> dict[str, Any]:
    # Imported on first use: trafilatura and its dependencies cost ~30 MB per process, and
    # only workers that fetch pages extract text.
    import trafilatura

    try:
        document = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except (ValueError, TypeError, AttributeError, RecursionError):
        # A library bug on odd markup must not cost us the head metadata already found.
        return {}
    if document is None:
        return {}
    if isinstance(document, dict):  # older trafilatura versions answer with a dict
        return document
    result: dict[str, Any] = document.as_dict()
    return result


def _real_site_name(name: str | None, url: str) -> str | None:
    """trafilatura's site name, unless it is only its fallback: the URL's host name."""
    parts = urlsplit(url)
    hosts = {parts.netloc.lower(), (parts.hostname or "").lower().removeprefix("www.")}
    return None if not name or name.lower().removeprefix("www.") in hosts else name


def _language(value: str | None) -> str | None:
    text = clean_line(value, MAX_LANGUAGE)
    if not text:
        return None
    text = text.replace("_", "-")
    return text if _LANGUAGE.match(text) else None


def _doi(value: str | None) -> str | None:
    text = clean_line(value, 1000)
    if not text:
        return None
    match = _DOI.search(text)
    return match.group(1).rstrip(".,;")[:MAX_DOI] if match else None

"""Streaming, defused XML for the importers: bounded memory whatever the file holds.

One idea: **the parser sees the bytes in 64 KiB chunks and we count them.** A record (a
Disqus ``<post>``, a WordPress ``<item>``) must finish within ``max_record_bytes`` of input,
and some element must finish within ``max_element_bytes``, so a 1 GB ``<message>`` is refused
after a few megabytes, never built. Finished records are handed out and then cleared, with
their earlier siblings, so the tree never grows.

Defused: a DOCTYPE is refused outright (exports never have one; it is where billion-laughs
entities and ``file:///etc/passwd`` external entities are declared), and the parser itself
resolves no entities, loads no DTD and reaches no network, in case one slipped through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from rejoinder.importers.items import ImportFailed

if TYPE_CHECKING:
    from lxml import etree

CHUNK_BYTES = 64 * 1024
# A message is at most 1,000,000 characters (up to 4 bytes each in UTF-8, plus escaping).
MAX_ELEMENT_BYTES = 8_000_000
MAX_RECORD_BYTES = 16_000_000
# A WordPress post with 10,000 comments is ~150,000 elements; a record of millions of tiny
# elements is an attack on the parser's time, refused long before the byte limit.
MAX_RECORD_ELEMENTS = 250_000


def local_name(tag: object) -> str:
    """``{http://disqus.com}post`` -> ``post``; comments and PIs (not str tags) -> ``""``."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def namespace(tag: object) -> str:
    if not isinstance(tag, str) or not tag.startswith("{"):
        return ""
    return tag[1:].partition("}")[0]


def records(  # noqa: PLR0912, PLR0915 - the limits must be checked inside the one loop
    stream: BinaryIO,
    record_depth: int,
    *,
    progress: Callable[[int], None] | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    max_element_bytes: int = MAX_ELEMENT_BYTES,
    max_record_elements: int = MAX_RECORD_ELEMENTS,
) -> Iterator[tuple[int, etree._Element]]:
    """Yield ``(depth, element)`` for each element ending at ``depth <= record_depth``.

    The root is depth 0. An element is complete when yielded and cleared after the caller
    resumes. Raises ``ImportFailed`` (with the line) for malformed, truncated, oversized
    or DOCTYPE-carrying input.
    """
    # Imported here: lxml costs a web worker ~6 MB, and only an import run parses XML.
    from lxml import etree

    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    checked_doctype = False
    record_started_at: int | None = None
    record_elements = 0
    last_event_at = 0
    fed = 0
    line = 1
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        fed += len(chunk)
        line += chunk.count(b"\n")
        if progress is not None:
            progress(len(chunk))
        try:
            parser.feed(chunk)
            events = list(parser.read_events())
        except etree.XMLSyntaxError as exc:
            raise ImportFailed(_syntax_message(exc), f"line {exc.lineno}") from None
        for event, element in events:
            last_event_at = fed
            if not checked_doctype:
                checked_doctype = True
                _refuse_doctype(element)
            if event == "start":
                depth += 1
                if depth - 1 == record_depth:
                    record_started_at = fed
                    record_elements = 0
                elif record_started_at is not None:
                    record_elements += 1
                    if record_elements > max_record_elements:
                        raise ImportFailed(
                            f"a record with more than {max_record_elements:,} elements; "
                            "not an export we can import",
                            f"near line {line}",
                        )
                continue
            depth -= 1
            if depth == record_depth:
                record_started_at = None
            if depth <= record_depth:
                yield depth, element
                _discard(element)
        if record_started_at is not None and fed - record_started_at > max_record_bytes:
            raise ImportFailed(
                f"an element larger than {max_record_bytes:,} bytes; not an export we can import",
                f"near line {line}",
            )
        if fed - last_event_at > max_element_bytes:
            raise ImportFailed(
                f"more than {max_element_bytes:,} bytes without an element ending; "
                "the file is not an export we can import",
                f"near line {line}",
            )
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise ImportFailed(
            "the file ends in the middle of the XML (truncated?): " + _syntax_message(exc),
            f"line {exc.lineno}",
        ) from None
    if not checked_doctype:
        raise ImportFailed("the file is empty")


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    message = str(exc.msg or exc).splitlines()[0] if (exc.msg or str(exc)) else "malformed XML"
    return f"malformed XML ({message.strip()[:200]})"


def _refuse_doctype(element: etree._Element) -> None:
    info = element.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise ImportFailed(
            "the XML declares a DOCTYPE; exports never do, and entity declarations are "
            "refused (entity expansion and external entities are not allowed)",
            "line 1",
        )


def _discard(element: etree._Element) -> None:
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        # Finished siblings before this one are cleared already; drop them from the parent.
        while element.getprevious() is not None:
            del parent[0]


def child_text(element: etree._Element, name: str) -> str | None:
    """Text of the first direct child with this local name (any namespace), or None."""
    for child in element:
        if local_name(child.tag) == name:
            return "".join(child.itertext())
    return None


def child(element: etree._Element, name: str) -> etree._Element | None:
    for found in element:
        if local_name(found.tag) == name:
            return found
    return None

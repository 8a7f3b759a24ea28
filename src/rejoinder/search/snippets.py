"""Snippets: a window of a comment's plain text around the first match, with the matched
words in ``<mark>`` and everything else escaped.

The HTML is built here from text, never taken from a database's highlighter, so the only tags
a snippet can contain are the ``<mark>``/``</mark>`` pairs this module writes. Matching is
whole-word and case-insensitive, like the indexes (which also fold diacritics, so a match
found by the index may occasionally show without a mark).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

SNIPPET_CHARS = 240
ELLIPSIS = "…"
# Enough for any real query (terms.MAX_TERMS terms of a few words); bounds the pattern's size.
MAX_WORDS = 40


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    # Longest first, so "asyncio" wins over "async" where both would match.
    unique = list(dict.fromkeys(word for word in words if word))[:MAX_WORDS]
    alternatives = sorted((re.escape(word) for word in unique), key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])", re.IGNORECASE)


def _window(text: str, start: int, size: int) -> tuple[int, int]:
    """A ``size``-character window starting a little before ``start``, on word boundaries."""
    if len(text) <= size:
        return 0, len(text)
    begin = max(0, min(start - size // 4, len(text) - size))
    end = min(len(text), begin + size)
    if begin > 0:
        space = text.find(" ", begin, begin + 20)
        begin = space + 1 if space != -1 and space < start else begin
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        end = space if space > begin else end
    return begin, end


def snippet_html(text: str, words: Iterable[str], size: int = SNIPPET_CHARS) -> str:
    """Escaped text around the first match, matches wrapped in ``<mark>``."""
    text = " ".join(text.split())
    pattern = _pattern(words)
    first = pattern.search(text) if pattern else None
    begin, end = _window(text, first.start() if first else 0, size)
    part = text[begin:end]
    pieces = [ELLIPSIS] if begin > 0 else []
    position = 0
    for match in pattern.finditer(part) if pattern else ():
        pieces.append(escape(part[position : match.start()]))
        pieces.append("<mark>" + escape(match.group()) + "</mark>")
        position = match.end()
    pieces.append(escape(part[position:]))
    if end < len(text):
        pieces.append(ELLIPSIS)
    return "".join(pieces)

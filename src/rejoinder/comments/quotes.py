"""Quoted passages: the part of the article a comment answers, as plain text.

A quote is stored on the comment row (``comments.quote``, JSON) in the shape of a W3C Web
Annotation ``TextQuoteSelector``: ``exact`` is the passage, ``prefix`` and ``suffix`` a little
of the text around it so a client can find the passage again in the article. All three are
attacker-written plain text: control characters and bidirectional overrides are removed
(newlines between paragraphs stay), and everything is escaped where it is shown.
"""

from __future__ import annotations

import re
from typing import Any

# Long enough for a paragraph or two; a reply quoting more is quoting the article wholesale.
MAX_EXACT = 2000
# Enough context to tell two occurrences of a short passage apart.
MAX_CONTEXT = 200

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Every C0/C1 control but the newline, plus the bidi controls that reorder displayed text.
_STRIP = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}]")


def clean_quote_text(value: str) -> str:
    """Plain text of one selector field: CRLF made LF, other control characters removed."""
    return _STRIP.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def quote_json(exact: str, prefix: str = "", suffix: str = "") -> dict[str, str]:
    """The stored (and returned) form of a quote; the caller has validated the fields."""
    return {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix}


def quote_out(stored: Any) -> dict[str, str] | None:
    """A stored quote as the API returns it; anything malformed in the column shows as none."""
    if not isinstance(stored, dict) or not isinstance(stored.get("exact"), str):
        return None
    return quote_json(
        stored["exact"], str(stored.get("prefix") or ""), str(stored.get("suffix") or "")
    )

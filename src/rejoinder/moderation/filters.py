"""Blocked words and patterns: operator-supplied text rules, applied without risk of hanging.

Operators configure two lists (``blocked_words``, ``blocked_patterns``). Words match whole
words in any case (``"casino"`` holds "Casino!" but not "casinos"). Patterns are regular
expressions, and a regular expression can backtrack for minutes on a crafted comment
(``(a+)+$`` against ``"aaaa…b"``). The standard ``re`` module has no timeout, so patterns run
on the ``regex`` package with a time limit per comment; running out of time counts as a match,
because a comment that makes a filter work that hard deserves a moderator's look anyway.
Patterns are compiled when the settings load, so a broken one stops the server at start, not
at the first comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

MAX_PATTERN_LENGTH = 300
MAX_RULES = 500
MAX_WORD_LENGTH = 100
# Per pattern and comment; typical patterns take microseconds, so 500 rules stay bounded too.
PATTERN_TIMEOUT_SECONDS = 0.05
CLASSIFIERS = ("profanity-check", "none")


def validate_setting(name: str, value: Any) -> None:
    """Raise ``ValueError`` with a readable message for a bad filter setting."""
    if name == "classifier":
        if value not in CLASSIFIERS:
            raise ValueError(f"classifier must be one of {', '.join(CLASSIFIERS)}")
        return
    if len(value) > MAX_RULES:
        raise ValueError(f"at most {MAX_RULES} entries")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError("entries must be non-empty strings")
        if name == "blocked_words" and len(item) > MAX_WORD_LENGTH:
            raise ValueError(f"words are limited to {MAX_WORD_LENGTH} characters: {item[:20]!r}…")
        if name == "blocked_patterns":
            if len(item) > MAX_PATTERN_LENGTH:
                raise ValueError(f"patterns are limited to {MAX_PATTERN_LENGTH} characters")
            try:
                regex.compile(item, regex.IGNORECASE | regex.VERSION1)
            except regex.error as exc:
                raise ValueError(f"pattern {item!r} does not compile: {exc}") from None


@dataclass(frozen=True, slots=True)
class TextFilter:
    words: regex.Pattern[str] | None
    patterns: tuple[regex.Pattern[str], ...]

    def first_match(self, text: str) -> str | None:
        """A short description of the first rule the text breaks, or None."""
        if self.words is not None:
            # Literal words cannot backtrack badly: no timeout needed.
            found = self.words.search(text)
            if found:
                return f"blocked word {found.group(0).casefold()!r}"
        for pattern in self.patterns:
            try:
                if pattern.search(text, timeout=PATTERN_TIMEOUT_SECONDS):
                    return f"blocked pattern {pattern.pattern!r}"
            except TimeoutError:
                return f"blocked pattern {pattern.pattern!r} (timed out)"
        return None


@lru_cache(maxsize=8)
def compile_filter(words: Sequence[str], patterns: Sequence[str]) -> TextFilter:
    """The compiled rules (cached: settings are frozen, so the tuples make a stable key)."""
    words_re = None
    if words:
        # Literal alternatives cannot backtrack badly, whatever the operator typed.
        alternatives = "|".join(regex.escape(word.strip()) for word in words)
        words_re = regex.compile(rf"\b(?:{alternatives})\b", regex.IGNORECASE)
    compiled = tuple(regex.compile(p, regex.IGNORECASE | regex.VERSION1) for p in patterns)
    return TextFilter(words_re, compiled)

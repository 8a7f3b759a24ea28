"""A reader's search text -> the terms to find, and from those each database's query.

Readers type anything; FTS5's MATCH language is strict (a stray ``"``, ``*``, ``NEAR(``,
``^`` or a bare ``AND`` is a syntax error), so their text is never passed through. It is cut
into terms: ``"quoted phrases"`` and whitespace-separated chunks (``example.com``,
``don't``); chunks without a letter or digit are dropped. Every term must match. Each term
becomes a double-quoted FTS5 string (FTS5 tokenizes it, so ``example.com`` is the phrase
"example com"), which is always valid syntax; on PostgreSQL each is a
``plainto_tsquery``/``phraseto_tsquery``, which never fail. Operators typed by the reader are
plain words: ``AND`` finds "and".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY = 500
# More terms than this is not a search anyone means; it only makes the index work harder.
MAX_TERMS = 12
# Characters that make a term longer than a word would be in any language: no real word
# is this long, and it keeps the highlighting regular expression small.
MAX_TERM_LENGTH = 100
_WORD = re.compile(r"[^\W_]+")
_PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    is_phrase: bool = False


@dataclass(frozen=True, slots=True)
class Terms:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def words(self) -> tuple[str, ...]:
        """Every word of every term, lowercased, for highlighting."""
        found: dict[str, None] = {}
        for term in self.terms:
            found.update(dict.fromkeys(words_of(term.text)))
        return tuple(found)


def words_of(text: str) -> list[str]:
    """Runs of letters and digits, lowercased: the tokens both indexes see."""
    return _WORD.findall(text.casefold())


def parse(text: str) -> Terms:
    """``'asyncio "event loop" AND *'`` -> asyncio, "event loop" (phrase), and."""
    text = unicodedata.normalize("NFC", text[:MAX_QUERY])
    # Control characters separate words; NUL would also end an FTS5 string early.
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    candidates = [Term(" ".join(words_of(q)), is_phrase=True) for q in _PHRASE.findall(text)]
    candidates += [Term(chunk) for chunk in _PHRASE.sub(" ", text).split()]
    terms: dict[Term, None] = {}
    for candidate in candidates:
        words = words_of(candidate.text)
        if not words or len(candidate.text) > MAX_TERM_LENGTH:
            continue
        # A quoted single word is just that word.
        single = candidate.is_phrase and len(words) == 1
        terms.setdefault(Term(words[0]) if single else candidate)
    return Terms(tuple(terms)[:MAX_TERMS])


def fts5_query(terms: Terms) -> str:
    """An FTS5 MATCH expression that cannot be a syntax error: quoted strings, implicit AND."""
    return " ".join('"' + term.text.replace('"', '""') + '"' for term in terms.terms)

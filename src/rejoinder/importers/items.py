"""What every importer yields, whatever its source: threads, comments, skips, errors.

Parsers (one module per source) turn a hostile file into these plain values and never touch
the database; ``importers/service.py`` stores them. A parser raises ``ImportFailed`` when the
file itself is broken (malformed, truncated, too large, a date it cannot read): the import is
one transaction, so nothing of it is kept. A problem confined to one item (a thread whose
address cannot be discussed) is yielded as an ``ItemError`` and reported in the summary.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from rejoinder.comments.models import CommentStatus
from rejoinder.errors import InvalidInput

# Longest comment text an importer accepts (characters); anything longer is not a comment.
MAX_MESSAGE_CHARS = 1_000_000
# Names are shown beside comments; guest_name holds 64 characters.
MAX_NAME_CHARS = 64


class ImportFailed(InvalidInput):
    """The file cannot be imported; ``detail`` says why and where."""

    code = "import-failed"
    title = "Import failed"

    def __init__(self, detail: str, where: str | None = None) -> None:
        super().__init__(f"{where}: {detail}" if where else detail)
        self.where = where


@dataclass(frozen=True, slots=True)
class Source:
    """Names the source: external ids are unique within it (``disqus``, ``wordpress:host``)."""

    name: str


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """A discussion of the source, by its id there; becomes a page when a comment needs it."""

    external_id: str
    url: str
    title: str | None = None
    where: str = ""
    article: str | None = None
    aliases: tuple[str, ...] = ()
    is_locked: bool = False
    is_closed: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    external_key: str
    email_hash: str | None = None
    # rejoinder-json only: the account's username on the exporting instance, and the
    # identity's own source when it came from an earlier import there.
    account: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class CommentItem:
    external_id: str
    thread_id: str
    parent_id: str | None
    author: Author
    body_src: str
    body_html: str
    body_text: str
    created_at: datetime
    where: str = ""
    status: CommentStatus = CommentStatus.VISIBLE
    deleted: bool = False
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    nsfw: bool = False
    is_pinned: bool = False
    upvotes: int = 0
    downvotes: int = 0
    score: int = 0
    controversy: float = 0.0
    quote: dict[str, str] | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item not imported on purpose (a pingback, a post of another type)."""

    external_id: str
    thread_id: str | None
    parent_id: str | None
    reason: str
    where: str = ""


@dataclass(frozen=True, slots=True)
class ItemError:
    """An item that could not be imported; the rest of the file still is."""

    message: str
    where: str = ""
    external_id: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None


Item = Source | ThreadItem | CommentItem | Skipped | ItemError


def email_hash(email: str | None) -> str | None:
    """SHA-256 of the trimmed, lowercased address, or None when there is none."""
    if not email or not email.strip():
        return None
    return hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def clean_name(name: str | None, fallback: str = "Anonymous") -> str:
    """A display name from the source: one line, no control characters, at most 64."""
    text = " ".join((name or "").split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:MAX_NAME_CHARS] or fallback


def make_author(
    name: str | None, *, user_id: str | None = None, email: str | None = None
) -> Author:
    """The identity key: the source's user id, else the e-mail's hash, else the name."""
    shown = clean_name(name)
    hashed = email_hash(email)
    if user_id:
        key = f"user:{user_id[:250]}"
    elif hashed:
        key = f"email:{hashed}"
    else:
        key = f"name:{shown.casefold()}"
    return Author(name=shown, external_key=key, email_hash=hashed)


def check_length(text: str, where: str) -> str:
    if len(text) > MAX_MESSAGE_CHARS:
        raise ImportFailed(
            f"a message of {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}", where
        )
    return text

"""The reader's side of notifications: the inbox, marking read, preferences, the feed token.

Notifications are created by `listener.NotificationListener` from domain events; this
service only reads and updates a reader's own rows, so every method takes the reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts.models import Account
from rejoinder.accounts.tokens import new_token, token_digest
from rejoinder.comments.models import CommentStatus
from rejoinder.errors import InvalidInput
from rejoinder.notifications import queries
from rejoinder.notifications.models import NotificationKind
from rejoinder.notifications.queries import InboxRow

# The badge stops counting here: "99+" says enough and keeps the count query bounded.
UNREAD_CAP = 100
SNIPPET_LENGTH = 200

_SUMMARIES = {
    NotificationKind.REPLY: "{actor} replied to your comment",
    NotificationKind.MENTION: "{actor} mentioned you",
    NotificationKind.APPROVED: "A moderator approved your comment",
    NotificationKind.REMOVED: "A moderator removed your comment",
    NotificationKind.BANNED: "A moderator banned your account",
}
_QUOTED = frozenset({NotificationKind.REPLY, NotificationKind.MENTION, NotificationKind.APPROVED})


def snippet(text: str, length: int = SNIPPET_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A notification as shown to its reader: plain text, escaped wherever it is output."""

    id: int
    kind: NotificationKind
    summary: str
    actor: str | None
    comment_id: int | None
    page_id: int | None
    page_title: str | None
    snippet: str
    detail: str
    created_at: Any
    read: bool


def present(row: InboxRow) -> InboxItem:
    """What the reader may see: the comment's text only while it is public."""
    note, actor, comment, page = row
    text = ""
    # Quote only text that is public now: a reply later removed or held shows nothing.
    if (
        comment is not None
        and comment.deleted_at is None
        and comment.status is CommentStatus.VISIBLE
        and note.kind in _QUOTED
    ):
        text = snippet(comment.body_text)
    return InboxItem(
        id=note.id,
        kind=note.kind,
        summary=_SUMMARIES[note.kind].format(actor=actor or "Someone"),
        actor=actor,
        comment_id=note.comment_id if comment is not None else None,
        page_id=page.id if page is not None else None,
        page_title=(page.title or page.key) if page is not None else None,
        snippet=text,
        detail=note.detail,
        created_at=note.created_at,
        read=note.read_at is not None,
    )


class NotificationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def inbox(
        self, reader: Account, limit: int, before_id: int | None = None
    ) -> tuple[list[InboxItem], int, int | None]:
        """(items newest first, unread count, the ``before`` cursor of the next page)."""
        rows = await queries.list_inbox(self.session, reader.id, limit + 1, before_id)
        more = len(rows) > limit
        items = [present(row) for row in rows[:limit]]
        unread = await queries.count_unread(self.session, reader.id, UNREAD_CAP)
        return items, unread, items[-1].id if more and items else None

    async def unread_count(self, reader_id: int) -> int:
        return await queries.count_unread(self.session, reader_id, UNREAD_CAP)

    async def mark_read(self, reader: Account, ids: Sequence[int] | None) -> int:
        """Mark some (or, with None, all) of the reader's notifications read."""
        return await queries.mark_read(self.session, reader.id, ids, clock.now())

    async def email_replies(self, reader: Account) -> bool:
        prefs = await queries.get_prefs(self.session, reader.id)
        return bool(prefs and prefs.email_replies and reader.email)

    async def set_email_replies(self, reader: Account, enabled: bool) -> None:
        if enabled and not reader.email:
            raise InvalidInput(
                "Add an e-mail address to your account first.",
                [{"field": "email_replies", "reason": "no_email", "message": "No address."}],
            )
        now = clock.now()
        prefs = await queries.get_or_create_prefs(self.session, reader.id, now)
        prefs.email_replies = enabled
        prefs.updated_at = now
        await self.session.flush()

    async def has_feed_token(self, reader: Account) -> bool:
        prefs = await queries.get_prefs(self.session, reader.id)
        return bool(prefs and prefs.feed_digest)

    async def create_feed_token(self, reader: Account) -> str:
        """A new secret for the private replies feed; the previous one stops working."""
        secret, digest = new_token()
        now = clock.now()
        prefs = await queries.get_or_create_prefs(self.session, reader.id, now)
        prefs.feed_digest = digest
        prefs.updated_at = now
        await self.session.flush()
        return secret

    async def revoke_feed_token(self, reader: Account) -> None:
        prefs = await queries.get_prefs(self.session, reader.id)
        if prefs is not None and prefs.feed_digest is not None:
            prefs.feed_digest = None
            prefs.updated_at = clock.now()
            await self.session.flush()

    async def feed_owner(self, secret: str) -> Account | None:
        """The account whose replies feed ``secret`` opens, if any."""
        if not secret or len(secret) > 100:
            return None
        return await queries.get_account_by_feed_digest(self.session, token_digest(secret))

    async def replies(self, reader: Account, limit: int) -> list[InboxItem]:
        return [present(row) for row in await queries.list_replies(self.session, reader.id, limit)]

"""The moderation queue and what moderators do with it: approve, remove, mark spam, ban.

The queue is every comment with open reports (readers' reports and automatic holds), the
longest-waiting first, each with the context needed to decide without clicking around: the
comment, the comment it answers, the page, the reports, and the author's standing. Acting on
an item resolves its reports and writes one audit entry per comment, in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.errors import InvalidInput, NotFound
from rejoinder.moderation import audit, queries
from rejoinder.moderation.bans import BanService, require_moderator
from rejoinder.moderation.models import AuditAction, ReportReason, TargetType
from rejoinder.pages import queries as page_queries


class Action(enum.StrEnum):
    APPROVE = "approve"
    REMOVE = "remove"
    SPAM = "spam"
    BAN_AUTHOR = "ban_author"


_NEW_STATUS = {
    Action.APPROVE: CommentStatus.VISIBLE,
    Action.REMOVE: CommentStatus.REMOVED,
    Action.SPAM: CommentStatus.SPAM,
    Action.BAN_AUTHOR: CommentStatus.REMOVED,
}
_AUDIT = {
    Action.APPROVE: AuditAction.APPROVE,
    Action.REMOVE: AuditAction.REMOVE,
    Action.SPAM: AuditAction.SPAM,
    Action.BAN_AUTHOR: AuditAction.REMOVE,
}


def _is_counted(comment: Comment) -> bool:
    """Whether the comment is in its page's comment_count (visible and not deleted)."""
    return comment.status is CommentStatus.VISIBLE and comment.deleted_at is None


def encode_cursor(flagged_at: datetime, comment_id: int) -> str:
    raw = orjson.dumps([flagged_at.isoformat(), comment_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    invalid = InvalidInput(
        "This cursor is not valid; start again without it.",
        [{"field": "cursor", "reason": "invalid", "message": "Invalid cursor."}],
    )
    try:
        when, comment_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        flagged_at = datetime.fromisoformat(when)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise invalid from None
    if flagged_at.tzinfo is None or not isinstance(comment_id, int) or isinstance(comment_id, bool):
        raise invalid
    if not 0 < comment_id < 2**63:
        raise invalid
    return flagged_at, comment_id


def _comment_out(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "page_id": comment.page_id,
        "body_html": comment.body_html,
        "body_text": comment.body_text,
        "status": "deleted" if comment.deleted_at else comment.status.value,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "score": comment.score,
    }


class ModerationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def queue(
        self,
        actor: Account,
        *,
        reason: ReportReason | None = None,
        older_than: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """One page of the queue: items and the cursor of the next page."""
        require_moderator(actor)
        if older_than is not None and older_than.tzinfo is None:
            older_than = older_than.replace(tzinfo=UTC)
        after = decode_cursor(cursor) if cursor else None
        rows = await queries.list_queue(
            self.session, reason=reason, older_than=older_than, after=after, limit=limit + 1
        )
        next_cursor = (
            encode_cursor(rows[limit - 1][1], rows[limit - 1][0]) if len(rows) > limit else None
        )
        rows = rows[:limit]
        items = await self._context([comment_id for comment_id, _ in rows])
        flagged = dict(rows)
        for item in items:
            item["flagged_at"] = flagged[item["comment"]["id"]]
        return {"items": items, "next_cursor": next_cursor}

    async def _context(self, comment_ids: Sequence[int]) -> list[dict[str, Any]]:
        comments = {c.id: c for c in await queries.list_comments(self.session, comment_ids)}
        parent_ids = [c.parent_id for c in comments.values() if c.parent_id is not None]
        parents = {c.id: c for c in await queries.list_comments(self.session, parent_ids)}
        page_ids = sorted({c.page_id for c in comments.values()})
        pages = {p.id: p for p in await queries.list_pages(self.session, page_ids)}
        author_ids = sorted({c.author_id for c in comments.values() if c.author_id is not None})
        authors = {a.id: a for a in await queries.list_accounts(self.session, author_ids)}
        standing = await queries.count_comments_by_status(self.session, author_ids)
        bans = await queries.list_active_bans_of(self.session, author_ids, clock.now())
        reports: dict[int, list[dict[str, Any]]] = {}
        for report, reporter in await queries.list_open_reports(
            self.session, TargetType.COMMENT, list(comment_ids)
        ):
            reports.setdefault(report.target_id, []).append(
                {
                    "reason": report.reason.value,
                    "text": report.text,
                    "reporter": reporter,
                    "created_at": report.created_at,
                }
            )
        items = []
        for comment_id in comment_ids:
            comment = comments[comment_id]
            page = pages[comment.page_id]
            parent = parents.get(comment.parent_id) if comment.parent_id else None
            author = authors.get(comment.author_id) if comment.author_id else None
            its_reports = reports.get(comment_id, [])
            items.append(
                {
                    "comment": _comment_out(comment),
                    "parent": _comment_out(parent) if parent else None,
                    "page": {"id": page.id, "key": page.key, "url": page.url, "title": page.title},
                    "reports": its_reports,
                    "report_counts": dict(Counter(r["reason"] for r in its_reports)),
                    "author": self._author_out(comment, author, standing, bans),
                }
            )
        return items

    @staticmethod
    def _author_out(
        comment: Comment,
        author: Account | None,
        standing: dict[int, dict[str, int]],
        bans: dict[int, Any],
    ) -> dict[str, Any]:
        if author is None:
            return {"username": None, "guest_name": comment.guest_name, "standing": None}
        counts = standing.get(author.id, {})
        ban = bans.get(author.id)
        return {
            "username": author.username,
            "guest_name": None,
            "standing": {
                "role": author.role.value,
                "joined_at": author.created_at,
                "approved_comments": counts.get(CommentStatus.VISIBLE.value, 0),
                "pending_comments": counts.get(CommentStatus.PENDING.value, 0),
                "removed_comments": counts.get(CommentStatus.REMOVED.value, 0)
                + counts.get(CommentStatus.SPAM.value, 0),
                "ban": {"reason": ban.reason, "ends_at": ban.ends_at} if ban else None,
            },
        }

    async def act(
        self,
        actor: Account,
        action: Action,
        comment_ids: Sequence[int],
        reason: str = "",
        ban_days: int | None = None,
    ) -> list[dict[str, Any]]:
        """Apply one action to every comment; all of them or (on any error) none."""
        require_moderator(actor)
        if action is Action.BAN_AUTHOR and not reason.strip():
            raise InvalidInput(
                "A ban needs a reason; the banned reader is shown it.",
                [{"field": "reason", "reason": "missing", "message": "Give a reason."}],
            )
        ids = sorted(set(comment_ids))
        comments = await queries.lock_comments(self.session, ids)
        missing = set(ids) - {comment.id for comment in comments}
        if missing:
            raise NotFound(f"No comment with id {min(missing)}.")
        now = clock.now()
        new_status = _NEW_STATUS[action]
        for comment in comments:
            await self._apply(actor, action, comment, new_status, reason)
        await queries.resolve_reports(self.session, TargetType.COMMENT, ids, actor.id, now)
        if action is Action.BAN_AUTHOR:
            bans = BanService(self.session)
            author_ids = sorted({c.author_id for c in comments if c.author_id is not None})
            for author in await queries.list_accounts(self.session, author_ids):
                await bans.ban_account(actor, author, reason, ban_days)
        await self.session.flush()
        return [
            {"id": c.id, "status": "deleted" if c.deleted_at else c.status.value} for c in comments
        ]

    async def _apply(
        self,
        actor: Account,
        action: Action,
        comment: Comment,
        new_status: CommentStatus,
        reason: str,
    ) -> None:
        was_counted = _is_counted(comment)
        changed = comment.status is not new_status
        comment.status = new_status
        if new_status is not CommentStatus.VISIBLE:
            comment.is_pinned = False
        audit.record(
            self.session,
            actor,
            _AUDIT[action],
            TargetType.COMMENT,
            comment.id,
            reason,
            detail=f"was {'counted' if was_counted else 'hidden'}" if changed else "unchanged",
        )
        if not changed:
            return
        page = await page_queries.get_page(self.session, comment.page_id)
        assert page is not None
        is_counted = _is_counted(comment)
        await page_queries.bump_thread(
            self.session, page.id, comment_delta=int(is_counted) - int(was_counted)
        )
        if is_counted and not was_counted:
            events.record(self.session, events.CommentPosted(page.id, page.key, comment.id))
        elif was_counted and not is_counted:
            events.record(self.session, events.CommentRemoved(page.id, page.key, comment.id))
        elif new_status is not CommentStatus.VISIBLE:
            # A pending comment removed: live readers never had it, but its author did.
            events.record(self.session, events.CommentRemoved(page.id, page.key, comment.id))

    async def log(self, actor: Account, before_id: int | None, limit: int) -> list[dict[str, Any]]:
        """Audit entries, newest first."""
        require_moderator(actor)
        return [
            {
                "id": entry.id,
                "actor": actor_name,
                "action": entry.action.value,
                "target_type": entry.target_type.value,
                "target_id": entry.target_id,
                "reason": entry.reason,
                "detail": entry.detail,
                "created_at": entry.created_at,
            }
            for entry, actor_name in await queries.list_audit(self.session, before_id, limit)
        ]

"""The moderation log: every moderator action, written in the same transaction as the action.

Because the entry is flushed with the change it describes, an action that rolls back leaves no
entry, and an action that commits cannot lose its entry.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts.models import Account
from rejoinder.moderation.models import AuditAction, AuditEntry, TargetType


def record(
    session: AsyncSession,
    actor: Account,
    action: AuditAction,
    target_type: TargetType,
    target_id: int,
    reason: str = "",
    detail: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason[:500],
        detail=detail[:200],
        created_at=clock.now(),
    )
    session.add(entry)
    # Announced after commit, so the reader concerned is notified only of what happened.
    events.record(
        session,
        events.ModeratorActed(
            actor.id, action.value, target_type.value, target_id, entry.reason, entry.detail
        ),
    )
    return entry

"""The digest sender: e-mails each reader's waiting replies as one message, at most so often.

Replies and mentions for readers who chose e-mail land in ``mail_outbox``. A reader is due
when their oldest waiting row is ``mail_digest_minutes`` old; the sender then claims every
waiting row of that reader at once (`queries.claim_digest`: one UPDATE stamping a claim token
under a lease, so two workers never take the same rows), sends one e-mail outside any
transaction, and deletes the rows it claimed. A busy thread therefore yields one e-mail per
window, not one per reply. A failed send gives the rows back with a growing delay; after
`MAX_ATTEMPTS` they are dropped (the inbox still has them). A worker that dies between
sending and deleting leaves its claim to expire, and the digest goes out again: delivery is
at least once, never silently lost.

Each message carries a one-click unsubscribe link and the RFC 8058 headers.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import timedelta
from email.message import EmailMessage

from rejoinder import clock
from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account
from rejoinder.db.engine import Database
from rejoinder.mailer import Mailer, MailError
from rejoinder.notifications import queries
from rejoinder.notifications.service import InboxItem, present
from rejoinder.notifications.unsubscribe import unsubscribe_url
from rejoinder.settings import Settings

log = logging.getLogger("rejoinder.mail")

MAX_ATTEMPTS = 5
RETRY_DELAY = timedelta(minutes=5)
_LEASE_MARGIN = timedelta(seconds=60)


class DigestSender:
    def __init__(self, db: Database, settings: Settings, mailer: Mailer | None = None) -> None:
        self.db = db
        self.settings = settings
        self.mailer = mailer or Mailer(settings)
        self.window = timedelta(minutes=settings.mail_digest_minutes)
        self.lease = timedelta(seconds=settings.smtp_timeout) + _LEASE_MARGIN

    async def run_once(self) -> bool:
        """Send one due reader's digest; False when nobody was due."""
        if not self.mailer.enabled:
            return False
        claim = secrets.token_hex(16)
        async with self.db.write_session() as session:
            now = clock.now()
            account_id = await queries.claim_digest(session, now, self.window, self.lease, claim)
            await session.commit()
        if account_id is None:
            return False
        async with self.db.read_session() as session:
            account = await account_queries.get_account(session, account_id)
            prefs = await queries.get_prefs(session, account_id)
            claimed = await queries.list_claimed(session, claim)
        attempts = max((row.attempts for row, _ in claimed), default=0)
        items = [present(inbox) for _row, inbox in claimed]
        # Read in the app meanwhile, or the reader turned e-mail off: nothing to send.
        unread = [item for item in items if not item.read]
        wanted = account is not None and account.deleted_at is None and account.email
        if not unread or not wanted or prefs is None or not prefs.email_replies:
            await self._finish(claim)
            return True
        assert account is not None
        try:
            await self.mailer.send(self.compose(account, unread))
        except MailError as exc:
            await self._failed(claim, attempts, str(exc))
            return True
        await self._finish(claim)
        return True

    def compose(self, account: Account, items: Sequence[InboxItem]) -> EmailMessage:
        assert account.email is not None
        base = self.settings.public_url
        unsubscribe = unsubscribe_url(self.settings, account.id)
        count = len(items)
        subject = (
            items[0].summary + (f" on {items[0].page_title}" if items[0].page_title else "")
            if count == 1
            else f"{count} new replies and mentions"
        )
        lines = [f"Hello {account.username},", ""]
        for item in items:
            where = f" on {item.page_title}" if item.page_title else ""
            lines.append(f"* {item.summary}{where}:")
            if item.snippet:
                lines.append(f"  {item.snippet}")
            if item.comment_id is not None:
                lines.append(f"  {base}/c/{item.comment_id}")
            lines.append("")
        lines += [
            f"All your notifications: {base}/notifications",
            f"Stop these e-mails: {unsubscribe}",
        ]
        return self.mailer.compose(
            account.email,
            subject,
            "\n".join(lines) + "\n",
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )

    async def _finish(self, claim: str) -> None:
        async with self.db.write_session() as session:
            await queries.delete_claimed(session, claim)
            await session.commit()

    async def _failed(self, claim: str, attempts: int, error: str) -> None:
        if attempts >= MAX_ATTEMPTS:
            log.warning("giving up on a reply digest after %d attempts: %s", attempts, error)
            await self._finish(claim)
            return
        log.info("reply digest not sent (attempt %d): %s", attempts, error)
        retry_at = clock.now() + RETRY_DELAY * 2 ** (attempts - 1)
        async with self.db.write_session() as session:
            await queries.release_claimed(session, claim, retry_at)
            await session.commit()

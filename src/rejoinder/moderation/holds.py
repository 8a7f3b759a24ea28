"""Hold rules: which new comments wait for a moderator before anyone else sees them.

A held comment is stored with status ``pending``: its author sees it (marked pending), other
readers do not, and it waits in the moderation queue with the rule that held it. Each rule is
a setting and can be turned off:

- ``hold_account_age_hours``: accounts younger than this (0: off);
- ``hold_min_approved_comments``: accounts with fewer approved comments (0: off);
- ``hold_max_links``: more distinct links than this;
- ``blocked_words`` / ``blocked_patterns``: see ``filters.py``;
- flooding: the same text (compared case- and punctuation-blind) already posted by the same
  account or address on ``flood_max_pages`` other pages within ``flood_window_seconds``;
- ``classifier`` scoring the text above ``classifier_threshold``.

Moderators' comments are never held. Rules run cheapest first and the first that fires wins.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts.models import Account
from rejoinder.comments.render import Rendered
from rejoinder.moderation import queries
from rejoinder.moderation.bans import is_staff
from rejoinder.moderation.classifier import Classifier, get_classifier
from rejoinder.moderation.filters import compile_filter
from rejoinder.moderation.models import TextFingerprint
from rejoinder.settings import Settings

# "Thanks!" and "+1" are legitimately repeated everywhere; only longer texts count as a flood.
FLOOD_MIN_CHARS = 20
_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class Hold:
    rule: str
    detail: str

    def describe(self) -> str:
        return f"{self.rule}: {self.detail}"


def normalize(text: str) -> str:
    """Case, punctuation and spacing removed: "Buy NOW!!" and "buy now" are one text."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def text_digest(text: str) -> str | None:
    normalized = normalize(text)
    if len(normalized) < FLOOD_MIN_CHARS:
        return None
    return hashlib.sha256(normalized.encode()).hexdigest()


class HoldRules:
    def __init__(
        self, session: AsyncSession, settings: Settings, classifier: Classifier | None = None
    ) -> None:
        self.session = session
        self.settings = settings
        self.classifier = (
            classifier if classifier is not None else get_classifier(settings.classifier)
        )

    def ip_digest(self, ip: str | None) -> str | None:
        # Keyed, so the stored value cannot be reversed by hashing all 2^32 addresses.
        if ip is None:
            return None
        key = self.settings.effective_secret_key.encode()
        return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()

    async def check(
        self,
        *,
        author: Account | None,
        ip: str | None,
        page_id: int,
        rendered: Rendered,
        source: str,
    ) -> Hold | None:
        """The first rule this comment breaks, or None to publish it."""
        if is_staff(author):
            return None
        settings = self.settings
        if rendered.link_count > settings.hold_max_links:
            return Hold("links", f"{rendered.link_count} links (limit {settings.hold_max_links})")
        text_filter = compile_filter(
            tuple(settings.blocked_words), tuple(settings.blocked_patterns)
        )
        broken = text_filter.first_match(source)
        if broken is not None:
            return Hold("blocked", broken)
        hold = await self._check_author(author)
        if hold is None:
            hold = await self._check_flood(author, ip, page_id, rendered.text)
        if hold is None and self.classifier is not None:
            score = await anyio.to_thread.run_sync(self.classifier.score, rendered.text)
            if score > settings.classifier_threshold:
                return Hold("classifier", f"score {score:.2f} > {settings.classifier_threshold}")
        return hold

    async def _check_author(self, author: Account | None) -> Hold | None:
        if author is None:
            return None
        hours = self.settings.hold_account_age_hours
        if hours and clock.now() - author.created_at < timedelta(hours=hours):
            return Hold("new_account", f"account younger than {hours:g} hours")
        needed = self.settings.hold_min_approved_comments
        if needed:
            approved = await queries.count_approved_comments(self.session, author.id, needed)
            if approved < needed:
                return Hold("few_approved", f"{approved} approved comments (needs {needed})")
        return None

    async def _check_flood(
        self, author: Account | None, ip: str | None, page_id: int, text: str
    ) -> Hold | None:
        window = self.settings.flood_window_seconds
        if not window:
            return None
        digest = text_digest(text)
        if digest is None:
            return None
        pages = await queries.count_other_pages_with_text(
            self.session,
            digest,
            account_id=author.id if author else None,
            ip_digest=self.ip_digest(ip),
            since=clock.now() - timedelta(seconds=window),
            page_id=page_id,
        )
        if pages >= self.settings.flood_max_pages:
            return Hold("flood", f"same text on {pages} other pages within {window} s")
        return None

    async def remember(
        self, *, author: Account | None, ip: str | None, page_id: int, text: str
    ) -> None:
        """Keep the text's fingerprint for the flood window (and forget expired ones)."""
        window = self.settings.flood_window_seconds
        if not window:
            return
        digest = text_digest(text)
        if digest is None:
            return
        now = clock.now()
        await queries.delete_fingerprints_before(self.session, now - timedelta(seconds=window))
        self.session.add(
            TextFingerprint(
                digest=digest,
                account_id=author.id if author else None,
                ip_digest=self.ip_digest(ip),
                page_id=page_id,
                created_at=now,
            )
        )

"""Recording what fetches taught us about identity, and reading it back for a page.

`IdentityService.record` runs in the fetch runner's write transaction, right after the
snapshot was stored: it applies the canonical policy's decision (`canonical.py`) and
re-indexes the page's fingerprint when its text changed. Nothing here merges discussions:
a trusted canonical adds a key only when that key leads nowhere yet; everything else is a
link or a suggestion for moderators (`merging.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.identity import fingerprints, queries
from rejoinder.identity.canonical import Claim, Verdict
from rejoinder.identity.confirmation import FetchFindings
from rejoinder.identity.models import CanonicalKind, PageCanonicalLink
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page, PageAlias, PageSnapshot

# Pages sharing a bucket with a new fingerprint that are compared in full; beyond this a
# bucket is a site template, not an article.
MAX_CANDIDATES = 200
MAX_COPIES_SHOWN = 20


@dataclass(frozen=True, slots=True)
class SyndicatedCopy:
    key: str
    url: str
    title: str | None
    similarity: float


class IdentityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, page_id: int, findings: FetchFindings, snapshot: PageSnapshot | None
    ) -> None:
        """Apply a fetch's findings; ``snapshot`` is the new snapshot, None if text unchanged."""
        page = await page_queries.get_page(self.session, page_id)
        if page is None or page.merged_into_id is not None:
            return
        await self._apply_canonical(page, findings)
        if snapshot is not None:
            await self._index(page.id, snapshot.id, findings.signature)

    async def _apply_canonical(self, page: Page, findings: FetchFindings) -> None:
        decision = findings.decision
        trusted = decision.verdict is Verdict.SAME_SITE or (
            decision.verdict is Verdict.CROSS_SITE and findings.confirmed
        )
        if decision.claim is not None and trusted:
            await self._adopt(page, decision.claim)
        elif decision.claim is not None and decision.verdict is Verdict.CROSS_SITE:
            await self._remember(page, decision.claim, CanonicalKind.LINK)
        # The page's own AMP rendering (same site, checked by the policy) is one more key.
        if decision.verdict not in (Verdict.CONFLICT, Verdict.INVALID):
            for claim in decision.extra_keys:
                await self._adopt(page, claim)

    async def _adopt(self, page: Page, claim: Claim) -> None:
        """Make ``claim`` a key of the page, or suggest a merge if it has a discussion."""
        existing = await queries.get_alias(self.session, claim.digest)
        if existing is not None:
            if existing.page_id != page.id:
                await self._remember(page, claim, CanonicalKind.SUGGESTED)
            return
        try:
            async with self.session.begin_nested():
                self.session.add(
                    PageAlias(
                        page_id=page.id,
                        key=claim.key,
                        digest=claim.digest,
                        created_at=clock.now(),
                    )
                )
                await self.session.flush()
        except IntegrityError:
            # A first comment on the canonical URL created its page meanwhile.
            await self._remember(page, claim, CanonicalKind.SUGGESTED)

    async def _remember(self, page: Page, claim: Claim, kind: CanonicalKind) -> None:
        link = await queries.get_canonical_link(self.session, page.id, claim.digest)
        if link is None:
            self.session.add(
                PageCanonicalLink(
                    page_id=page.id,
                    target_key=claim.key,
                    target_digest=claim.digest,
                    target_url=claim.url,
                    kind=kind,
                    created_at=clock.now(),
                )
            )
        else:
            link.kind = kind
            link.target_url = claim.url
        await self.session.flush()

    async def _index(self, page_id: int, snapshot_id: int, signature: bytes | None) -> None:
        """Replace the page's fingerprint and similar pages with those of its new text."""
        await queries.delete_fingerprint(self.session, page_id)
        if signature is None:
            return
        now = clock.now()
        bands = fingerprints.bands(signature)
        await queries.insert_fingerprint(self.session, page_id, snapshot_id, signature, bands, now)
        candidates = await queries.list_candidates(self.session, bands, page_id, MAX_CANDIDATES)
        matches = fingerprints.best_matches(signature, candidates)
        await queries.insert_similarities(self.session, page_id, matches, now)

    async def aliases(self, page_id: int) -> list[str]:
        return await page_queries.list_alias_keys(self.session, page_id)

    async def syndicated_copies(self, page_id: int) -> list[SyndicatedCopy]:
        """Other discussions of the same article text, published under other URLs."""
        rows = await queries.list_similar_pages(self.session, page_id, MAX_COPIES_SHOWN)
        return [
            SyndicatedCopy(page.key, page.url, page.title, round(score, 3)) for page, score in rows
        ]

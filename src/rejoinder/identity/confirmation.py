"""Work done after a fetch and before its outcome is stored: fingerprint, confirm canonical.

Both run outside any database transaction (the fetch runner's rule: never hold one across
network or CPU-heavy work). A cross-site canonical is fetched in turn through the same safe
fetcher; any failure there only means "not confirmed".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from rejoinder.fetching.safe_http import FetchedPage, FetchError
from rejoinder.identity import canonical, fingerprints
from rejoinder.pages.metadata import PageMetadata
from rejoinder.pages.urlnorm import UrlRejected, url_key

log = logging.getLogger("rejoinder.identity")

Reader = Callable[[str], Awaitable[tuple[FetchedPage, PageMetadata]]]


@dataclass(frozen=True, slots=True)
class FetchFindings:
    """What a fetch says about the page's identity, ready for `IdentityService.record`."""

    decision: canonical.Decision
    confirmed: bool
    signature: bytes | None


async def examine(
    read: Reader, page_url: str, fetched: FetchedPage, metadata: PageMetadata
) -> FetchFindings:
    """Decide on the page's canonical links and fingerprint its text."""
    signature = await anyio.to_thread.run_sync(fingerprints.signature, metadata.text)
    try:
        page_key = url_key(page_url)
    except UrlRejected:
        return FetchFindings(canonical.Decision(canonical.Verdict.INVALID), False, signature)
    decision = canonical.decide(page_key, fetched.url, metadata)
    confirmed = False
    if decision.needs_confirmation and decision.claim is not None:
        confirmed = await _confirm(read, decision.claim, signature)
    return FetchFindings(decision, confirmed, signature)


async def _confirm(read: Reader, claim: canonical.Claim, signature: bytes | None) -> bool:
    if signature is None:
        return False  # too little text to tell whether the two pages are one article
    try:
        target_page, target = await read(claim.url)
    except FetchError as exc:
        log.info("canonical %s not confirmed: %s", claim.url, exc.message)
        return False
    except Exception:
        log.exception("reading canonical target %s failed", claim.url)
        return False
    if not canonical.confirms(claim.key, target_page.url, target):
        return False
    target_signature = await anyio.to_thread.run_sync(fingerprints.signature, target.text)
    return (
        target_signature is not None
        and fingerprints.similarity(signature, target_signature) >= fingerprints.THRESHOLD
    )

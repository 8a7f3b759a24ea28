"""From a URL a reader brings to the page that holds its discussion."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.errors import InvalidUrl
from rejoinder.fetching import queries as fetch_queries
from rejoinder.pages import queries
from rejoinder.pages.models import Page
from rejoinder.pages.urlnorm import UrlRejected, key_and_url, key_digest, plain_key


@dataclass(frozen=True, slots=True)
class PageRef:
    """A URL resolved to its discussion key, before any database work."""

    key: str
    url: str
    digest: str


# URLs this long or shorter have their normalisation remembered: ~0.1 ms per URL, spent
# again for every reader of the same page and every batch count naming it. 1,024 of them
# hold a few MB at most.
_REMEMBERED_URL_LENGTH = 1024


def resolve(raw: str, max_length: int = 2048) -> PageRef:
    """Normalise a URL or raise ``InvalidUrl`` with a message for the reader."""
    if len(raw) <= _REMEMBERED_URL_LENGTH:
        return _resolve_remembered(raw, max_length)
    return _resolve(raw, max_length)


@functools.lru_cache(maxsize=1024)
def _resolve_remembered(raw: str, max_length: int) -> PageRef:
    # Pure: the key depends on the URL alone. Rejected URLs raise and are not remembered.
    return _resolve(raw, max_length)


def _resolve(raw: str, max_length: int) -> PageRef:
    if len(raw.strip()) > max_length:
        raise InvalidUrl(
            f"Addresses longer than {max_length} characters cannot be discussed.", "too_long"
        )
    try:
        key, url = key_and_url(raw)
    except UrlRejected as exc:
        raise InvalidUrl(str(exc), exc.reason) from None
    return PageRef(key=key, url=url, digest=key_digest(key))


class PageService:
    def __init__(self, session: AsyncSession, max_url_length: int = 2048) -> None:
        self.session = session
        self.max_url_length = max_url_length

    def resolve(self, raw: str) -> PageRef:
        return resolve(raw, self.max_url_length)

    async def find(self, ref: PageRef) -> Page | None:
        return await queries.get_page_by_digest(self.session, ref.digest)

    async def get_or_create(self, ref: PageRef) -> Page:
        """The page for this key, created on first use (e.g. the first comment)."""
        page = await queries.get_page_by_digest(self.session, ref.digest)
        if page is not None:
            return page
        page = Page(key=ref.key, url=ref.url, created_at=clock.now())
        try:
            async with self.session.begin_nested():
                page = await queries.insert_page(self.session, page, ref.digest)
                # First discussed: learn its title and text in the background (fetching/).
                await fetch_queries.insert_job(self.session, page.id, page.url, page.created_at)
                return page
        except IntegrityError:
            # A concurrent first comment created it: use theirs.
            existing = await queries.get_page_by_digest(self.session, ref.digest)
            if existing is None:
                raise
            return existing

    async def counts(self, urls: list[str]) -> dict[str, int]:
        """Visible comment counts by URL as sent; unusable URLs count 0 rather than fail."""
        digests = url_digests(urls, self.max_url_length)
        found = await queries.count_by_digests(self.session, set(digests.values()))
        return counts_by_url(urls, digests, found)


# The two halves of ``PageService.counts`` around its query, shared with the batch-count
# front (api/counts_front.py), which runs the same query without a session.


def url_digests(urls: list[str], max_length: int) -> dict[str, str]:
    """The digest of each usable URL, keyed by the URL as sent; unusable URLs are left out."""
    digests: dict[str, str] = {}
    # A plain key has nothing to strip (raw.strip() is raw), so only its length can make
    # `resolve` refuse it. Longer URLs than are remembered are rare: `resolve` takes them.
    plain_length = min(max_length, _REMEMBERED_URL_LENGTH)
    remembered = _plain_digests
    for raw in urls:
        if raw in digests:
            continue
        digest = remembered.get(raw, _UNKNOWN) if len(raw) <= plain_length else None
        if digest is _UNKNOWN:
            digest = _plain_digest(raw)
            if len(remembered) >= _PLAIN_DIGESTS_KEPT:
                remembered.clear()
            remembered[raw] = digest
        if digest is not None:
            digests[raw] = digest
            continue
        try:
            digests[raw] = resolve(raw, max_length).digest
        except InvalidUrl:
            continue
    return digests


# The embed script of every reader of a page asks for the counts of the same links: their
# digests are remembered (a hit costs a dict lookup, ~2.5 µs to compute). Up to 2,048 URLs
# (each up to 1,024 characters) with their 64-character digests: 0.55 MB for 40-character
# URLs, 2.5 MB at worst. Full, it starts again rather than keeping an order of use: random
# URLs (the benchmark's) miss it, and an LRU's bookkeeping cost ~0.3 µs a miss; the links
# many readers ask for are back in it after one request. None: no plain key.
_PLAIN_DIGESTS_KEPT = 2048
_plain_digests: dict[str, str | None] = {}
_UNKNOWN = ""  # never a digest, and a str, so the lookup above stays typed


def _plain_digest(raw: str) -> str | None:
    """The digest of a URL with a plain key (`urlnorm.plain_key`), else None."""
    key = plain_key(raw)
    return None if key is None else key_digest(key)


def counts_by_url(
    urls: list[str], digests: dict[str, str], found: dict[str, int]
) -> dict[str, int]:
    """Counts keyed by the URLs as sent, in their order: 0 for unusable or unknown URLs."""
    return {raw: found.get(digests.get(raw, ""), 0) for raw in urls}

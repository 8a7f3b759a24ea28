"""Pages and comment counts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from rejoinder.api.deps import AppSettings, DbSession, ReadOnlySession
from rejoinder.comments.reading import page_out
from rejoinder.identity.schemas import PageDetailOut, SyndicatedCopyOut
from rejoinder.identity.service import IdentityService
from rejoinder.pages import queries
from rejoinder.pages.schemas import CountsIn, CountsOut, PrefixCountsOut
from rejoinder.pages.service import PageService

router = APIRouter(tags=["pages"])

URL_MAX_LENGTH = 8192
UrlQuery = Annotated[
    str, Query(min_length=1, max_length=URL_MAX_LENGTH, description="Any URL form.")
]
DigestPrefix = Annotated[str, Path(pattern="^[0-9a-f]{4}$")]


@router.get("/pages", response_model=PageDetailOut)
async def read_page(url: UrlQuery, session: DbSession, settings: AppSettings) -> PageDetailOut:
    """The page a URL leads to, with its URL keys and copies; creates nothing."""
    pages = PageService(session, settings.max_url_length)
    ref = pages.resolve(url)
    page = await pages.find(ref)
    detail = PageDetailOut(**page_out(ref, page))
    if page is not None:
        identity = IdentityService(session)
        detail.aliases = await identity.aliases(page.id)
        detail.syndicated_copies = [
            SyndicatedCopyOut(**asdict(copy)) for copy in await identity.syndicated_copies(page.id)
        ]
    return detail


@router.post("/counts", response_model=CountsOut)
async def count_comments(
    body: CountsIn, session: ReadOnlySession, settings: AppSettings
) -> CountsOut:
    """Visible comment counts of up to 200 URLs at once, keyed by the URLs as sent."""
    pages = PageService(session, settings.max_url_length)
    return CountsOut(counts=await pages.counts(body.urls))


@router.get("/counts/by-prefix/{prefix}", response_model=PrefixCountsOut)
async def count_by_prefix(
    prefix: DigestPrefix, session: DbSession, response: Response
) -> PrefixCountsOut:
    """Counts of every page whose sha256(key) starts with these 4 hex digits (k-anonymous)."""
    # The same answer for every reader: let browsers and shared caches keep it briefly.
    response.headers["Cache-Control"] = "public, max-age=60"
    return PrefixCountsOut(
        prefix=prefix, counts=await queries.count_by_digest_prefix(session, prefix)
    )

"""Every query on fingerprints, similar pages, canonical links, and the moves of a merge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.comments.models import Comment
from rejoinder.fetching.models import FetchJob
from rejoinder.identity.models import (
    CanonicalKind,
    PageCanonicalLink,
    PageFingerprint,
    PageFingerprintBand,
    PageSimilarity,
)
from rejoinder.pages.models import Page, PageAlias
from rejoinder.votes.models import Vote

# --- Fingerprints and the LSH index -------------------------------------------------------


async def delete_fingerprint(session: AsyncSession, page_id: int) -> None:
    """Forget a page's fingerprint, its bands and every similarity it took part in."""
    await session.execute(delete(PageFingerprintBand).where(PageFingerprintBand.page_id == page_id))
    await session.execute(delete(PageFingerprint).where(PageFingerprint.page_id == page_id))
    await session.execute(
        delete(PageSimilarity).where(
            or_(PageSimilarity.page_id == page_id, PageSimilarity.other_page_id == page_id)
        )
    )


async def insert_fingerprint(
    session: AsyncSession,
    page_id: int,
    snapshot_id: int,
    signature: bytes,
    bands: Sequence[tuple[int, int]],
    now: datetime,
) -> None:
    session.add(
        PageFingerprint(
            page_id=page_id, snapshot_id=snapshot_id, signature=signature, computed_at=now
        )
    )
    session.add_all(
        PageFingerprintBand(page_id=page_id, band=band, bucket_hash=bucket)
        for band, bucket in bands
    )
    await session.flush()


async def list_candidates(
    session: AsyncSession, bands: Sequence[tuple[int, int]], exclude: int, limit: int
) -> list[tuple[int, bytes]]:
    """(page id, signature) of pages sharing a bucket in any band: one query per band list.

    Each ``(band, bucket_hash)`` pair is an equality lookup on
    ``ix_page_fingerprint_bands_lookup``; ``limit`` caps what a hugely shared bucket (a
    template every page of a site repeats) could otherwise drag in.
    """
    matching = (
        select(PageFingerprintBand.page_id)
        .where(
            or_(
                *(
                    and_(PageFingerprintBand.band == band, PageFingerprintBand.bucket_hash == h)
                    for band, h in bands
                )
            )
        )
        .where(PageFingerprintBand.page_id != exclude)
        .distinct()
        .limit(limit)
        .scalar_subquery()
    )
    stmt = select(PageFingerprint.page_id, PageFingerprint.signature).where(
        PageFingerprint.page_id.in_(matching)
    )
    return [(int(page_id), bytes(sig)) for page_id, sig in (await session.execute(stmt)).all()]


async def insert_similarities(
    session: AsyncSession, page_id: int, matches: Sequence[tuple[int, float]], now: datetime
) -> None:
    session.add_all(
        PageSimilarity(
            page_id=min(page_id, other),
            other_page_id=max(page_id, other),
            similarity=score,
            found_at=now,
        )
        for other, score in matches
    )
    await session.flush()


async def list_similar_pages(
    session: AsyncSession, page_id: int, limit: int
) -> list[tuple[Page, float]]:
    """Pages whose text is a near-duplicate of this page's, most similar first."""
    other = (
        select(PageSimilarity.other_page_id.label("id"), PageSimilarity.similarity)
        .where(PageSimilarity.page_id == page_id)
        .union_all(
            select(PageSimilarity.page_id.label("id"), PageSimilarity.similarity).where(
                PageSimilarity.other_page_id == page_id
            )
        )
        .subquery()
    )
    stmt = (
        select(Page, other.c.similarity)
        .join(other, other.c.id == Page.id)
        .where(Page.merged_into_id.is_(None))
        .order_by(other.c.similarity.desc(), Page.id)
        .limit(limit)
    )
    return [(page, float(score)) for page, score in (await session.execute(stmt)).all()]


async def list_similarity_pairs(
    session: AsyncSession, limit: int
) -> list[tuple[int, int, float, datetime]]:
    """The newest pairs of near-duplicate pages: (page_id, other_page_id, similarity, found_at)."""
    stmt = (
        select(
            PageSimilarity.page_id,
            PageSimilarity.other_page_id,
            PageSimilarity.similarity,
            PageSimilarity.found_at,
        )
        .order_by(PageSimilarity.found_at.desc(), PageSimilarity.page_id)
        .limit(limit)
    )
    # Unpacked rather than tuple(row), which mypy can only type as tuple[object, ...].
    return [
        (page_id, other_page_id, similarity, found_at)
        for page_id, other_page_id, similarity, found_at in (await session.execute(stmt)).all()
    ]


# --- Canonical links ----------------------------------------------------------------------


async def get_canonical_link(
    session: AsyncSession, page_id: int, digest: str
) -> PageCanonicalLink | None:
    stmt = select(PageCanonicalLink).where(
        PageCanonicalLink.page_id == page_id, PageCanonicalLink.target_digest == digest
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_canonical_suggestions(
    session: AsyncSession, limit: int
) -> list[tuple[int, int, datetime]]:
    """Trusted canonicals leading to another discussion, with that discussion's page id."""
    stmt = (
        select(
            PageCanonicalLink.page_id,
            PageAlias.page_id.label("target_page_id"),
            PageCanonicalLink.created_at,
        )
        .join(PageAlias, PageAlias.digest == PageCanonicalLink.target_digest)
        .where(
            PageCanonicalLink.kind == CanonicalKind.SUGGESTED,
            PageAlias.page_id != PageCanonicalLink.page_id,
        )
        .order_by(PageCanonicalLink.created_at.desc(), PageCanonicalLink.id.desc())
        .limit(limit)
    )
    return [
        (page_id, target_page_id, created_at)
        for page_id, target_page_id, created_at in (await session.execute(stmt)).all()
    ]


async def list_canonical_links(session: AsyncSession, page_id: int) -> list[PageCanonicalLink]:
    stmt = (
        select(PageCanonicalLink)
        .where(PageCanonicalLink.page_id == page_id)
        .order_by(PageCanonicalLink.id)
    )
    return list((await session.execute(stmt)).scalars())


# --- Merging and splitting ----------------------------------------------------------------


async def get_pages(session: AsyncSession, page_ids: Sequence[int]) -> dict[int, Page]:
    if not page_ids:
        return {}
    stmt = select(Page).where(Page.id.in_(list(page_ids)))
    return {page.id: page for page in (await session.execute(stmt)).scalars()}


async def move_thread(session: AsyncSession, from_id: int, into_id: int) -> None:
    """Comments, votes and URL keys of one page to another (ids stay: links keep working)."""
    # Pins belong to the page that made them; the target has its own (at most three).
    await session.execute(
        update(Comment)
        .where(Comment.page_id == from_id)
        .values(page_id=into_id, is_pinned=False)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Vote)
        .where(Vote.page_id == from_id)
        .values(page_id=into_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PageAlias)
        .where(PageAlias.page_id == from_id)
        .values(page_id=into_id)
        .execution_options(synchronize_session=False)
    )


async def move_fetch_state(session: AsyncSession, from_id: int, into_id: int) -> None:
    """The merged page is not fetched again; its job moves over if the target has none."""
    target_has_job = (
        await session.execute(select(FetchJob.id).where(FetchJob.page_id == into_id))
    ).first() is not None
    if target_has_job:
        await session.execute(delete(FetchJob).where(FetchJob.page_id == from_id))
    else:
        await session.execute(
            update(FetchJob)
            .where(FetchJob.page_id == from_id)
            .values(page_id=into_id)
            .execution_options(synchronize_session=False)
        )


async def delete_canonical_links(session: AsyncSession, page_id: int) -> None:
    await session.execute(delete(PageCanonicalLink).where(PageCanonicalLink.page_id == page_id))


async def get_alias(session: AsyncSession, digest: str) -> PageAlias | None:
    stmt = select(PageAlias).where(PageAlias.digest == digest)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_merged_page(session: AsyncSession, into_id: int, key: str) -> Page | None:
    """The page once merged into ``into_id`` whose own key is ``key`` (a split revives it)."""
    stmt = (
        select(Page)
        .where(and_(Page.merged_into_id == into_id, Page.key == key))
        .order_by(Page.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()

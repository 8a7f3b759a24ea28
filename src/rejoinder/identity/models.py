"""Identity's tables: text fingerprints and their LSH index, similar pages, canonical links.

A page's fingerprint is the MinHash signature of its newest snapshot's text. Its LSH bands
(`PageFingerprintBand`) are what a lookup reads: pages sharing any band bucket are the
candidates, a few indexed queries whatever the number of pages. Pairs that turned out
similar are kept (`PageSimilarity`), so "also published at" and the moderators' merge
suggestions are indexed reads, not comparisons at read time.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class PageFingerprint(Base):
    """The MinHash signature of a page's current text (``NUM_PERM`` little-endian uint32)."""

    __tablename__ = "page_fingerprints"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("page_snapshots.id", ondelete="CASCADE"))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime]


class PageFingerprintBand(Base):
    """One LSH band of a page's signature, hashed to a bucket; equal buckets, likely copies."""

    __tablename__ = "page_fingerprint_bands"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    bucket_hash: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_page_fingerprint_bands_lookup", "band", "bucket_hash"),)


class PageSimilarity(Base):
    """Two pages whose texts are near-duplicates; stored once, ``page_id < other_page_id``."""

    __tablename__ = "page_similarities"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    other_page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    # Estimated Jaccard similarity of the texts' word shingles, 0..1.
    similarity: Mapped[float] = mapped_column(Float)
    found_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_page_similarities_other", "other_page_id"),
        Index("ix_page_similarities_found_at", "found_at"),
    )


class CanonicalKind(enum.StrEnum):
    # A cross-site canonical the target did not confirm: shown as a link, never merged.
    LINK = "link"
    # A trusted canonical whose key already has a discussion of its own: for moderators.
    SUGGESTED = "suggested"


class PageCanonicalLink(Base):
    """A canonical URL a page declared that did not simply become one of its keys."""

    __tablename__ = "page_canonical_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    target_key: Mapped[str] = mapped_column(Text)
    target_digest: Mapped[str] = mapped_column(String(64))
    target_url: Mapped[str] = mapped_column(Text)
    kind: Mapped[CanonicalKind] = mapped_column(
        Enum(
            CanonicalKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("page_id", "target_digest"),
        Index("ix_page_canonical_links_kind_created", "kind", "created_at"),
    )

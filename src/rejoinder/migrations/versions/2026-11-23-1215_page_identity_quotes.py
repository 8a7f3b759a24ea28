"""page identity and quotes

Comment quotes (a TextQuoteSelector as JSON), merged pages, text fingerprints with their LSH
band index, similar page pairs and canonical links.

``comments.quote`` and ``pages.merged_into_id`` are plain ``ADD COLUMN``s, nullable and
without constraints, so SQLite adds them in place: a batch rebuild of ``comments`` or
``pages`` would drop the search triggers of revision 0004.

Revision ID: 0006
Revises: 0004
Created: 2026-11-23 12:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("comments", sa.Column("quote", sa.JSON(), nullable=True))
    op.add_column("pages", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    # CREATE INDEX needs no table rebuild either; a split looks up the pages merged in.
    op.create_index("ix_pages_merged_into_id", "pages", ["merged_into_id"], unique=False)

    op.create_table(
        "page_fingerprints",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_fingerprints_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["page_snapshots.id"],
            name=op.f("fk_page_fingerprints_snapshot_id_page_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_page_fingerprints")),
    )
    op.create_table(
        "page_fingerprint_bands",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("bucket_hash", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_fingerprint_bands_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", "band", name=op.f("pk_page_fingerprint_bands")),
    )
    op.create_index(
        "ix_page_fingerprint_bands_lookup",
        "page_fingerprint_bands",
        ["band", "bucket_hash"],
        unique=False,
    )
    op.create_table(
        "page_similarities",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("other_page_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_similarities_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_page_id"],
            ["pages.id"],
            name=op.f("fk_page_similarities_other_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", "other_page_id", name=op.f("pk_page_similarities")),
    )
    op.create_index(
        "ix_page_similarities_other", "page_similarities", ["other_page_id"], unique=False
    )
    op.create_index(
        "ix_page_similarities_found_at", "page_similarities", ["found_at"], unique=False
    )
    op.create_table(
        "page_canonical_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.Text(), nullable=False),
        sa.Column("target_digest", sa.String(length=64), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("link", "suggested", name="canonicalkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_canonical_links_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_canonical_links")),
        sa.UniqueConstraint(
            "page_id", "target_digest", name=op.f("uq_page_canonical_links_page_id")
        ),
    )
    op.create_index(
        "ix_page_canonical_links_kind_created",
        "page_canonical_links",
        ["kind", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_page_canonical_links_kind_created", table_name="page_canonical_links")
    op.drop_table("page_canonical_links")
    op.drop_index("ix_page_similarities_found_at", table_name="page_similarities")
    op.drop_index("ix_page_similarities_other", table_name="page_similarities")
    op.drop_table("page_similarities")
    op.drop_index("ix_page_fingerprint_bands_lookup", table_name="page_fingerprint_bands")
    op.drop_table("page_fingerprint_bands")
    op.drop_table("page_fingerprints")
    op.drop_index("ix_pages_merged_into_id", table_name="pages")
    # Plain DROP COLUMN (SQLite >= 3.35) keeps the tables, and so their search triggers.
    op.drop_column("pages", "merged_into_id")
    op.drop_column("comments", "quote")

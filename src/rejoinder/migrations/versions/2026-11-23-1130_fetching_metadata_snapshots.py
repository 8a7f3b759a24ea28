"""fetching metadata snapshots

Page metadata columns, the fetch queue and article snapshots.

Revision ID: 0003
Revises: 0002
Created: 2026-11-23 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PAGE_COLUMNS = (
    ("site_name", sa.String(length=200)),
    ("author", sa.String(length=200)),
    ("description", sa.String(length=1000)),
    ("published_at", sa.DateTime(timezone=True)),
    ("image_url", sa.Text()),
    ("language", sa.String(length=35)),
    ("og_url", sa.Text()),
    ("amphtml_url", sa.Text()),
    ("doi", sa.String(length=255)),
    ("fetched_at", sa.DateTime(timezone=True)),
    ("fetch_error", sa.String(length=500)),
)


def upgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        for name, type_ in _PAGE_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))

    op.create_table(
        "fetch_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "running",
                "done",
                "failed",
                name="jobstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name=op.f("fk_fetch_jobs_page_id_pages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetch_jobs")),
        sa.UniqueConstraint("page_id", name=op.f("uq_fetch_jobs_page_id")),
    )
    with op.batch_alter_table("fetch_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fetch_jobs_state_next", ["state", "next_attempt_at"], unique=False
        )

    op.create_table(
        "page_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_snapshots_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_snapshots")),
    )
    with op.batch_alter_table("page_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_page_snapshots_page_fetched", ["page_id", "fetched_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("page_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_page_snapshots_page_fetched")
    op.drop_table("page_snapshots")
    with op.batch_alter_table("fetch_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_fetch_jobs_state_next")
    op.drop_table("fetch_jobs")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        for name, _type in reversed(_PAGE_COLUMNS):
            batch_op.drop_column(name)

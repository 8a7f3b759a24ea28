"""moderation: reports, bans, audit log, flood fingerprints, mutes, hidden pages, controls

Revision ID: 0002
Revises: 0001
Created: 2026-11-23 11:12:38
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TARGET_TYPE = sa.Enum(
    "comment", "submission", "account", "page", name="targettype", native_enum=False, length=16
)


def upgrade() -> None:
    op.create_table(
        "bans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_bans_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_bans_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bans")),
    )
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.create_index("ix_bans_account_id", ["account_id"], unique=False)

    op.create_table(
        "hidden_pages",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_hidden_pages_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_hidden_pages_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "page_id", name=op.f("pk_hidden_pages")),
    )
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "approve",
                "remove",
                "spam",
                "ban",
                "unban",
                "set_role",
                "lock",
                "unlock",
                "close",
                "reopen",
                "pin",
                "unpin",
                name="auditaction",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("target_type", TARGET_TYPE, nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["accounts.id"],
            name=op.f("fk_moderation_log_actor_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_log")),
    )
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moderation_log_target", ["target_type", "target_id"], unique=False
        )

    op.create_table(
        "mutes",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("muted_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_mutes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["muted_id"],
            ["accounts.id"],
            name=op.f("fk_mutes_muted_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "muted_id", name=op.f("pk_mutes")),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", TARGET_TYPE, nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "spam",
                "harassment",
                "violence",
                "hate",
                "illegal",
                "off_topic",
                "other",
                "held",
                name="reportreason",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["accounts.id"],
            name=op.f("fk_reports_reporter_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["accounts.id"],
            name=op.f("fk_reports_resolved_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint(
            "target_type", "target_id", "reporter_id", name=op.f("uq_reports_target_type")
        ),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reports_open", ["target_type", "resolved_at", "created_at"], unique=False
        )

    op.create_table(
        "text_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("ip_digest", sa.String(length=64), nullable=True),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_text_fingerprints_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_text_fingerprints_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_fingerprints")),
    )
    with op.batch_alter_table("text_fingerprints", schema=None) as batch_op:
        batch_op.create_index("ix_text_fingerprints_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_text_fingerprints_digest", ["digest", "created_at"], unique=False)

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_pinned", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("is_closed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("is_closed")
        batch_op.drop_column("is_locked")

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("is_pinned")

    with op.batch_alter_table("text_fingerprints", schema=None) as batch_op:
        batch_op.drop_index("ix_text_fingerprints_digest")
        batch_op.drop_index("ix_text_fingerprints_created_at")

    op.drop_table("text_fingerprints")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_open")

    op.drop_table("reports")
    op.drop_table("mutes")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_log_target")

    op.drop_table("moderation_log")
    op.drop_table("hidden_pages")
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.drop_index("ix_bans_account_id")

    op.drop_table("bans")

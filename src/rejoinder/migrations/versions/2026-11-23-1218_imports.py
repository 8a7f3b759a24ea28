"""imports: imported identities, import records, comments.identity_id

Revision ID: 0007
Revises: 0006
Created: 2026-11-23 15:00:00

``comments.identity_id`` is added with a plain ADD COLUMN, never a batch rebuild: rebuilding
``comments`` on SQLite would drop the full-text search triggers of migration 0004. SQLite
accepts a REFERENCES clause on ADD COLUMN (the column is nullable), so the raw statement
carries the foreign key there; PostgreSQL gets a named constraint. Neither has ON DELETE:
SQLite does not report it for a column-level clause, so the models could not be compared.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FK_NAME = "fk_comments_identity_id_imported_identities"

# Copied from migration 0004 (migrations never import each other).
_SQLITE_COMMENT_TRIGGERS = (
    "DROP TRIGGER IF EXISTS fts_comments_ai",
    "DROP TRIGGER IF EXISTS fts_comments_ad",
    "DROP TRIGGER IF EXISTS fts_comments_au",
    """CREATE TRIGGER fts_comments_ai AFTER INSERT ON comments BEGIN
        INSERT INTO fts_comments(rowid, body_text) VALUES (new.id, new.body_text);
    END""",
    """CREATE TRIGGER fts_comments_ad AFTER DELETE ON comments BEGIN
        INSERT INTO fts_comments(fts_comments, rowid, body_text)
        VALUES ('delete', old.id, old.body_text);
    END""",
    """CREATE TRIGGER fts_comments_au AFTER UPDATE OF body_text ON comments BEGIN
        INSERT INTO fts_comments(fts_comments, rowid, body_text)
        VALUES ('delete', old.id, old.body_text);
        INSERT INTO fts_comments(rowid, body_text) VALUES (new.id, new.body_text);
    END""",
)


def upgrade() -> None:
    op.create_table(
        "imported_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_imported_identities_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_identities")),
        sa.UniqueConstraint(
            "source", "external_key", name=op.f("uq_imported_identities_source_key")
        ),
    )
    with op.batch_alter_table("imported_identities", schema=None) as batch_op:
        batch_op.create_index("ix_imported_identities_account_id", ["account_id"], unique=False)

    op.create_table(
        "import_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_import_records_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_records")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_import_records_source_external_id")
        ),
    )
    with op.batch_alter_table("import_records", schema=None) as batch_op:
        batch_op.create_index("ix_import_records_comment_id", ["comment_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE comments ADD COLUMN identity_id INTEGER "
            "REFERENCES imported_identities (id)"
        )
    else:
        op.add_column("comments", sa.Column("identity_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            _FK_NAME,
            "comments",
            "imported_identities",
            ["identity_id"],
            ["id"],
        )
    op.create_index("ix_comments_identity_id", "comments", ["identity_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_comments_identity_id", table_name="comments")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's DROP COLUMN refuses a column with a foreign key: rebuild the table, then
        # restore the search triggers the rebuild dropped (as migration 0004 asks).
        with op.batch_alter_table("comments", schema=None) as batch_op:
            batch_op.drop_column("identity_id")
        for statement in _SQLITE_COMMENT_TRIGGERS:
            op.execute(statement)
    else:
        op.drop_constraint(_FK_NAME, "comments", type_="foreignkey")
        op.drop_column("comments", "identity_id")
    with op.batch_alter_table("import_records", schema=None) as batch_op:
        batch_op.drop_index("ix_import_records_comment_id")
    op.drop_table("import_records")
    with op.batch_alter_table("imported_identities", schema=None) as batch_op:
        batch_op.drop_index("ix_imported_identities_account_id")
    op.drop_table("imported_identities")

"""submissions and search

Shared links (``submissions``) and their votes; the full-text indexes of search.

Search indexes comment text and page titles. On PostgreSQL they are GIN expression indexes on
``to_tsvector('simple', <the text cut into words>)``. On SQLite they are FTS5 external-content
tables (``fts_*``: the index only, the text stays in ``comments``/``pages``) kept in step by
triggers. A migration that makes SQLite rebuild ``comments`` or ``pages`` (batch mode's
copy-and-rename) drops those triggers: a later migration that does so must create
them again (copy ``_SQLITE_TRIGGERS``). The search tests fail if the triggers are missing.

Revision ID: 0004
Revises: 0003
Created: 2026-11-23 11:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Diacritics folded ("café" finds "cafe"); no stemming, to match PostgreSQL's 'simple'.
_TOKENIZE = "unicode61 remove_diacritics 2"

# PostgreSQL's parser drops what looks like markup ("<script>" is a tag, not a word) and keeps
# "example.com" as one token; cutting the text at every non-alphanumeric character first makes
# it see the same words as FTS5's unicode61 tokenizer. search/queries.py repeats this exactly.
_PG_WORDS = "regexp_replace({}, '[^[:alnum:]]+', ' ', 'g')"

_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE fts_comments USING fts5(body_text, content='comments', "
    f"content_rowid='id', tokenize='{_TOKENIZE}')",
    "CREATE VIRTUAL TABLE fts_pages USING fts5(title, content='pages', "
    f"content_rowid='id', tokenize='{_TOKENIZE}')",
)

# An external-content FTS5 index must be told the old text to forget a row ('delete').
_SQLITE_TRIGGERS = (
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
    """CREATE TRIGGER fts_pages_ai AFTER INSERT ON pages BEGIN
        INSERT INTO fts_pages(rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER fts_pages_ad AFTER DELETE ON pages BEGIN
        INSERT INTO fts_pages(fts_pages, rowid, title) VALUES ('delete', old.id, old.title);
    END""",
    """CREATE TRIGGER fts_pages_au AFTER UPDATE OF title ON pages BEGIN
        INSERT INTO fts_pages(fts_pages, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO fts_pages(rowid, title) VALUES (new.id, new.title);
    END""",
)
_SQLITE_TRIGGER_NAMES = (
    "fts_comments_ai",
    "fts_comments_ad",
    "fts_comments_au",
    "fts_pages_ai",
    "fts_pages_ad",
    "fts_pages_au",
)


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("upvotes", sa.Integer(), nullable=False),
        sa.Column("downvotes", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("hot", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_submissions_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name=op.f("fk_submissions_page_id_pages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("page_id", name=op.f("uq_submissions_page_id")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_submissions_active_at", ["active_at", "id"], unique=False)
        batch_op.create_index("ix_submissions_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_submissions_hot", ["hot", "id"], unique=False)
        batch_op.create_index("ix_submissions_points", ["points", "id"], unique=False)

    op.create_table(
        "submission_votes",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_submission_votes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_votes_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", "account_id", name=op.f("pk_submission_votes")),
    )
    with op.batch_alter_table("submission_votes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_votes_account", ["account_id", "submission_id"], unique=False
        )

    if op.get_bind().dialect.name == "sqlite":
        for statement in (*_SQLITE_FTS, *_SQLITE_TRIGGERS):
            op.execute(statement)
        # Index what is already there.
        op.execute("INSERT INTO fts_comments(fts_comments) VALUES ('rebuild')")
        op.execute("INSERT INTO fts_pages(fts_pages) VALUES ('rebuild')")
    else:
        op.execute(
            "CREATE INDEX ix_comments_body_tsv ON comments "
            f"USING gin (to_tsvector('simple'::regconfig, {_PG_WORDS.format('body_text')}))"
        )
        op.execute(
            "CREATE INDEX ix_pages_title_tsv ON pages "
            f"USING gin (to_tsvector('simple'::regconfig, {_PG_WORDS.format('title')}))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # IF EXISTS: another branch's downgrade may have rebuilt the table (and its triggers).
        for name in _SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS fts_comments")
        op.execute("DROP TABLE IF EXISTS fts_pages")
    else:
        op.execute("DROP INDEX IF EXISTS ix_comments_body_tsv")
        op.execute("DROP INDEX IF EXISTS ix_pages_title_tsv")

    with op.batch_alter_table("submission_votes", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_votes_account")
    op.drop_table("submission_votes")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_points")
        batch_op.drop_index("ix_submissions_hot")
        batch_op.drop_index("ix_submissions_created_at")
        batch_op.drop_index("ix_submissions_active_at")
        batch_op.drop_index("ix_submissions_account_id")
    op.drop_table("submissions")

"""page alias lookups covered by an index

Batch counts look up to 200 digests a request and need only each alias's page: with
``page_id`` beside ``digest`` in one index, SQLite reads the index and the page, not also
the alias row (a third random page read per URL on a database larger than its cache).
``CREATE INDEX`` rebuilds no table, so the search triggers of revision 0004 stay.

Revision ID: 0009
Revises: 0008
Created: 2026-11-23 19:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_page_aliases_digest_page_id", "page_aliases", ["digest", "page_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_page_aliases_digest_page_id", table_name="page_aliases")

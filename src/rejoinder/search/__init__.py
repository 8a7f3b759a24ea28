"""Full-text search over comment text and page titles.

The indexes live outside the models (see the ``submissions and search`` migration): SQLite's
FTS5 tables ``fts_comments`` and ``fts_pages`` (plus FTS5's shadow tables), and PostgreSQL's
GIN expression indexes. Alembic cannot compare either with the models, so autogenerate and
the migration test skip the names ``is_search_object`` recognises.
"""

from __future__ import annotations

SEARCH_INDEXES = frozenset({"ix_comments_body_tsv", "ix_pages_title_tsv"})


def is_search_object(name: str | None) -> bool:
    """Whether a table or index name belongs to search's unmapped indexes."""
    return bool(name) and (str(name).startswith("fts_") or name in SEARCH_INDEXES)

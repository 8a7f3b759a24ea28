"""Isso's SQLite database: ``threads`` (uri, title) and ``comments`` (text is Markdown).

Isso stores paths, not addresses (``/2019/hello/``), so ``--site https://blog.example`` is
required to make them URLs. ``mode`` is 1 accepted, 2 pending, 4 deleted; ``likes`` and
``dislikes`` become the vote tallies. The file is opened read-only (``mode=ro`` URI, and
``query_only``), so a hostile database cannot be changed, let alone run anything of ours.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from rejoinder.comments.models import CommentStatus
from rejoinder.comments.render import render_markdown
from rejoinder.comments.threads import controversy
from rejoinder.importers.dates import parse_timestamp
from rejoinder.importers.items import (
    MAX_MESSAGE_CHARS,
    CommentItem,
    ImportFailed,
    Item,
    ItemError,
    Source,
    ThreadItem,
    check_length,
    make_author,
)

_MODES = {1: CommentStatus.VISIBLE, 2: CommentStatus.PENDING, 4: CommentStatus.VISIBLE}
_COLUMNS = {
    "threads": {"id", "uri", "title"},
    "comments": {"tid", "id", "parent", "created", "modified", "mode", "text", "author", "email"},
}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open an Isso database read-only, or raise ``ImportFailed`` saying what it is not."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ImportFailed(f"cannot read the file ({exc.strerror})") from None
    if magic != _SQLITE_MAGIC:
        raise ImportFailed("not an SQLite database (Isso's comments.db is one)")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute("PRAGMA query_only = ON")
        # A crafted schema could declare triggers or views; we only read two plain tables.
        conn.execute("PRAGMA trusted_schema = OFF")
        found = {
            table: {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for table in _COLUMNS
        }
    except sqlite3.DatabaseError as exc:
        raise ImportFailed(f"not a readable SQLite database ({exc})") from None
    for table, columns in _COLUMNS.items():
        missing = columns - found[table]
        if missing:
            conn.close()
            raise ImportFailed(
                f"not an Isso database: table {table!r} lacks {', '.join(sorted(missing))}"
                if found[table]
                else f"not an Isso database: no {table!r} table"
            )
    return conn


def count_comments(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM comments").fetchone()[0])


def parse(
    path: Path, site: str | None, progress: Callable[[int], None] | None = None
) -> Iterator[Item]:
    if not site or urlsplit(site).scheme not in {"http", "https"}:
        raise ImportFailed("Isso stores paths only: give the site's address with --site URL")
    base = site.rstrip("/") + "/"
    conn = open_readonly(path)
    try:
        yield Source(f"isso:{urlsplit(site).hostname}")
        try:
            yield from _rows(conn, base, progress)
        except sqlite3.DatabaseError as exc:
            raise ImportFailed(f"the Isso database is damaged ({exc})") from None
    finally:
        conn.close()


def _rows(
    conn: sqlite3.Connection, base: str, progress: Callable[[int], None] | None
) -> Iterator[Item]:
    for tid, uri, title in conn.execute("SELECT id, uri, title FROM threads ORDER BY id"):
        where = f"threads row {tid}"
        if not isinstance(uri, str) or not uri.strip():
            yield ItemError("a thread without a uri", where, thread_id=str(tid))
            continue
        clean_title = " ".join(str(title).split())[:500] if title else None
        yield ThreadItem(str(tid), urljoin(base, uri.strip()[:8192]), clean_title, where)
    query = (
        # substr: a hostile row with a gigabyte of text is cut (and refused) in SQLite.
        "SELECT id, tid, parent, created, modified, mode, substr(text, 1, ?), "
        "substr(author, 1, 200), substr(email, 1, 320), likes, dislikes FROM comments "
        "ORDER BY id"
    )
    for row in conn.execute(query, (MAX_MESSAGE_CHARS + 1,)):
        if progress is not None:
            progress(1)
        yield _comment(*row)


def _comment(
    cid: object,
    tid: object,
    parent: object,
    created: object,
    modified: object,
    mode: object,
    text: object,
    author: object,
    email: object,
    likes: object,
    dislikes: object,
) -> Item:
    where = f"comments row {cid}"
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if mode not in _MODES:
        return ItemError(f"unknown mode {mode!r}", where, str(cid), str(tid), _opt(parent))
    rendered = render_markdown(check_length(text, where))
    up = likes if isinstance(likes, int) and likes > 0 else 0
    down = dislikes if isinstance(dislikes, int) and dislikes > 0 else 0
    return CommentItem(
        external_id=str(cid),
        thread_id=str(tid),
        parent_id=_opt(parent),
        author=make_author(
            author if isinstance(author, str) else None,
            email=email if isinstance(email, str) else None,
        ),
        body_src=text,
        body_html=rendered.html,
        body_text=rendered.text,
        created_at=parse_timestamp(created, where),
        edited_at=parse_timestamp(modified, where) if modified is not None else None,
        where=where,
        status=_MODES[mode],
        deleted=mode == 4,
        upvotes=up,
        downvotes=down,
        score=up - down,
        controversy=controversy(up, down),
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)

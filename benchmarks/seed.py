"""Seed a migrated Rejoinder database with benchmark data by bulk SQL, not through the API.

Rows go straight into the project's own tables (the schema ``rejoinder migrate`` made):
``executemany`` on SQLite, ``COPY`` (asyncpg's ``copy_records_to_table``) on PostgreSQL,
so 1,000,000 comments take minutes. Triggers and indexes stay in place (SQLite's FTS5
triggers and PostgreSQL's search indexes index the rows as they would in production).
Required columns are checked against the live schema first, so a new NOT NULL column
without a default fails here with its name instead of halfway through a million rows.

What is seeded (URLs are the module constants below):
- one account (``bench``) with an API token, and 1,000 authors;
- pages with 20, 200 and 2,000 comments: a quarter top-level, each with a chain of three
  replies (depths 1-3), like ``thread_read.py``;
- optionally the bulk set: ``--bulk-pages`` pages with ``--bulk-comments`` comments spread
  evenly, nested the same way;
- 100 empty pages for the write benchmark and one for the SSE benchmark.

    .venv/bin/python benchmarks/seed.py --database-url sqlite:////tmp/x/rejoinder.db --bulk
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import common  # noqa: F401 - applies BENCH_SRC before rejoinder is imported

from rejoinder.accounts.tokens import token_digest
from rejoinder.comments.render import render_markdown
from rejoinder.pages.service import resolve

SIZES = (20, 200, 2000)
BULK_PAGES = 100_000
BULK_COMMENTS = 1_000_000
WRITE_PAGES = 100
TOKEN = "bench-token-7d3f0a9c1e5b4f2a8c6d0e1f2a3b4c5d"
AUTHORS = 1000
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sized_url(size: int) -> str:
    return f"https://bench.example/threads/{size}-comments"


def bulk_url(number: int) -> str:
    """Bulk pages are numbered from 1; the wrk scripts build the same URLs."""
    return f"https://bulk.example/articles/{number}"


def write_url(number: int) -> str:
    return f"https://bench.example/writes/{number}"


LIVE_URL = "https://bench.example/live"

# A few dozen bodies rendered once: rendering a million bodies would dominate the seeding.
_TEMPLATES = [
    f"Comment template {n}: I *mostly* agree, but the [source](https://example.org/{n}) "
    "says otherwise.\n\n> quoted text from the article\n\nSecond paragraph with `code`."
    for n in range(40)
]
_RENDERED = [(src, render_markdown(src)) for src in _TEMPLATES]


class Sink:
    """Where rows go: the column rules of the live schema plus a bulk insert."""

    dialect: str

    async def required(self, table: str) -> set[str]:
        """NOT NULL columns without a default: every insert must give them."""
        raise NotImplementedError

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def max_id(self, table: str) -> int:
        raise NotImplementedError

    async def finish(self) -> None:
        raise NotImplementedError

    def time(self, value: datetime) -> Any:
        return value

    def flag(self, value: bool) -> Any:
        return value

    async def check(self, table: str, columns: Sequence[str]) -> None:
        missing = await self.required(table) - set(columns)
        if missing:
            raise SystemExit(f"seed.py does not fill {table}.{', '.join(sorted(missing))}")


class SqliteSink(Sink):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)
        # Seeding only: a crash means seeding again, so skip the fsyncs.
        self.conn.execute("PRAGMA synchronous=OFF")

    async def required(self, table: str) -> set[str]:
        info = self.conn.execute(f"PRAGMA table_info({table})").fetchall()
        # cid, name, type, notnull, dflt_value, pk; an INTEGER PRIMARY KEY fills itself.
        return {row[1] for row in info if row[3] and row[4] is None and not row[5]}

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    async def max_id(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])

    async def finish(self) -> None:
        self.conn.commit()
        self.conn.close()

    def time(self, value: datetime) -> Any:
        # SQLAlchemy's SQLite DateTime storage format, naive UTC (see db/base.py UTCDateTime).
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def flag(self, value: bool) -> Any:
        return int(value)


class PostgresSink(Sink):
    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.tables: set[str] = set()

    async def required(self, table: str) -> set[str]:
        rows = await self.conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
            "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
            table,
        )
        return {row[0] for row in rows} - {"id"}

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self.tables.add(table)
        await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def max_id(self, table: str) -> int:
        return int(await self.conn.fetchval(f"SELECT coalesce(max(id), 0) FROM {table}"))

    async def finish(self) -> None:
        # Explicit ids bypass the sequences: move them past the seeded rows.
        for table in sorted(self.tables):
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        # VACUUM as well: a million freshly copied rows would otherwise bring autovacuum
        # (insert threshold, PostgreSQL 13+) in while the first loads run, sharing their
        # 2 cores; a production database is in the vacuumed state.
        await self.conn.execute("VACUUM (ANALYZE)")
        await self.conn.close()


PAGE_COLUMNS = (
    "id",
    "key",
    "url",
    "title",
    "comment_count",
    "created_at",
    "last_comment_at",
    "thread_version",
    "is_locked",
    "is_closed",
)
ALIAS_COLUMNS = ("id", "page_id", "key", "digest", "created_at")
COMMENT_COLUMNS = (
    "id",
    "page_id",
    "parent_id",
    "root_id",
    "depth",
    "author_id",
    "body_src",
    "body_html",
    "body_text",
    "status",
    "nsfw",
    "is_pinned",
    "upvotes",
    "downvotes",
    "score",
    "controversy",
    "created_at",
)


class Seeder:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.next_page = 0
        self.next_comment = 0
        self.authors: list[int] = []

    async def start(self) -> None:
        for table, columns in (
            ("pages", PAGE_COLUMNS),
            ("page_aliases", ALIAS_COLUMNS),
            ("comments", COMMENT_COLUMNS),
        ):
            await self.sink.check(table, columns)
        self.next_page = await self.sink.max_id("pages") + 1
        self.next_comment = await self.sink.max_id("comments") + 1
        await self.sink.check("accounts", ("id", "username", "username_key", "role", "created_at"))
        first = await self.sink.max_id("accounts") + 1
        self.authors = list(range(first, first + AUTHORS + 1))
        when = self.sink.time(T0)
        await self.sink.insert(
            "accounts",
            ("id", "username", "username_key", "role", "created_at"),
            [
                (n, name, name, "user", when)
                for n, name in zip(
                    self.authors,
                    ["bench", *(f"author{k}" for k in range(AUTHORS))],
                    strict=True,
                )
            ],
        )
        await self.sink.insert(
            "api_tokens",
            ("account_id", "digest", "kind", "label", "created_at"),
            [(self.authors[0], token_digest(TOKEN), "api", "benchmark", when)],
        )

    def _comments(
        self, page_id: int, count: int, start: datetime, bodies: Iterator[tuple[str, Any]]
    ) -> Iterator[tuple[Any, ...]]:
        """A quarter top-level, each followed by a chain of three replies."""
        root = parent = 0
        for n in range(count):
            comment_id = self.next_comment
            self.next_comment += 1
            depth = n % 4
            if depth == 0:
                root = parent = comment_id
            src, rendered = next(bodies)
            score = (comment_id * 7) % 11 - 3
            yield (
                comment_id,
                page_id,
                None if depth == 0 else parent,
                None if depth == 0 else root,
                depth,
                self.authors[1 + comment_id % AUTHORS],
                src,
                rendered.html,
                rendered.text,
                "visible",
                self.sink.flag(False),
                self.sink.flag(False),
                max(score, 0),
                max(-score, 0),
                score,
                0.0,
                self.sink.time(start + timedelta(seconds=n)),
            )
            parent = comment_id

    async def pages(self, urls: Iterable[str], sizes: Iterable[int], unique_bodies: bool) -> None:
        """Insert one page (with its alias and comments) per URL, in chunks."""
        templates = itertools.cycle(_RENDERED)
        pairs = iter(zip(urls, sizes, strict=True))
        while chunk := list(itertools.islice(pairs, 5000)):
            pages, aliases, comments = [], [], []
            for url, size in chunk:
                ref = resolve(url)
                page_id = self.next_page
                self.next_page += 1
                created = T0 + timedelta(minutes=page_id % 100_000)
                last = created + timedelta(seconds=size) if size else None
                pages.append(
                    (
                        page_id,
                        ref.key,
                        ref.url,
                        f"Article {page_id}",
                        size,
                        self.sink.time(created),
                        self.sink.time(last) if last else None,
                        size,
                        self.sink.flag(False),
                        self.sink.flag(False),
                    )
                )
                aliases.append((page_id, page_id, ref.key, ref.digest, self.sink.time(created)))
                bodies: Iterator[tuple[str, Any]] = templates
                if unique_bodies:
                    bodies = (
                        (src, render_markdown(src))
                        for src in (
                            f"Comment {k} on *{size}*: see [this](https://example.org/{k})."
                            for k in itertools.count()
                        )
                    )
                comments.extend(self._comments(page_id, size, created, bodies))
            await self.sink.insert("pages", PAGE_COLUMNS, pages)
            await self.sink.insert("page_aliases", ALIAS_COLUMNS, aliases)
            for start in range(0, len(comments), 50_000):
                await self.sink.insert(
                    "comments", COMMENT_COLUMNS, comments[start : start + 50_000]
                )


async def seed(database_url: str, bulk_pages: int, bulk_comments: int) -> dict[str, float]:
    """Seed and return timings in seconds."""
    if database_url.startswith("sqlite"):
        sink: Sink = SqliteSink(database_url.split("///", 1)[1])
    else:
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        sink = PostgresSink(await asyncpg.connect(dsn))
    seeder = Seeder(sink)
    timings = {}
    started = time.monotonic()
    await seeder.start()
    await seeder.pages([sized_url(n) for n in SIZES], SIZES, unique_bodies=True)
    await seeder.pages([write_url(n) for n in range(WRITE_PAGES)], [0] * WRITE_PAGES, False)
    await seeder.pages([LIVE_URL], [0], unique_bodies=False)
    timings["sized"] = time.monotonic() - started
    if bulk_pages:
        started = time.monotonic()
        per_page, extra = divmod(bulk_comments, bulk_pages)
        sizes = (per_page + (n < extra) for n in range(bulk_pages))
        await seeder.pages((bulk_url(n + 1) for n in range(bulk_pages)), sizes, False)
        timings["bulk"] = time.monotonic() - started
    started = time.monotonic()
    await sink.finish()
    timings["finish"] = time.monotonic() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--bulk", action="store_true", help="also the bulk set")
    parser.add_argument("--bulk-pages", type=int, default=BULK_PAGES)
    parser.add_argument("--bulk-comments", type=int, default=BULK_COMMENTS)
    args = parser.parse_args()
    pages = args.bulk_pages if args.bulk else 0
    timings = asyncio.run(seed(args.database_url, pages, args.bulk_comments))
    print(", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))


if __name__ == "__main__":
    main()

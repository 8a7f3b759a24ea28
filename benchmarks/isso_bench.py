"""Isso on the same machine, for ratios: the equivalent threads, counts and writes.

Isso 0.14 comes from PyPI in a throwaway virtualenv (``/tmp/isso-venv``, see README.md) and
runs under gunicorn (its documented deployment, sync workers) with the same worker count,
bound to 127.0.0.1 only. Its config is written at run time into the run's temp dir: its own
SQLite file there, moderation, guard (rate limits) and admin off. Its schema is made by
starting it once; the data goes straight into its SQLite file: the same thread sizes and
bulk set as seed.py (Isso nests one level, so replies hang off their top-level comment).
Isso renders Markdown on every read; Rejoinder renders once, at write time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import sqlite3
import subprocess
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

import seed
from clients import json_id, post_for, write_latencies
from common import Result, free_port, process_group, rss_mb

if TYPE_CHECKING:
    from run import Suite

ISSO_VENV = Path(os.environ.get("BENCH_ISSO_VENV", "/tmp/isso-venv"))
CONFIG = """[general]
dbpath = {db}
host = http://127.0.0.1:{port}
notify = stdout
[admin]
enabled = false
[moderation]
enabled = false
[guard]
enabled = false
[server]
listen = http://127.0.0.1:{port}
"""


def sized_uri(size: int) -> str:
    return f"/threads/{size}-comments"


def write_uri(number: int) -> str:
    return f"/writes/{number}"


def seed_isso(db: Path, bulk_pages: int, bulk_comments: int) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    texts = itertools.cycle(seed._TEMPLATES)
    thread_id = comment_id = 0
    created = 1_767_225_600.0  # 2026-01-01

    def pages(uris: list[str], sizes: list[int]) -> None:
        nonlocal thread_id, comment_id
        threads, comments = [], []
        for uri, size in zip(uris, sizes, strict=True):
            thread_id += 1
            threads.append((thread_id, uri, f"Article {thread_id}"))
            root = 0
            for n in range(size):
                comment_id += 1
                root = comment_id if n % 4 == 0 else root
                parent = None if n % 4 == 0 else root
                comments.append(
                    (
                        thread_id,
                        comment_id,
                        parent,
                        created + n,
                        1,
                        "127.0.0.0",
                        next(texts),
                        f"author{comment_id % 1000}",
                        bytes(256),
                    )
                )
        conn.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)", threads)
        conn.executemany(
            "INSERT INTO comments (tid, id, parent, created, mode, remote_addr, text, author, "
            "voters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            comments,
        )

    pages([sized_uri(n) for n in seed.SIZES], list(seed.SIZES))
    pages([write_uri(n) for n in range(seed.WRITE_PAGES)], [0] * seed.WRITE_PAGES)
    per_page, extra = divmod(bulk_comments, bulk_pages) if bulk_pages else (0, 0)
    for start in range(0, bulk_pages, 10_000):
        numbers = range(start + 1, min(start + 10_000, bulk_pages) + 1)
        pages([f"/articles/{n}" for n in numbers], [per_page + (n <= extra) for n in numbers])
    conn.commit()
    conn.close()


def check_writes(db: Path, acknowledged: dict[int, str]) -> int:
    conn = sqlite3.connect(db)
    ids = list(acknowledged)
    stored: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stored.update(
            conn.execute(
                f"SELECT id, text FROM comments WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
        )
    conn.close()
    return sum(stored.get(i) != text for i, text in acknowledged.items())


def run(suite: Suite, worker_counts: list[int]) -> None:
    gunicorn = ISSO_VENV / "bin" / "gunicorn"
    if not gunicorn.exists():
        suite.notes.append(f"Isso not measured: {gunicorn} is missing (see README.md).")
        return
    home = suite.workdir / "isso"
    home.mkdir()
    db = home / "comments.db"
    port = free_port()
    config = home / "isso.cfg"
    config.write_text(CONFIG.format(db=db, port=port))
    env = {**os.environ, "ISSO_SETTINGS": str(config)}

    def argv(workers: int) -> list[str]:
        return [
            str(gunicorn),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--preload",
            "isso.run:application",
        ]

    with process_group(argv(1), env, port, "/info", home / "schema.log"):
        pass  # Isso creates its tables on start
    seed_isso(db, suite.args.bulk_pages, suite.args.bulk_comments)
    base = f"http://127.0.0.1:{port}"

    # A fresh Isso per scenario: sync workers keep serving requests that wrk already gave up
    # on (the slow 2,000-comment reads), which would otherwise eat the next scenario's time.
    def started(
        workers: int, name: str
    ) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
        return process_group(argv(workers), env, port, "/info", home / f"isso-{workers}-{name}.log")

    headers = {"Content-Type": "application/json"}
    for workers in worker_counts:
        served = functools.partial(started, workers)

        for size in seed.SIZES:
            path = "/?uri=" + urllib.parse.quote(sized_uri(size), safe="")
            with served(f"thread-{size}") as srv:
                suite.read(
                    f"thread read, {size} comments",
                    base,
                    "SQLite",
                    workers,
                    srv.pid,
                    path,
                    server="Isso",
                )
        if suite.args.bulk_pages:
            with served("random") as srv:
                suite.read(
                    "thread read, random bulk page",
                    base,
                    "SQLite",
                    workers,
                    srv.pid,
                    "/",
                    "random_thread.lua",
                    "isso",
                    "Isso",
                )
            with served("counts") as srv:
                suite.read(
                    "counts, 50 random URLs",
                    base,
                    "SQLite",
                    workers,
                    srv.pid,
                    "/",
                    "counts.lua",
                    "isso",
                    "Isso",
                )
        with served("writes") as srv:
            result = asyncio.run(
                post_for(
                    port,
                    lambda text, n: (
                        "POST",
                        f"/new?uri={urllib.parse.quote(write_uri(n % seed.WRITE_PAGES))}",
                        json.dumps({"text": text, "author": "bench"}).encode(),
                        headers,
                    ),
                    json_id,
                    suite.args.write_connections,
                    suite.args.duration,
                )
            )
            rss = rss_mb(srv.pid)
        missing = check_writes(db, result.acknowledged)
        p50, p99 = write_latencies(result)
        suite.add(
            Result(
                "comment posting",
                "Isso",
                "SQLite",
                workers,
                suite.args.write_connections,
                len(result.acknowledged) / result.seconds,
                p50,
                p99,
                result.errors,
                rss,
                f"{len(result.acknowledged)} acked; {missing} missing or wrong in DB; "
                f"{result.bad_acks} acks without their body; {result.duplicate_ids} duplicate ids",
            )
        )

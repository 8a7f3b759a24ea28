"""Issue 8's memory targets, measured on demand: worker RSS, SSE subscriber cost, imports.

    .venv/bin/python benchmarks/memory.py worker [--bulk-pages 100000 --bulk-comments 1000000]
    .venv/bin/python benchmarks/memory.py sse [--streams 2000]
    .venv/bin/python benchmarks/memory.py import [--megabytes 100]
    .venv/bin/python benchmarks/memory.py all

``worker``: one ``rejoinder serve`` worker on a seeded SQLite database (or PostgreSQL with
``--database-url``), RSS after start, after warming, then after each load of ``run.py``
(thread reads of the 20/200/2,000-comment pages, random bulk pages, 50-URL counts,
acknowledged writes), with the split of ``/proc/<pid>/smaps_rollup``: anonymous memory is
the process's own, file-backed memory is mapped code and data (``mmap`` of the database
would show here). Target: under 150 MB after the last load. A 10 s load does not fill the
thread cache (``thread_cache_bytes``); ``--random-seconds 60`` does.

``sse``: RSS of one worker before and after ``--streams`` idle subscribers open, divided by
their number. Target: under 20 KB each. ``import``: ``import_memory.py`` for each XML format.
Target: under 300 MB peak for a 100 MB export.

``--data-dir DIR`` keeps the seeded SQLite database in DIR and reuses it on the next run
(seeding the full bulk set takes minutes); without it a temporary directory is used and
deleted. Every load is bounded in time, as in ``run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import import_memory
import seed
from clients import json_id, post_for
from common import HERE, VENV_BIN, free_port, process_group, rejoinder_env, worker_pids, wrk

AUTH = {"Authorization": f"Bearer {seed.TOKEN}", "Content-Type": "application/json"}
WORKER_TARGET_MB = 150
SUBSCRIBER_TARGET_KB = 20
IMPORT_TARGET_MB = 300


def thread_path(url: str) -> str:
    return "/api/v1/threads?url=" + urllib.parse.quote(url, safe="")


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and its anonymous / file-backed split (``smaps_rollup``), in MiB."""
    fields: dict[str, float] = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if len(parts) == 2 and parts[1] == "kB":  # "<value> kB"
                fields[key] = int(parts[0]) / 1024
    return {
        "rss": fields["VmRSS"],
        "anon": fields.get("Anonymous", fields.get("RssAnon", 0.0)),
        "file": fields.get("RssFile", 0.0),
        "hwm": fields["VmHWM"],
    }


class Server:
    """One ``rejoinder serve --workers 1`` process and its measurements."""

    def __init__(self, port: int, pid: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.pid = worker_pids(pid)[0]
        self.rows: list[tuple[str, dict[str, float], str]] = []

    def record(self, label: str, note: str = "") -> dict[str, float]:
        sizes = memory_mb(self.pid)
        self.rows.append((label, sizes, note))
        print(
            f"| {label} | {sizes['rss']:.0f} | {sizes['anon']:.0f} | {sizes['file']:.0f} "
            f"| {sizes['hwm']:.0f} | {note} |",
            flush=True,
        )
        return sizes


@contextmanager
def serve(data_dir: Path, database_url: str, workdir: Path) -> Iterator[Server]:
    port = free_port()
    env = rejoinder_env(data_dir, port, database_url)
    argv = [str(VENV_BIN / "rejoinder"), "serve", "--port", str(port), "--workers", "1"]
    log = workdir / "rejoinder-memory.log"
    print("| moment | RSS MiB | anonymous | file-backed | peak RSS | notes |\n" + "|---" * 6 + "|")
    with process_group(argv, env, port, "/api/v1/counts/by-prefix/0000", log) as process:
        yield Server(port, process.pid)


def prepare(args: argparse.Namespace, workdir: Path, *, bulk: bool) -> tuple[Path, str]:
    """A migrated and seeded database: (data dir, database URL; empty for SQLite)."""
    if args.database_url:
        data_dir = workdir / "pg"
        data_dir.mkdir(exist_ok=True)
        env = rejoinder_env(data_dir, 8000, args.database_url)
        subprocess.run([str(VENV_BIN / "rejoinder"), "migrate"], env=env, check=True)
        if not args.seeded:
            seed_db(args.database_url, args, bulk=bulk)
        return data_dir, args.database_url
    data_dir = args.data_dir or workdir / "sqlite"
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "rejoinder.db"
    marker = data_dir / "seeded.json"
    wanted = {"bulk_pages": args.bulk_pages, "bulk_comments": args.bulk_comments}
    if not bulk:
        wanted = {"bulk_pages": 0, "bulk_comments": 0}
    if marker.exists() and (not bulk or json.loads(marker.read_text()) == wanted):
        return data_dir, ""  # the SSE measurement can use any seeded database
    for stale in data_dir.glob("rejoinder.db*"):
        stale.unlink()
    env = rejoinder_env(data_dir, 8000)
    subprocess.run(
        [str(VENV_BIN / "rejoinder"), "migrate"], env=env, check=True, capture_output=True
    )
    seed_db(f"sqlite:///{database}", args, bulk=bulk)
    marker.write_text(json.dumps(wanted))
    return data_dir, ""


def seed_db(url: str, args: argparse.Namespace, *, bulk: bool) -> None:
    started = time.monotonic()
    pages, comments = (args.bulk_pages, args.bulk_comments) if bulk else (0, 0)
    asyncio.run(seed.seed(url, pages, comments))
    print(
        f"seeded {pages:,} bulk pages, {comments:,} comments in {time.monotonic() - started:.0f} s"
    )


def worker(args: argparse.Namespace, workdir: Path) -> float:
    """The worker's RSS after the read, random-page, count and write loads."""
    data_dir, database_url = prepare(args, workdir, bulk=True)
    with serve(data_dir, database_url, workdir) as server:
        server.record("started")
        wrk(server.base + thread_path(seed.sized_url(20)), 4, 2)
        server.record("warmed (2 s of 20-comment reads)")
        for size in seed.SIZES:
            out = wrk(
                server.base + thread_path(seed.sized_url(size)), args.connections, args.duration
            )
            server.record(f"after {size}-comment reads", f"{out['rps']:.0f} req/s")
        env = {"BENCH_PAGES": str(args.bulk_pages), "BENCH_TARGET": "rejoinder"}
        for label, script, seconds in (
            ("random bulk pages", "random_thread.lua", args.random_seconds or args.duration),
            ("50-URL counts", "counts.lua", args.duration),
        ):
            out = wrk(server.base + "/", args.connections, seconds, HERE / "wrk" / script, env)
            server.record(f"after {label}", f"{out['rps']:.0f} req/s")
        writes = asyncio.run(
            post_for(
                server.port,
                lambda text, n: (
                    "POST",
                    "/api/v1/comments",
                    json.dumps(
                        {"url": seed.write_url(n % seed.WRITE_PAGES), "body": text}
                    ).encode(),
                    AUTH,
                ),
                json_id,
                args.write_connections,
                args.duration,
            )
        )
        last = server.record(
            "after writes", f"{len(writes.acknowledged) / writes.seconds:.0f} writes/s"
        )
    verdict = "met" if last["rss"] < WORKER_TARGET_MB else "MISSED"
    print(
        f"\nworker RSS after the loads: {last['rss']:.0f} MiB "
        f"(target < {WORKER_TARGET_MB}: {verdict})"
    )
    return last["rss"]


async def hold_streams(port: int, path: str, count: int) -> list[asyncio.StreamWriter]:
    """Open ``count`` SSE streams and keep them open (idle: nothing is posted)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    writers: list[asyncio.StreamWriter] = []
    gate = asyncio.Semaphore(100)  # at most 100 handshakes in flight: the listen backlog

    async def subscribe() -> None:
        async with gate:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request.encode())
                await asyncio.wait_for(reader.readuntil(b"retry: 3000\n\n"), 30)
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                return
            writers.append(writer)

    await asyncio.gather(*(subscribe() for _ in range(count)))
    return writers


def sse(args: argparse.Namespace, workdir: Path) -> float:
    """KiB of worker RSS per idle subscriber."""
    data_dir, database_url = prepare(args, workdir, bulk=False)
    path = "/api/v1/stream?url=" + urllib.parse.quote(seed.LIVE_URL, safe="")

    async def measure(server: Server) -> float:
        # A first round opens and closes streams so one-off costs (imports, pools, code paths
        # run once) are paid before the baseline; the second round is the one measured.
        for writer in await hold_streams(server.port, path, min(100, args.streams)):
            writer.close()
        await asyncio.sleep(2)
        before = server.record("before the streams (after a warm-up round of 100)")
        started = time.monotonic()
        writers = await hold_streams(server.port, path, args.streams)
        opened = len(writers)
        await asyncio.sleep(3)
        after = server.record(
            f"{opened} idle streams open",
            f"opened in {time.monotonic() - started - 3:.1f} s",
        )
        for writer in writers:
            writer.close()
        await asyncio.sleep(3)
        server.record("streams closed")
        return (after["rss"] - before["rss"]) * 1024 / max(opened, 1)

    with serve(data_dir, database_url, workdir) as server:
        wrk(server.base + thread_path(seed.sized_url(20)), 4, 2)
        per_stream = asyncio.run(measure(server))
    verdict = "met" if per_stream < SUBSCRIBER_TARGET_KB else "MISSED"
    print(
        f"\nper idle subscriber: {per_stream:.1f} KiB (target < {SUBSCRIBER_TARGET_KB}: {verdict})"
    )
    return per_stream


def imports(args: argparse.Namespace) -> float:
    peaks = []
    for fmt in import_memory.WRITERS:
        run = import_memory.measure(fmt, args.megabytes)
        print(run.line(), flush=True)
        peaks.append(run.peak_mb)
    verdict = "met" if max(peaks) < IMPORT_TARGET_MB else "MISSED"
    print(f"\nlargest import peak: {max(peaks):.0f} MiB (target < {IMPORT_TARGET_MB}: {verdict})")
    return max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["worker", "sse", "import", "all"])
    parser.add_argument("--bulk-pages", type=int, default=seed.BULK_PAGES)
    parser.add_argument("--bulk-comments", type=int, default=seed.BULK_COMMENTS)
    parser.add_argument("--data-dir", type=Path, help="keep (and reuse) the SQLite database here")
    parser.add_argument("--database-url", default="", help="PostgreSQL instead of SQLite")
    parser.add_argument("--seeded", action="store_true", help="the PostgreSQL database is seeded")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--write-connections", type=int, default=16)
    parser.add_argument(
        "--random-seconds",
        type=int,
        default=0,
        help="random bulk-page reads for this long (default --duration); 60 fills the cache",
    )
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--megabytes", type=int, default=100, help="size of each import")
    args = parser.parse_args()

    # Each stream is a socket here and one in the server.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    workdir = Path(tempfile.mkdtemp(prefix="rejoinder-memory-", dir="/tmp"))
    try:
        if args.what in {"worker", "all"}:
            worker(args, workdir)
        if args.what in {"sse", "all"}:
            sse(args, workdir)
        if args.what in {"import", "all"}:
            imports(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

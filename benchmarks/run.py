"""The benchmark suite: seed, serve, load, measure; prints one markdown table.

For each database (SQLite in a temp dir under /tmp; PostgreSQL in a database of its own,
dropped afterwards) the schema comes from ``rejoinder migrate`` and the data from
``seed.py``; then for each worker count ``rejoinder serve --workers N`` runs on 127.0.0.1
and is measured: thread reads of the 20/200/2,000-comment pages and of random bulk pages,
50-URL counts (wrk, 32 connections), acknowledged writes (checked in the database
afterwards), SSE fan-out, and worker RSS after each. Then the ceiling (``ceiling.py``) and
Isso (``isso_bench.py``) with the same worker counts.

    .venv/bin/python benchmarks/run.py                      # the whole default suite
    .venv/bin/python benchmarks/run.py --configs sqlite-1 --bulk-pages 1000 --no-isso
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import asyncpg
import isso_bench
import profiling
import redis
import seed
from clients import Fanout, json_id, post_for, sse_fanout, write_latencies
from common import (
    HERE,
    VENV_BIN,
    HttpConnection,
    Result,
    free_port,
    process_group,
    rejoinder_env,
    rss_mb,
    save,
    scratch_postgres,
    wrk,
)

CONFIGS = {
    "sqlite-1": ("sqlite", 1),
    "sqlite-2": ("sqlite", 2),
    "pg-2": ("pg", 2),
    "pg-4": ("pg", 4),
}
SCENARIOS = ("reads", "writes", "sse")
AUTH = {"Authorization": f"Bearer {seed.TOKEN}", "Content-Type": "application/json"}


def thread_path(url: str) -> str:
    return "/api/v1/threads?url=" + urllib.parse.quote(url, safe="")


def serve_command(
    db: str, workers: int, database_url: str, data_dir: Path
) -> tuple[int, dict[str, str], list[str]]:
    """(port, environment, argv) of `rejoinder serve` for one configuration; PostgreSQL runs
    get Redis under a prefix of their own."""
    port = free_port()
    redis_prefix = f"rejoinder-bench-{uuid.uuid4().hex[:8]}:" if db == "pg" else ""
    env = rejoinder_env(data_dir, port, database_url, redis_prefix)
    argv = [str(VENV_BIN / "rejoinder"), "serve", "--port", str(port), "--workers", str(workers)]
    return port, env, argv


def ceiling_command(port: int, workers: int) -> list[str]:
    """argv of the ceiling app (ceiling.py) under uvicorn, as `rejoinder serve` runs."""
    return [
        str(VENV_BIN / "uvicorn"),
        "ceiling:app",
        "--app-dir",
        str(HERE),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-server-header",
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "5",
    ]


class Suite:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.results: list[Result] = []
        self.notes: list[str] = []
        self.profiled = False
        self.profiles: dict[str, str] = {}

    def add(self, result: Result) -> None:
        self.results.append(result)
        print(result.row(), flush=True)

    def read(
        self,
        name: str,
        base: str,
        db: str,
        workers: int,
        master: int,
        path: str,
        script: str | None = None,
        target: str = "rejoinder",
        server: str = "rejoinder",
    ) -> None:
        env = {"BENCH_PAGES": str(self.args.bulk_pages), "BENCH_TARGET": target}
        out = wrk(
            base + path,
            self.args.connections,
            self.args.duration,
            HERE / "wrk" / script if script else None,
            env,
        )
        self.add(
            Result(
                name,
                server,
                db,
                workers,
                self.args.connections,
                out["rps"],
                out["p50_ms"],
                out["p99_ms"],
                int(out["errors"]),
                rss_mb(master),
            )
        )

    # --- Rejoinder ---------------------------------------------------------------------

    async def writes(self, port: int, db: str, workers: int, master: int, url: str) -> None:
        body_of = lambda text, n: json.dumps(  # noqa: E731
            {"url": seed.write_url(n % seed.WRITE_PAGES), "body": text}
        ).encode()
        result = await post_for(
            port,
            lambda text, n: ("POST", "/api/v1/comments", body_of(text, n), AUTH),
            json_id,
            self.args.write_connections,
            self.args.duration,
        )
        missing = await check_rejoinder_writes(url, result.acknowledged)
        p50, p99 = write_latencies(result)
        self.add(
            Result(
                "comment posting",
                "rejoinder",
                db,
                workers,
                self.args.write_connections,
                len(result.acknowledged) / result.seconds,
                p50,
                p99,
                result.errors,
                rss_mb(master),
                f"{len(result.acknowledged)} acked; {missing} missing or wrong in DB; "
                f"{result.bad_acks} acks without their body; {result.duplicate_ids} duplicate ids",
            )
        )

    async def fanout(
        self, port: int, db: str, workers: int, master: int, subscribers: int
    ) -> Fanout:
        async def post() -> None:
            conn = await HttpConnection.open(port)
            try:
                body = json.dumps({"url": seed.LIVE_URL, "body": f"Live {uuid.uuid4().hex}"})
                status, answer = await conn.request("POST", "/api/v1/comments", body.encode(), AUTH)
                if status != 201:
                    raise RuntimeError(f"live post failed: {status} {answer[:200]!r}")
            finally:
                await conn.close()

        path = "/api/v1/stream?url=" + urllib.parse.quote(seed.LIVE_URL, safe="")
        result = await sse_fanout(port, path, subscribers, post)
        self.add(
            Result(
                f"SSE fan-out, {subscribers} subscribers",
                "rejoinder",
                db,
                workers,
                subscribers,
                float("nan"),
                result.p50_ms,
                result.p99_ms,
                subscribers - result.received,
                rss_mb(master),
                f"{result.opened} opened in {result.open_seconds:.1f} s; {result.received} got the "
                f"comment, last after {result.deliver_seconds * 1000:.0f} ms",
            )
        )
        return result

    def rejoinder(self, db: str, workers: int, database_url: str, data_dir: Path) -> None:
        port, env, argv = serve_command(db, workers, database_url, data_dir)
        label = "PostgreSQL + Redis" if db == "pg" else "SQLite"
        url = database_url or f"sqlite:///{data_dir / 'rejoinder.db'}"
        log = self.workdir / f"rejoinder-{db}-{workers}.log"
        try:
            with process_group(argv, env, port, "/api/v1/counts/by-prefix/0000", log) as server:
                base = f"http://127.0.0.1:{port}"
                master = server.pid
                # Warm every worker's pool and caches before measuring.
                wrk(base + thread_path(seed.sized_url(20)), workers * 4, 2)
                if "reads" in self.args.scenarios:
                    self.reads(base, label, workers, master)
                if "writes" in self.args.scenarios:
                    asyncio.run(self.writes(port, label, workers, master, url))
                if "sse" in self.args.scenarios and db == "sqlite" and workers > 1:
                    self.notes.append(
                        f"SSE not measured on SQLite with {workers} workers: without Redis the "
                        "broker is in-process, so a stream only hears its own worker's events."
                    )
                elif "sse" in self.args.scenarios:
                    for subscribers in self.args.sse:
                        fan = asyncio.run(self.fanout(port, label, workers, master, subscribers))
                        if fan.opened < subscribers:
                            break
                if self.args.profile and not self.profiled:
                    self.profiled = True
                    self.profile(base, port, master, f"{label}, {workers} worker(s)")
        finally:
            if redis_prefix := env.get("REJOINDER_REDIS_PREFIX", ""):
                client = redis.Redis(host="127.0.0.1", port=6379, db=0)
                keys = list(client.scan_iter(match=redis_prefix + "*", count=1000))
                if keys:
                    client.delete(*keys)
                client.close()

    def reads(self, base: str, label: str, workers: int, master: int) -> None:
        for size in seed.SIZES:
            self.read(
                f"thread read, {size} comments",
                base,
                label,
                workers,
                master,
                thread_path(seed.sized_url(size)),
            )
            if size == 200:
                self.save_ceiling_body(base)
        # The seeded 2,000-comment page has 500 top-level comments.
        self.read(
            "thread read, 2000 comments, whole thread",
            base,
            label,
            workers,
            master,
            thread_path(seed.sized_url(2000)) + "&limit=1000",
        )
        if self.args.bulk_pages:
            self.read(
                "thread read, random bulk page",
                base,
                label,
                workers,
                master,
                "/",
                "random_thread.lua",
            )
            self.read("counts, 50 random URLs", base, label, workers, master, "/", "counts.lua")

    def rejoinder_uncached(self, db: str, workers: int, database_url: str, data_dir: Path) -> None:
        """The same reads with the thread cache off: what a miss (or a signed-in read) costs."""
        port, env, argv = serve_command(db, workers, database_url, data_dir)
        env["REJOINDER_THREAD_CACHE_BYTES"] = "0"
        label = ("PostgreSQL + Redis" if db == "pg" else "SQLite") + ", cache off"
        log = self.workdir / f"rejoinder-{db}-{workers}-uncached.log"
        with process_group(argv, env, port, "/api/v1/counts/by-prefix/0000", log) as server:
            base = f"http://127.0.0.1:{port}"
            wrk(base + thread_path(seed.sized_url(20)), workers * 4, 2)
            for size in (20, 200):
                self.read(
                    f"thread read, {size} comments (cache off)",
                    base,
                    label,
                    workers,
                    server.pid,
                    thread_path(seed.sized_url(size)),
                )
            if self.args.bulk_pages:
                self.read(
                    "thread read, random bulk page (cache off)",
                    base,
                    label,
                    workers,
                    server.pid,
                    "/",
                    "random_thread.lua",
                )

    def profile(self, base: str, port: int, master: int, label: str) -> None:
        reads = base + thread_path(seed.sized_url(200))
        profiling.profile(
            self,
            master,
            f"200-comment thread reads, {label}",
            lambda: wrk(reads, self.args.connections, 12),
        )
        body = lambda text, n: json.dumps({"url": seed.write_url(n % 100), "body": text}).encode()  # noqa: E731
        profiling.profile(
            self,
            master,
            f"comment posting, {label}",
            lambda: asyncio.run(
                post_for(
                    port,
                    lambda text, n: ("POST", "/api/v1/comments", body(text, n), AUTH),
                    json_id,
                    self.args.write_connections,
                    12,
                )
            ),
        )

    def save_ceiling_body(self, base: str) -> None:
        import httpx

        body = httpx.get(base + thread_path(seed.sized_url(200)), timeout=10).content
        (self.workdir / "thread-200.json").write_bytes(body)

    def ceiling(self, workers: int) -> None:
        port = free_port()
        argv = ceiling_command(port, workers)
        env = {
            **dict(__import__("os").environ),
            "BENCH_CEILING_BODY": str(self.workdir / "thread-200.json"),
        }
        with process_group(argv, env, port, "/", self.workdir / f"ceiling-{workers}.log") as server:
            self.read(
                "ceiling: raw ASGI, 200-comment body",
                f"http://127.0.0.1:{port}",
                "-",
                workers,
                server.pid,
                "/",
                server="raw ASGI",
            )

    # --- databases ---------------------------------------------------------------------

    def migrate_and_seed(self, label: str, database_url: str, data_dir: Path) -> None:
        env = rejoinder_env(
            data_dir, 8000, database_url if database_url.startswith("postgres") else ""
        )
        subprocess.run(
            [str(VENV_BIN / "rejoinder"), "migrate"], env=env, check=True, capture_output=True
        )
        started = time.monotonic()
        timings = asyncio.run(
            seed.seed(database_url, self.args.bulk_pages, self.args.bulk_comments)
        )
        self.notes.append(
            f"Seeding {label}: {time.monotonic() - started:.0f} s in all ("
            + ", ".join(f"{name} {secs:.0f} s" for name, secs in timings.items())
            + ")"
        )
        print(self.notes[-1], flush=True)

    def run_sqlite(self, workers: list[int]) -> None:
        data_dir = Path(tempfile.mkdtemp(prefix="sqlite-", dir=self.workdir))
        try:
            url = f"sqlite:///{data_dir / 'rejoinder.db'}"
            self.migrate_and_seed("SQLite", url, data_dir)
            size = sum(p.stat().st_size for p in data_dir.iterdir()) / 2**20
            self.notes.append(f"SQLite database after seeding: {size:.0f} MiB")
            for count in workers:
                self.rejoinder("sqlite", count, "", data_dir)
                if "reads" in self.args.scenarios and self.args.uncached:
                    self.rejoinder_uncached("sqlite", count, "", data_dir)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)

    def run_pg(self, workers: list[int]) -> None:
        with scratch_postgres() as url:
            data_dir = Path(tempfile.mkdtemp(prefix="pg-", dir=self.workdir))
            self.migrate_and_seed("PostgreSQL", url, data_dir)
            for count in workers:
                self.rejoinder("pg", count, url, data_dir)
                if "reads" in self.args.scenarios and self.args.uncached:
                    self.rejoinder_uncached("pg", count, url, data_dir)


async def check_rejoinder_writes(database_url: str, acknowledged: dict[int, str]) -> int:
    """Acknowledged comments missing from the database, or stored with another body."""
    ids = list(acknowledged)
    if database_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(database_url.split("///", 1)[1])
        stored = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            stored.update(
                conn.execute(
                    f"SELECT id, body_src FROM comments WHERE id IN ({marks})", chunk
                ).fetchall()
            )
        conn.close()
    else:
        pg = await asyncpg.connect(database_url)
        rows = await pg.fetch("SELECT id, body_src FROM comments WHERE id = ANY($1)", ids)
        await pg.close()
        stored = {row[0]: row[1] for row in rows}
    return sum(stored.get(i) != text for i, text in acknowledged.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--write-connections", type=int, default=16)
    parser.add_argument("--bulk-pages", type=int, default=seed.BULK_PAGES, help="0: no bulk set")
    parser.add_argument("--bulk-comments", type=int, default=seed.BULK_COMMENTS)
    parser.add_argument("--sse", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=SCENARIOS,
        default=list(SCENARIOS),
        help="thread reads and counts, comment posting, SSE fan-out",
    )
    parser.add_argument("--no-isso", action="store_true")
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument(
        "--no-uncached",
        dest="uncached",
        action="store_false",
        help="skip the reads with the thread cache off",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy on a SQLite worker")
    parser.add_argument("--out", type=Path, default=None, help="also save the rows as JSON")
    args = parser.parse_args()

    # Each SSE subscriber is a socket here and one in the server.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory(prefix="rejoinder-bench-", dir="/tmp") as tmp:
        suite = Suite(args, Path(tmp))
        by_db: dict[str, list[int]] = {}
        for config in args.configs:
            db, workers = CONFIGS[config]
            by_db.setdefault(db, []).append(workers)
        print(
            "| scenario | server | database | workers | connections | req/s | p50 ms | "
            "p99 ms | errors | worker RSS MiB | notes |\n|" + "---|" * 11,
            flush=True,
        )
        if "sqlite" in by_db:
            suite.run_sqlite(by_db["sqlite"])
        if "pg" in by_db:
            suite.run_pg(by_db["pg"])
        all_workers = sorted({w for ws in by_db.values() for w in ws})
        if not args.no_ceiling and (Path(tmp) / "thread-200.json").exists():
            for workers in all_workers:
                suite.ceiling(workers)
        if not args.no_isso:
            isso_bench.run(suite, sorted(set(by_db.get("sqlite", [])) or {2}))
        print()
        for note in suite.notes:
            print(f"- {note}")
        if args.out:
            save(suite.results, args.out)
            for number, (label, collapsed) in enumerate(suite.profiles.items()):
                path = args.out.with_name(f"{args.out.stem}-profile-{number}.txt")
                path.write_text(f"# {label}\n{collapsed}")


if __name__ == "__main__":
    sys.exit(main())

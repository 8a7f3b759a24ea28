"""The comment write path in one process: SQL statements and CPU time per acknowledged post.

Throughput on the shared 2-core machine is noisy; CPU time per post (all of the process's
threads, aiosqlite's included) and the statement count are not. The app runs in-process
(``httpx.ASGITransport`` over ``create_app``) with the benchmark server's settings (rate
limits, holds, classifier and fetcher off), on a freshly migrated and seeded database, and
``--tasks`` concurrent posters send ``--posts`` comments in all to the 100 write pages.

    .venv/bin/python benchmarks/write_path.py                        # SQLite, 2,000 posts
    .venv/bin/python benchmarks/write_path.py --database pg --posts 500
    .venv/bin/python benchmarks/write_path.py --cprofile 25          # plus the top 25 functions
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import seed
from common import VENV_BIN, rejoinder_env
from sqlalchemy import event

from rejoinder.app import create_app
from rejoinder.settings import Settings

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
AUTH = {"Authorization": f"Bearer {seed.TOKEN}"}


async def post_all(client: httpx.AsyncClient, posts: int, tasks: int) -> dict[int, str]:
    """Every acknowledgement checked: 201 and its own body; returns id -> token."""
    acked: dict[int, str] = {}
    queue = iter(range(posts))

    async def poster() -> None:
        for n in queue:
            token = uuid.uuid4().hex
            body = {"url": seed.write_url(n % seed.WRITE_PAGES), "body": f"Post {n} {token}."}
            response = await client.post("/api/v1/comments", json=body, headers=AUTH)
            assert response.status_code == 201, response.text
            assert token in response.json()["body_html"], "an ack without its own body"
            acked[response.json()["id"]] = token

    await asyncio.gather(*(poster() for _ in range(tasks)))
    assert len(acked) == posts, "duplicate ids in acknowledgements"
    return acked


async def measure(settings: Settings, args: argparse.Namespace) -> None:
    app = create_app(settings)
    statements = 0

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        nonlocal statements
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            statements += 1

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await post_all(client, 50, args.tasks)  # warm pools, caches, compiled statements
            event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", count)
            profiler = cProfile.Profile() if args.cprofile else None
            cpu, wall, main = time.process_time(), time.perf_counter(), time.thread_time()
            if profiler:
                profiler.enable()
            acked = await post_all(client, args.posts, args.tasks)
            if profiler:
                profiler.disable()
            cpu, wall, main = (
                time.process_time() - cpu,
                time.perf_counter() - wall,
                time.thread_time() - main,
            )
            event.remove(app.state.db.engine.sync_engine, "before_cursor_execute", count)
            # Same request once more, alone: the statements one post costs.
            before = statements
            event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", count)
            await post_all(client, 1, 1)
            event.remove(app.state.db.engine.sync_engine, "before_cursor_execute", count)
            single = statements - before
            for listener in app.state.event_listeners:
                if hasattr(listener, "settle"):
                    await listener.settle()
    per_post = 1000 / len(acked)
    print(
        f"{args.database}: {len(acked)} posts by {args.tasks} tasks in {wall:.2f} s "
        f"({len(acked) / wall:.0f}/s in-process); CPU {cpu * per_post:.2f} ms per post, all "
        f"threads ({main * per_post:.2f} ms on the event loop's thread); "
        f"{before / len(acked):.1f} SQL statements per post under load, {single} for a lone "
        "post (after-commit listeners included)"
    )
    if profiler:
        order = os.environ.get("SORT", "tottime")  # or cumulative
        pstats.Stats(profiler).sort_stats(order).print_stats(args.cprofile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--cprofile", type=int, default=0, help="print the N hottest functions")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rejoinder-write-path-"))
    name = f"rejoinder_bench_{uuid.uuid4().hex[:8]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}" if args.database == "pg" else ""
    try:
        if url:
            asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        env = rejoinder_env(workdir, 8000, url)
        subprocess.run([str(VENV_BIN / "rejoinder"), "migrate"], env=env, check=True)
        asyncio.run(seed.seed(url or f"sqlite:///{workdir / 'rejoinder.db'}", 0, 0))
        os.environ.update(env)
        asyncio.run(measure(Settings(), args))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if url:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()

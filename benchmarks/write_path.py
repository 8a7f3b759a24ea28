"""The comment write path in one process: SQL statements and CPU time per acknowledged post.

Throughput on the shared 2-core machine is noisy; CPU time per post (all of the process's
threads, aiosqlite's included) and the statement count are not. The app runs in-process
(``httpx.ASGITransport`` over ``create_app``) with the benchmark server's settings (rate
limits, holds, classifier and fetcher off), on a freshly migrated and seeded database, and
``--tasks`` concurrent posters send ``--posts`` comments in all to the 100 write pages.

    .venv/bin/python benchmarks/write_path.py                        # SQLite, 2,000 posts
    .venv/bin/python benchmarks/write_path.py --database pg --posts 500
    .venv/bin/python benchmarks/write_path.py --cprofile 25          # plus the top 25 functions
    .venv/bin/python benchmarks/write_path.py --client raw           # without httpx's own CPU

``--client raw`` calls the ASGI app directly with prebuilt messages, as a server would after
parsing: the CPU per post is then the app's (and aiosqlite's thread's), not httpx's too.

``--from-data-dir DIR`` posts into a copy of the SQLite data a benchmark kept in DIR (for
example the bulk set of ``counts_path.py --data-dir``): what the table's size adds to a post.

    .venv/bin/python benchmarks/write_path.py --client raw --from-data-dir /tmp/counts-bench/data
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import seed
from common import print_profile, seeded_in_process
from sqlalchemy import event

from rejoinder.app import create_app
from rejoinder.settings import Settings

AUTH = {"Authorization": f"Bearer {seed.TOKEN}"}


async def post_all_httpx(client: httpx.AsyncClient, posts: int, tasks: int) -> dict[int, str]:
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


async def post_all_raw(app: Any, posts: int, tasks: int) -> dict[int, str]:
    """``post_all`` without an HTTP client: ASGI messages straight to the app."""
    acked: dict[int, str] = {}
    queue = iter(range(posts))
    headers = [
        (b"host", b"bench"),
        (b"authorization", AUTH["Authorization"].encode()),
        (b"content-type", b"application/json"),
    ]

    async def post(n: int) -> None:
        token = uuid.uuid4().hex
        body = orjson.dumps(
            {"url": seed.write_url(n % seed.WRITE_PAGES), "body": f"Post {n} {token}."}
        )
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/api/v1/comments",
            "raw_path": b"/api/v1/comments", "root_path": "", "query_string": b"",
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
            "client": ("203.0.113.10", 50000), "server": ("bench", 80),
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        assert sent[0]["status"] == 201, sent
        answer = orjson.loads(sent[1]["body"])
        assert token in answer["body_html"], "an ack without its own body"
        acked[answer["id"]] = token

    async def poster() -> None:
        for n in queue:
            await post(n)

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

            async def post_all(client: httpx.AsyncClient, posts: int, tasks: int) -> dict[int, str]:
                if args.client == "raw":
                    return await post_all_raw(app, posts, tasks)
                return await post_all_httpx(client, posts, tasks)

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
        f"{args.database} ({args.client}): {len(acked)} posts by {args.tasks} tasks "
        f"in {wall:.2f} s "
        f"({len(acked) / wall:.0f}/s in-process); CPU {cpu * per_post:.2f} ms per post, all "
        f"threads ({main * per_post:.2f} ms on the event loop's thread); "
        f"{before / len(acked):.1f} SQL statements per post under load, {single} for a lone "
        "post (after-commit listeners included)"
    )
    if profiler:
        print_profile(profiler, args.cprofile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--client", choices=["httpx", "raw"], default="httpx")
    parser.add_argument("--cprofile", type=int, default=0, help="print the N hottest functions")
    parser.add_argument(
        "--from-data-dir", type=Path, help="post into a copy of the SQLite data kept here"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rejoinder-write-path-"))
    copied = args.from_data_dir is not None
    if copied:
        # A copy: the posts would change the kept data for the next benchmark.
        shutil.copytree(args.from_data_dir, workdir, dirs_exist_ok=True)
    try:
        # keep: use the copy as it is (seeded_in_process would also leave it behind).
        with seeded_in_process(args.database, workdir, 0, 0, keep=copied):
            asyncio.run(measure(Settings(), args))
    finally:
        if copied:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The batch-count front in one process: CPU time per 50-URL request, whole and by part.

``POST /api/v1/counts`` with 50 random ``https://bulk.example/articles/N`` URLs (N in
1..``--url-range``, as ``wrk/counts.lua``) is answered by ``api.counts_front.CountsFront``
ahead of the framework. This calls the front directly (a fake ASGI receive and send, no
HTTP), ``--requests`` times, and reports CPU per request (``time.process_time``, every
thread) for the whole answer and for each of its parts run alone on the same bodies: the
JSON body check, URL normalisation to digests, the SELECT, and the answer's JSON. CPU per
call is what the shared 2-core machine measures reliably; wall-clock throughput is not.

The database is a seeded copy (``seed.py``): ``--data-dir DIR`` keeps a SQLite one in DIR
and reuses it as it is (the full bulk set takes minutes to seed; a smaller one,
``--bulk-pages``, has the same URL shape and index depth within one level). After a new
migration, run ``rejoinder migrate`` with ``REJOINDER_DATA_DIR=DIR`` on a kept one; an older
``BENCH_SRC`` (``git archive``) can measure it too if its code ignores the new schema, as
HEAD before migration 0009 does. PostgreSQL gets a database of its own, dropped afterwards.
The memos of normalised URLs start empty (``--warm N`` sends N
requests first); with 100,000 random URLs they rarely hit, with ``--url-range 100`` (the
links of a blog's front page, asked for by every reader) they nearly always do.

    .venv/bin/python benchmarks/counts_path.py --data-dir /tmp/counts-bench/data
    .venv/bin/python benchmarks/counts_path.py --bulk-pages 20000 --bulk-comments 100000
    .venv/bin/python benchmarks/counts_path.py --database pg --bulk-pages 20000
    .venv/bin/python benchmarks/counts_path.py --data-dir DIR --url-range 100
    .venv/bin/python benchmarks/counts_path.py --data-dir DIR --cprofile 25   # + top functions
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import seed
from common import print_profile, seeded_in_process

from rejoinder.api import counts_front
from rejoinder.app import create_app
from rejoinder.settings import Settings

SCOPE = {
    "type": "http",
    "method": "POST",
    "path": counts_front.COUNTS_PATH,
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"0")],
}


def bodies(count: int, url_range: int, rng: random.Random) -> list[bytes]:
    """Request bodies as wrk/counts.lua writes them."""
    return [
        json.dumps(
            {"urls": [seed.bulk_url(rng.randint(1, url_range)) for _ in range(50)]},
            separators=(",", ":"),
        ).encode()
        for _ in range(count)
    ]


class Sink:
    """ASGI send: keeps the last body, checks the status."""

    body = b""

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message
        elif message["type"] == "http.response.body":
            self.body = message.get("body", b"")


async def answer_all(front: counts_front.CountsFront, requests: list[bytes]) -> bytes:
    sink = Sink()
    for body in requests:
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def receive(messages: Any = messages) -> dict[str, Any]:
            return next(messages)

        scope = dict(SCOPE)
        scope["headers"] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        assert await front.answer(scope, receive, sink) is None, "the front did not answer"
    return sink.body


def profile_steps(front: counts_front.CountsFront) -> dict[str, Callable[..., Any]]:
    """The steps of ``CountsFront.answer`` between reading the body and sending the answer,
    each taking what the one before returned."""
    from rejoinder.pages.schemas import CountsOut
    from rejoinder.pages.service import counts_by_url, url_digests

    async def select(state: tuple[list[str], dict[str, str]]) -> tuple[Any, ...]:
        urls, digests = state
        return urls, digests, await front._count(list(set(digests.values())))

    return {
        "body": counts_front._plain_urls,
        "digests": lambda urls: (urls, url_digests(urls, front.max_url_length)),
        "select": select,
        "json out": lambda state: counts_front._COUNTS_OUT.dump_json(
            CountsOut.model_construct(counts=counts_by_url(*state))
        ),
    }


async def parts(front: counts_front.CountsFront, requests: list[bytes]) -> dict[str, float]:
    """CPU seconds of each step of ``CountsFront.answer`` over all the requests."""
    steps = profile_steps(front)
    spent = dict.fromkeys(steps, 0.0)
    for body in requests:
        value: Any = body
        for name, step in steps.items():
            started = time.process_time()
            value = step(value)
            if asyncio.iscoroutine(value):
                value = await value
            spent[name] += time.process_time() - started
    return spent


async def measure(settings: Settings, args: argparse.Namespace) -> None:
    app = create_app(settings)
    rng = random.Random(args.seed)
    async with app.router.lifespan_context(app):
        front = app.counts
        assert front is not None
        await answer_all(front, bodies(50, args.url_range, rng))  # connections, statements
        if args.warm:
            await answer_all(front, bodies(args.warm, args.url_range, rng))
        requests = bodies(args.requests, args.url_range, rng)
        profiler = cProfile.Profile() if args.cprofile else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        await answer_all(front, requests)
        if profiler:
            profiler.disable()
        whole = time.process_time() - started
        by_part = await parts(front, bodies(args.requests, args.url_range, rng))
    per = 1000 / args.requests
    print(
        f"{args.database}: {args.requests} requests of 50 URLs "
        f"(1..{args.url_range}), warm {args.warm}: CPU {whole * per:.3f} ms per request"
    )
    for name, seconds in by_part.items():
        print(f"  {name:<12} {seconds * per:.3f} ms")
    print(f"  {'(sum)':<12} {sum(by_part.values()) * per:.3f} ms")
    if profiler:
        print_profile(profiler, args.cprofile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--data-dir", type=Path, help="keep (and reuse) the SQLite data here")
    parser.add_argument("--bulk-pages", type=int, default=seed.BULK_PAGES)
    parser.add_argument("--bulk-comments", type=int, default=seed.BULK_COMMENTS)
    parser.add_argument("--url-range", type=int, default=seed.BULK_PAGES, help="as BENCH_PAGES")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--warm", type=int, default=0, help="requests sent before measuring")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--cprofile", type=int, default=0, help="print the N hottest functions")
    args = parser.parse_args()
    keep = args.data_dir is not None and args.database == "sqlite"
    workdir = args.data_dir or Path(tempfile.mkdtemp(prefix="rejoinder-counts-path-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with seeded_in_process(args.database, workdir, args.bulk_pages, args.bulk_comments, keep=keep):
        asyncio.run(measure(Settings(), args))


if __name__ == "__main__":
    main()

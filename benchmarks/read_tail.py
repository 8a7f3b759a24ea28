"""The tail of cached thread reads, repeated: Rejoinder and the ceiling app, alternated.

A 5 s load's p99 wandered between suite runs (5 to 150 ms, docs/benchmarks.md runs 8 and 9)
while p50 stayed at ~1 ms. This runs the 200-comment read (SQLite, 2 workers, 32
connections) and the ceiling app serving the same bytes, alternately, ``--rounds`` times for
``--duration`` seconds each, so a tail that is the machine's shows in both and one that is
Rejoinder's shows only in its rows.

    .venv/bin/python benchmarks/read_tail.py --rounds 3 --duration 10
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import httpx
import seed
from common import free_port, process_group, seeded_in_process, wrk
from run import ceiling_command, serve_command, thread_path


def print_row(round_: int, server: str, row: dict[str, float]) -> None:
    print(
        f"| {round_} | {server} | {row['rps']:.0f} | {row['p50_ms']} | {row['p99_ms']} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rejoinder-read-tail-"))
    with seeded_in_process("sqlite", workdir, 0, 0):
        database_url = f"sqlite:///{workdir / 'rejoinder.db'}"
        port, env, argv = serve_command("sqlite", args.workers, database_url, workdir)
        body_file = workdir / "thread-200.json"
        path = thread_path(seed.sized_url(200))
        print("| round | server | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|")
        for round_ in range(1, args.rounds + 1):
            with process_group(argv, env, port, "/", workdir / "rejoinder.log"):
                base = f"http://127.0.0.1:{port}"
                if not body_file.exists():
                    body_file.write_bytes(httpx.get(base + path, timeout=10).content)
                wrk(base + path, args.workers * 4, 2)  # warm every worker's cache
                row = wrk(base + path, args.connections, args.duration)
                print_row(round_, "rejoinder", row)
            ceiling_port = free_port()
            ceiling_env = {**os.environ, "BENCH_CEILING_BODY": str(body_file)}
            with process_group(
                ceiling_command(ceiling_port, args.workers),
                ceiling_env,
                ceiling_port,
                "/",
                workdir / "ceiling.log",
            ):
                row = wrk(f"http://127.0.0.1:{ceiling_port}/", args.connections, args.duration)
                print_row(round_, "ceiling", row)


if __name__ == "__main__":
    main()

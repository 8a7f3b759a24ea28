"""Thread reads per second for a page with N nested comments, and SQL statements per read.

Starts `rejoinder serve` on 127.0.0.1 with a fresh database, seeds one page through the API,
counts the SQL statements one read costs (in-process, over the same database), then drives
load from a second process: `wrk` when installed, else a bounded asyncio load generator.
Every loop is bounded in time; the server is stopped at the end whatever happens.

    .venv/bin/python benchmarks/thread_read.py --comments 200 --workers 2 --connections 32
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "https://bench.example/2026/11/a-long-discussion"
PASSWORD = "benchmark password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, database_url: str | None, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REJOINDER_DATA_DIR=str(data_dir),
        REJOINDER_PUBLIC_URL=f"http://127.0.0.1:{port}",
        REJOINDER_LOGIN_RATE="100000/60",
        REJOINDER_REGISTER_RATE="100000/60",
        # Seeding posts hundreds of comments from one account: lift the posting limit and
        # the abuse classifier so the benchmark measures reads, not moderation.
        REJOINDER_COMMENT_RATE="100000/60",
        REJOINDER_CLASSIFIER="none",
        REJOINDER_FETCH_ENABLED="false",
    )
    if database_url:
        env["REJOINDER_DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def running_server(env: dict[str, str], port: int, workers: int):
    rejoinder = str(Path(sys.executable).parent / "rejoinder")
    subprocess.run([rejoinder, "migrate"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [rejoinder, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        process.wait(timeout=20)


def seed(base: str, comments: int) -> None:
    """`comments` comments: a quarter top-level, each with a chain of three replies."""
    with httpx.Client(base_url=base, timeout=30) as client:
        client.post("/api/v1/accounts", json={"username": "bench", "password": PASSWORD})
        token = client.post(
            "/api/v1/sessions", json={"username": "bench", "password": PASSWORD}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        posted = 0
        while posted < comments:
            body = {"url": ARTICLE, "body": f"Top-level comment {posted} with *some* text."}
            parent = client.post("/api/v1/comments", json=body, headers=auth).json()["id"]
            posted += 1
            for depth in range(3):
                if posted >= comments:
                    break
                reply = {"parent_id": parent, "body": f"Reply at depth {depth + 1}: agreed."}
                parent = client.post("/api/v1/comments", json=reply, headers=auth).json()["id"]
                posted += 1


async def statements_per_read(env: dict[str, str]) -> int:
    """Count the SQL statements of one anonymous thread read, in-process."""
    from rejoinder.app import create_app
    from rejoinder.settings import Settings

    overrides = {
        k[len("REJOINDER_") :].lower(): v for k, v in env.items() if k.startswith("REJOINDER_")
    }
    app = create_app(Settings(**overrides))
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            statements.append(statement)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.get("/api/v1/threads", params={"url": ARTICLE})  # warm the pool
            event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", record)
            response = await client.get("/api/v1/threads", params={"url": ARTICLE})
            response.raise_for_status()
    return len(statements)


def load_with_wrk(url: str, connections: int, duration: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(label: str) -> float:
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


async def load_with_asyncio(url: str, connections: int, duration: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": float(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--generator", choices=["auto", "wrk", "asyncio"], default="auto")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rejoinder-bench-") as tmp:
        port = free_port()
        env = server_env(Path(tmp), args.database_url, port)
        with running_server(env, port, args.workers) as base:
            seed(base, args.comments)
            statements = asyncio.run(statements_per_read(env))
            url = f"{base}/api/v1/threads?url={httpx.URL(ARTICLE)}"
            use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
            if use_wrk:
                result = load_with_wrk(url, args.connections, args.duration)
            else:
                result = asyncio.run(load_with_asyncio(url, args.connections, args.duration))
        database = "PostgreSQL" if args.database_url else "SQLite"
        print(
            f"| thread read, {args.comments} comments | {database} | {args.workers} | "
            f"{args.connections} | {'wrk' if use_wrk else 'asyncio'} | {result['rps']:.0f} | "
            f"{result['p50_ms']:.1f} | {result['p99_ms']:.1f} | {int(result['errors'])} | "
            f"{statements} |"
        )


if __name__ == "__main__":
    main()

"""Shared pieces of the benchmark suite: servers, load generators, memory, result rows.

Every server runs in its own process group on 127.0.0.1 and is stopped (SIGTERM, then
SIGKILL) when its ``with`` block ends, whatever happens inside. Every load loop is bounded
in time. Load comes from a second process: ``wrk`` for reads, a small asyncio HTTP/1.1
client (raw sockets, so the client costs little of the 2 shared cores) for writes and SSE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent

# BENCH_SRC: measure another copy of the code (e.g. `git archive HEAD src` unpacked under
# /tmp) instead of the working tree, which other people may be editing mid-run. It must win
# over the venv's editable install, here and in every server and `rejoinder migrate`.
if SRC := os.environ.get("BENCH_SRC"):
    sys.path.insert(0, SRC)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))
# Rate limits off: a limit nobody can reach in a 10 s run.
UNLIMITED = "1000000000/1"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Result:
    """One row of docs/benchmarks.md."""

    scenario: str
    server: str
    database: str
    workers: int
    connections: int
    rps: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    errors: int = 0
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""

    def row(self) -> str:
        rss = ", ".join(f"{value:.0f}" for value in self.rss_mb) or "-"
        return (
            f"| {self.scenario} | {self.server} | {self.database} | {self.workers} | "
            f"{self.connections} | {self.rps:.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} | "
            f"{self.errors} | {rss} | {self.note} |"
        )


def save(results: list[Result], path: Path) -> None:
    path.write_text(json.dumps([asdict(r) for r in results], indent=1))


# --- processes -----------------------------------------------------------------------------


def _wait_http(port: int, path: str, seconds: float) -> None:
    """Until the server answers anything on ``path`` (bounded)."""
    deadline = time.monotonic() + seconds
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(request)
                if sock.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no server on 127.0.0.1:{port} after {seconds:.0f} s")


@contextlib.contextmanager
def process_group(
    argv: list[str], env: dict[str, str], port: int, probe: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait until it answers on 127.0.0.1:port, stop it on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_http(port, probe, 60)
        yield process
    finally:
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue


def rejoinder_env(
    data_dir: Path, port: int, database_url: str = "", redis: str = ""
) -> dict[str, str]:
    """The server's environment: limits, holds, classifier and fetcher off."""
    env = dict(os.environ)
    env.update(
        REJOINDER_DATA_DIR=str(data_dir),
        REJOINDER_SECRET_KEY="benchmark-secret-key-not-for-production",
        REJOINDER_PUBLIC_URL=f"http://127.0.0.1:{port}",
        REJOINDER_LOGIN_RATE=UNLIMITED,
        REJOINDER_REGISTER_RATE=UNLIMITED,
        REJOINDER_COMMENT_RATE=UNLIMITED,
        REJOINDER_VOTE_RATE=UNLIMITED,
        REJOINDER_REPORT_RATE=UNLIMITED,
        REJOINDER_CLASSIFIER="none",
        REJOINDER_FLOOD_WINDOW_SECONDS="0",
        REJOINDER_HOLD_MAX_LINKS="1000",
        REJOINDER_HOLD_ACCOUNT_AGE_HOURS="0",
        REJOINDER_HOLD_MIN_APPROVED_COMMENTS="0",
        # The bench pages' hosts do not exist; fetching them would only add noise.
        REJOINDER_FETCH_ENABLED="false",
        # As for the ceiling (run.py) and Isso: the load is measured, not logged.
        REJOINDER_ACCESS_LOG="false",
    )
    if database_url:
        env["REJOINDER_DATABASE_URL"] = database_url
    if redis:
        env["REJOINDER_REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["REJOINDER_REDIS_PREFIX"] = redis
    return env


def worker_pids(master: int) -> list[int]:
    """The processes serving requests: the master's spawned children, or the master alone."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == master and b"resource_tracker" not in cmdline:
            children.append(int(stat.parent.name))
    return sorted(children) or [master]


def rss_mb(master: int) -> list[float]:
    """Resident memory (MiB) of each worker, from /proc/<pid>/status."""
    sizes = []
    for pid in worker_pids(master):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            kib = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            sizes.append(kib / 1024)
    return sizes


# --- wrk -----------------------------------------------------------------------------------


def wrk(
    url: str,
    connections: int,
    duration: int,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, float]:
    """Run wrk from a second process; rps, p50/p99 in ms, non-2xx/3xx plus socket errors."""
    argv = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if script:
        argv += ["-s", str(script)]
    output = subprocess.run(
        [*argv, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
        env={**os.environ, **(env or {})},
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(label: str) -> float:
        match = re.search(rf"\s{label}(?:\.000)?%\s+([\d.]+)(us|ms|s)", output)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        # Closed-after-response reads are how wrk counts a server closing keep-alive
        # connections (Isso's sync workers do); count connect errors and timeouts only.
        errors += int(match.group(1)) + int(match.group(4))
    return {"rps": rps, "p50_ms": percentile("50"), "p99_ms": percentile("99"), "errors": errors}


# --- a minimal HTTP/1.1 client -------------------------------------------------------------


class HttpConnection:
    """One keep-alive connection; requests in sequence; Content-Length bodies only."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        # Set when the server said `Connection: close` (gunicorn's sync workers always do).
        self.closing = False

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**22)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        self.closing = re.search(rb"(?i)\r\nconnection:\s*close", head) is not None
        length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if not length:
            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
        return status, await self.reader.readexactly(int(length.group(1)))

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def percentiles(latencies: list[float]) -> tuple[float, float]:
    if not latencies:
        return float("nan"), float("nan")
    ordered = sorted(latencies)
    return (
        ordered[len(ordered) // 2] * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


async def pg_admin(statement: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def scratch_postgres() -> Iterator[str]:
    """The URL of a PostgreSQL database of this run's own, dropped afterwards."""
    name = f"rejoinder_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def seeded_in_process(
    database: str, workdir: Path, bulk_pages: int, bulk_comments: int, *, keep: bool = False
) -> Iterator[None]:
    """A migrated, seeded database, with this process's settings (its environment) pointing
    at it, for the benchmarks that run the app in-process. ``keep``: SQLite data in
    ``workdir`` is left there, and reused if it was seeded before."""
    import seed  # the seeder imports nothing from here; kept local for the servers' imports

    with contextlib.ExitStack() as cleanup:
        url = cleanup.enter_context(scratch_postgres()) if database == "pg" else ""
        if not keep:
            cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        env = rejoinder_env(workdir, 8000, url)
        if not (keep and (workdir / "rejoinder.db").exists()):
            subprocess.run([str(VENV_BIN / "rejoinder"), "migrate"], env=env, check=True)
            database_url = url or f"sqlite:///{workdir / 'rejoinder.db'}"
            asyncio.run(seed.seed(database_url, bulk_pages, bulk_comments))
        os.environ.update(env)
        yield


def print_profile(profiler: Any, top: int) -> None:
    """The ``top`` hottest functions of a cProfile run, by SORT (default tottime)."""
    import pstats

    pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "tottime")).print_stats(top)

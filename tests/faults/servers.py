"""``rejoinder serve`` in a child process, as an operator runs it, for the fault tests.

The server gets its own process group, so ``kill()`` (SIGKILL) takes the uvicorn supervisor
and every worker at once, as an OOM killer or a pulled plug would; ``stop()`` and the end of
the ``with`` block always leave nothing running. ``worker_of(response)`` tells which worker
process answered on a keep-alive connection, from ``/proc`` (Linux), so tests of several
workers can prove both took part without adding anything to the product.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from live import settings_env

from rejoinder.settings import Settings

START_TIMEOUT = 45.0
STOP_TIMEOUT = 15.0
# Bodies fault tests post are plain text: no filter, hold or limit may get in the way of
# counting what was acknowledged. Tests that check limits set their own.
FAULT_SETTINGS: dict[str, Any] = {
    "classifier": "none",
    "flood_window_seconds": 0,
    "hold_max_links": 1000,
    "comment_rate": "1000000/1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One ``rejoinder serve --workers N`` on 127.0.0.1, stopped on exit whatever happens."""

    def __init__(self, settings: Settings, log_path: Path, workers: int = 1) -> None:
        self.settings = settings
        self.log_path = log_path
        self.workers = workers
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.launch()
        self.wait_until_serving()

    def launch(self) -> None:
        """Start the process without waiting for it (see ``serve_together``)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("REJOINDER_") or key.startswith("REJOINDER_TEST_")
        }
        env.update(settings_env(self.settings))
        command = [
            sys.executable,
            "-m",
            "rejoinder",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_until_serving(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                response = httpx.get(f"{self.base_url}/api/openapi.json", timeout=5)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            # Every worker must be up: a test of two workers must not run on one.
            if response.status_code == 200 and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"rejoinder serve did not start (exit {self.process.poll()}): {self.log()}"
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn's workers, or the server itself."""
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
                # multiprocessing's resource tracker is a child too, but serves nothing.
                if int(fields[1]) == self.process.pid and b"resource_tracker" not in cmdline:
                    children.append(int(stat.parent.name))
        return sorted(children)

    def worker_of(self, response: httpx.Response) -> int:
        """The pid of the worker holding the (still open) connection that got ``response``."""
        stream = response.extensions["network_stream"]
        client_port = stream.get_extra_info("client_addr")[1]
        inode = _socket_inode(self.port, client_port)
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        if str(fd.readlink()) == f"socket:[{inode}]":
                            return pid
        raise AssertionError(f"no worker holds the connection from port {client_port}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs anywhere."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        if self.process is None or (self.process.poll() is not None and not self._group_alive()):
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(STOP_TIMEOUT)
                return
            except subprocess.TimeoutExpired:
                continue

    def _group_alive(self) -> bool:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True


def _socket_inode(server_port: int, client_port: int) -> str:
    """The inode of the server's end of the TCP connection from ``client_port``."""
    wanted_local = f"0100007F:{server_port:04X}"
    wanted_remote = f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted_local and fields[2] == wanted_remote:
            return fields[9]
    raise AssertionError(f"no server socket for the connection from port {client_port}")


@contextlib.contextmanager
def rejoinder_serve(
    settings: Settings, log_path: Path, workers: int = 1
) -> Iterator[ServerProcess]:
    server = ServerProcess(settings, log_path, workers)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def serve_together(
    settings: Settings, log_paths: list[Path], workers: int = 1
) -> Iterator[list[ServerProcess]]:
    """Several servers on one database and Redis, started side by side (startup is slow)."""
    servers = [ServerProcess(settings, path, workers) for path in log_paths]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_until_serving()
        yield servers
    finally:
        for server in servers:
            server.stop()

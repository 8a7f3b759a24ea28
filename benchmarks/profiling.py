"""Where a worker spends its time under load: py-spy samples one worker during a load run.

py-spy comes from PyPI in a throwaway virtualenv (``/tmp/bench-tools``, see README.md); it
needs ptrace on the worker (root, or ptrace_scope 0). The raw (collapsed) stacks are kept
beside the results when ``--out`` is given; the notes get the shares of samples by package
(of the innermost frame) and the innermost frames with the most samples.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from common import worker_pids

if TYPE_CHECKING:
    from run import Suite

PY_SPY = Path(os.environ.get("BENCH_PY_SPY", "/tmp/bench-tools/bin/py-spy"))


def summarize(collapsed: str, top: int = 12) -> tuple[list[str], list[str]]:
    """('share package' lines, 'share innermost frame' lines), biggest first."""
    packages: collections.Counter[str] = collections.Counter()
    frames: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        leaf = stack.split(";")[-1]
        samples = int(count)
        total += samples
        frames[leaf] += samples
        path = re.search(r"\((.*?):\d+\)", leaf)
        packages[path.group(1).split("/")[0] if path else "?"] += samples
    share = lambda pairs: [f"{100 * n / total:.0f}% {name}" for name, n in pairs]  # noqa: E731
    return share(packages.most_common(top)), share(frames.most_common(top))


def profile(suite: Suite, master: int, label: str, load: Callable[[], object]) -> None:
    """Sample the first worker for 8 s while ``load`` (bounded, ~12 s) runs in a thread."""
    if not PY_SPY.exists():
        suite.notes.append(f"No profile: {PY_SPY} is missing (see README.md).")
        return
    out = suite.workdir / f"profile-{len(suite.profiles)}.txt"
    runner = threading.Thread(target=load)
    runner.start()
    try:
        spy = subprocess.run(
            [
                str(PY_SPY),
                "record",
                "--pid",
                str(worker_pids(master)[0]),
                "--duration",
                "8",
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
                # Only the thread holding the GIL: the worker's Python CPU. Threads waiting in
                # C (a WAL checkpoint's fsync, aiosqlite's idle queue) would otherwise fill it.
                "--gil",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        runner.join()
    if spy.returncode != 0 or not out.exists():
        suite.notes.append(f"py-spy failed ({label}): {spy.stderr.strip()[-300:]}")
        return
    collapsed = out.read_text()
    suite.profiles[label] = collapsed
    packages, frames = summarize(collapsed)
    suite.notes.append(f"Profile, {label}, samples by package: " + " | ".join(packages))
    suite.notes.append(f"Profile, {label}, innermost frames: " + " | ".join(frames))

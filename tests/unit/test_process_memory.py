"""A served worker caps malloc arenas and freezes its start-up objects (issue 8: RSS, p99).

Checked in a fresh interpreter, after the app's own start-up: freezing this test process
would keep every later test's cyclic garbage forever.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import asyncio, gc, json
from rejoinder import process_memory
from rejoinder.app import serve_app

async def main():
    app = serve_app()
    before = gc.get_freeze_count()
    async with app.router.lifespan_context(app):
        during = gc.get_freeze_count()
    arenas = process_memory.limit_malloc_arenas()
    print(json.dumps({"before": before, "during": during, "arenas": arenas}))

asyncio.run(main())
"""


def run_probe(tmp_path: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "REJOINDER_DATA_DIR": str(tmp_path),
        "REJOINDER_SECRET_KEY": "test-secret-key",
        "REJOINDER_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "REJOINDER_FETCH_ENABLED": "false",
        "REJOINDER_REDIS_URL": "",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return result


def test_a_served_worker_freezes_what_start_up_left(tmp_path: Path) -> None:
    result = run_probe(tmp_path)
    assert result["before"] == 0
    assert isinstance(result["during"], int)
    assert result["during"] > 10_000


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="mallopt(M_ARENA_MAX) is glibc's",
)
def test_a_served_worker_caps_malloc_arenas(tmp_path: Path) -> None:
    assert run_probe(tmp_path)["arenas"] is True


def test_the_test_process_itself_is_not_frozen() -> None:
    # create_app (what the tests use) never freezes; only serve_app's lifespan does.
    import gc

    assert gc.get_freeze_count() == 0

"""The ceiling: a raw ASGI app answering every request with a saved thread response.

No routing, no database, no validation: what uvicorn alone can serve on this machine with
the same body (a 200-comment thread, captured from Rejoinder by run.py into the file named
by BENCH_CEILING_BODY) under the same worker settings.

    BENCH_CEILING_BODY=/tmp/body.json .venv/bin/uvicorn ceiling:app --app-dir benchmarks
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BODY = Path(os.environ["BENCH_CEILING_BODY"]).read_bytes()
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"cache-control", b"private, no-cache"),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})

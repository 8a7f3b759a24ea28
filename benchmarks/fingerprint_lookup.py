"""Syndicated-copy lookups against 100,000 fingerprinted pages: time per lookup.

Migrates a fresh database (SQLite in a temporary directory, or ``--database-url``), seeds
``--pages`` synthetic pages with random MinHash signatures and their LSH bands (plus, for
each probe, a few near-duplicates so that lookups find something), then times ``--lookups``
lookups exactly as the fetch runner does them (`identity.queries.list_candidates`, then
`fingerprints.best_matches`). Prints the query plan, so an index scan is visible, and the
median and 95th percentile.

    .venv/bin/python benchmarks/fingerprint_lookup.py --pages 100000 --lookups 200
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from array import array
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from rejoinder.db import migrate
from rejoinder.db.engine import Database
from rejoinder.identity import fingerprints, queries
from rejoinder.identity.models import PageFingerprint, PageFingerprintBand
from rejoinder.pages.models import Page, PageSnapshot
from rejoinder.settings import Settings

BATCH = 2000
COPIES_PER_PROBE = 3


def random_signature(rng: random.Random) -> bytes:
    return array("I", (rng.getrandbits(32) for _ in range(fingerprints.NUM_PERM))).tobytes()


def near_copy(sig: bytes, rng: random.Random, changed: int = 12) -> bytes:
    """A signature sharing all but ``changed`` values: similarity about 0.9."""
    values = array("I")
    values.frombytes(sig)
    for index in rng.sample(range(len(values)), changed):
        values[index] = rng.getrandbits(32)
    return values.tobytes()


async def seed(db: Database, total: int, probes: list[bytes], rng: random.Random) -> None:
    now = datetime.now(UTC)
    planted = [near_copy(p, rng) for p in probes for _ in range(COPIES_PER_PROBE)]
    page_id = 0
    while page_id < total:
        count = min(BATCH, total - page_id)
        ids = range(page_id + 1, page_id + count + 1)
        sigs = [planted.pop() if planted else random_signature(rng) for _ in ids]
        async with db.write_session() as session:
            await session.execute(
                insert(Page),
                [
                    {"id": i, "key": f"bench.example/{i}", "url": f"https://bench.example/{i}",
                     "created_at": now, "comment_count": 0, "thread_version": 0}
                    for i in ids
                ],
            )  # fmt: skip
            await session.execute(
                insert(PageSnapshot),
                [
                    {"id": i, "page_id": i, "fetched_at": now, "text": "", "sha256": "0" * 64,
                     "length": 0}
                    for i in ids
                ],
            )  # fmt: skip
            await session.execute(
                insert(PageFingerprint),
                [
                    {"page_id": i, "snapshot_id": i, "signature": sig, "computed_at": now}
                    for i, sig in zip(ids, sigs, strict=True)
                ],
            )
            await session.execute(
                insert(PageFingerprintBand),
                [
                    {"page_id": i, "band": band, "bucket_hash": bucket}
                    for i, sig in zip(ids, sigs, strict=True)
                    for band, bucket in fingerprints.bands(sig)
                ],
            )
            await session.commit()
        page_id += count
        print(f"\rseeded {page_id:,} pages", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


async def explain(db: Database, probe: bytes) -> None:
    band, bucket = fingerprints.bands(probe)[0]
    async with db.read_session() as session:
        dialect = session.get_bind().dialect.name
        prefix = "EXPLAIN QUERY PLAN" if dialect == "sqlite" else "EXPLAIN"
        rows = await session.execute(
            text(
                f"{prefix} SELECT page_id FROM page_fingerprint_bands "
                "WHERE band = :band AND bucket_hash = :bucket"
            ),
            {"band": band, "bucket": bucket},
        )
        print("plan:", " | ".join(str(row[-1]) for row in rows.all()))


async def run(args: argparse.Namespace, settings: Settings) -> None:
    rng = random.Random(args.seed)
    db = Database(settings)
    try:
        probes = [random_signature(rng) for _ in range(args.lookups)]
        started = time.perf_counter()
        await seed(db, args.pages, probes, rng)
        print(f"seeding took {time.perf_counter() - started:.1f} s")
        await explain(db, probes[0])
        timings, found = [], []
        for probe in probes:
            begin = time.perf_counter()
            async with db.read_session() as session:
                bands = fingerprints.bands(probe)
                candidates = await queries.list_candidates(session, bands, 0, 200)
            matches = fingerprints.best_matches(probe, candidates)
            timings.append((time.perf_counter() - begin) * 1000)
            found.append(len(matches))
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{args.pages:,} pages, {len(probes)} lookups: median "
            f"{statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, "
            f"max {timings[-1]:.2f} ms; copies found per lookup: "
            f"{statistics.mean(found):.2f} (planted {COPIES_PER_PROBE})"
        )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="Default: a temporary SQLite.")
    args = parser.parse_args()
    if args.pages < args.lookups * COPIES_PER_PROBE:
        parser.error("--pages must leave room for the planted copies")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(database_url=url, secret_key="bench", data_dir=Path(tmp))
        # Alembic runs its own event loop: migrate before ours starts.
        migrate.upgrade(settings)
        asyncio.run(run(args, settings))


if __name__ == "__main__":
    main()

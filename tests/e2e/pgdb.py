"""Create or drop the PostgreSQL database a browser test's server runs on.

``python tests/e2e/pgdb.py create|drop ADMIN_URL NAME`` connects to ADMIN_URL (any database
the user may connect to, like the API tests' ``REJOINDER_TEST_DATABASE_URL``) and creates or
drops the database NAME beside it; ``probe ADMIN_URL`` only connects. The harness
(harness.mjs) calls it: asyncpg is already in the virtualenv, and node has no PostgreSQL
client here.
Exit status 2 means PostgreSQL could not be reached, so the harness can skip instead of fail.
"""

from __future__ import annotations

import asyncio
import re
import sys

import asyncpg

# The harness makes the names; anything else is refused rather than quoted into SQL.
NAME = re.compile(r"^rejoinder_e2e_[a-z0-9_]{1,40}$")


async def run(action: str, admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        if action == "create":
            await conn.execute(f'CREATE DATABASE "{name}"')
        elif action == "drop":
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def main(argv: list[str]) -> int:
    probe = len(argv) == 3 and argv[1] == "probe"
    named = len(argv) == 4 and argv[1] in {"create", "drop"} and NAME.match(argv[3])
    if not (probe or named):
        sys.stderr.write("usage: pgdb.py probe ADMIN_URL | create|drop ADMIN_URL NAME\n")
        return 64
    name = "" if probe else argv[3]
    try:
        asyncio.run(run(argv[1], argv[2], name))
    except (OSError, TimeoutError) as exc:
        sys.stderr.write(f"PostgreSQL at {argv[2]} is not reachable: {exc}\n")
        return 2
    except asyncpg.PostgresError as exc:
        sys.stderr.write(f"PostgreSQL refused to {argv[1]} {name}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

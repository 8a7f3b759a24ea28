"""Fixtures of the command-line tests (``test_cli*.py``): a data directory and a runner."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from rejoinder.accounts.models import Role
from rejoinder.accounts.queries import get_account_by_username
from rejoinder.cli import app
from rejoinder.db.engine import Database
from rejoinder.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory that the CLI uses, as ``REJOINDER_DATA_DIR`` names it."""
    monkeypatch.setenv("REJOINDER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REJOINDER_DATABASE_URL", raising=False)
    # Cheap Argon2, as the API tests' settings have: each `user create` hashes a password.
    monkeypatch.setenv("REJOINDER_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("REJOINDER_PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.setenv("REJOINDER_PASSWORD_PARALLELISM", "1")
    return tmp_path


@pytest.fixture
def migrated(env: Path, sqlite_template: Path) -> Path:
    """The data directory after ``rejoinder migrate`` (a copy of the migrated template).

    For tests whose subject comes after the migration; ``test_cli.py`` runs the command.
    """
    shutil.copyfile(sqlite_template, env / "rejoinder.db")
    return env


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """``cli("user", "create", "kim", stdin="password\\n")`` runs ``rejoinder user create kim``."""
    return run


async def _role(data_dir: Path, username: str) -> Role | None:
    db = Database(Settings(data_dir=data_dir))
    try:
        async with db.read_session() as session:
            account = await get_account_by_username(session, username)
            return account.role if account else None
    finally:
        await db.dispose()


@pytest.fixture
def role_of(env: Path) -> Callable[[str], Role | None]:
    """The role of the account with this username in the data directory, None if none."""
    return lambda username: asyncio.run(_role(env, username))

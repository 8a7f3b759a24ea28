"""The command line: migrate, user create, and their errors."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from rejoinder.accounts.models import Role
from rejoinder.cli import app
from rejoinder.db.engine import Database
from rejoinder.settings import Settings


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("REJOINDER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REJOINDER_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


async def _role(data_dir, username):
    from rejoinder.accounts.queries import get_account_by_username

    db = Database(Settings(data_dir=data_dir))
    try:
        async with db.read_session() as session:
            account = await get_account_by_username(session, username)
            return account.role if account else None
    finally:
        await db.dispose()


def test_migrate_then_create_admin_from_stdin(env):
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert (env / "rejoinder.db").exists()
    result = run("user", "create", "root_admin", "--admin", stdin="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert asyncio.run(_role(env, "root_admin")) is Role.ADMIN
    result = run("user", "create", "plain_user", stdin="another long password\n")
    assert result.exit_code == 0, result.output
    assert asyncio.run(_role(env, "plain_user")) is Role.USER


def test_duplicate_user_fails_cleanly(env):
    run("migrate")
    run("user", "create", "dupe", stdin="a long enough password\n")
    result = run("user", "create", "DUPE", stdin="a long enough password\n")
    assert result.exit_code == 1
    assert "taken" in result.output


@pytest.mark.parametrize(
    ("name", "password"), [("x", "a long enough password"), ("valid_name", "short")]
)
def test_invalid_user_is_refused(env, name, password):
    run("migrate")
    result = run("user", "create", name, stdin=password + "\n")
    assert result.exit_code == 2
    assert asyncio.run(_role(env, name)) is None


def test_migrate_is_idempotent(env):
    assert run("migrate").exit_code == 0
    assert run("migrate").exit_code == 0

"""``rejoinder user role NAME ROLE``: appointing moderators from the command line."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from rejoinder.accounts.models import Role
from rejoinder.accounts.queries import get_account_by_username
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
    db = Database(Settings(data_dir=data_dir))
    try:
        async with db.read_session() as session:
            account = await get_account_by_username(session, username)
            return account.role if account else None
    finally:
        await db.dispose()


def test_appoint_and_demote(env):
    assert run("migrate").exit_code == 0
    assert run("user", "create", "kim", stdin="a long enough password\n").exit_code == 0
    result = run("user", "role", "Kim", "moderator")
    assert result.exit_code == 0, result.output
    assert asyncio.run(_role(env, "kim")) is Role.MODERATOR
    assert run("user", "role", "kim", "user").exit_code == 0
    assert asyncio.run(_role(env, "kim")) is Role.USER


def test_unknown_role_or_user(env):
    run("migrate")
    run("user", "create", "kim", stdin="a long enough password\n")
    result = run("user", "role", "kim", "overlord")
    assert result.exit_code == 2
    assert asyncio.run(_role(env, "kim")) is Role.USER
    result = run("user", "role", "nobody", "admin")
    assert result.exit_code == 1
    assert "No account" in result.output

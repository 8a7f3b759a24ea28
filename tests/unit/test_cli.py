"""The command line: migrate, user create, and their errors (fixtures: ``conftest.py``)."""

from __future__ import annotations

import pytest

from rejoinder.accounts.models import Role


def test_migrate_then_create_admin_from_stdin(env, cli, role_of):
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert (env / "rejoinder.db").exists()
    result = cli("user", "create", "root_admin", "--admin", stdin="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert role_of("root_admin") is Role.ADMIN
    result = cli("user", "create", "plain_user", stdin="another long password\n")
    assert result.exit_code == 0, result.output
    assert role_of("plain_user") is Role.USER


def test_duplicate_user_fails_cleanly(migrated, cli):
    cli("user", "create", "dupe", stdin="a long enough password\n")
    result = cli("user", "create", "DUPE", stdin="a long enough password\n")
    assert result.exit_code == 1
    assert "taken" in result.output


@pytest.mark.parametrize(
    ("name", "password"), [("x", "a long enough password"), ("valid_name", "short")]
)
def test_invalid_user_is_refused(migrated, cli, role_of, name, password):
    result = cli("user", "create", name, stdin=password + "\n")
    assert result.exit_code == 2
    assert role_of(name) is None


def test_migrate_is_idempotent(env, cli):
    assert cli("migrate").exit_code == 0
    assert cli("migrate").exit_code == 0

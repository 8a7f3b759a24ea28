"""``rejoinder user role NAME ROLE``: appointing moderators from the command line."""

from __future__ import annotations

from rejoinder.accounts.models import Role


def test_appoint_and_demote(migrated, cli, role_of):
    assert cli("user", "create", "kim", stdin="a long enough password\n").exit_code == 0
    result = cli("user", "role", "Kim", "moderator")
    assert result.exit_code == 0, result.output
    assert role_of("kim") is Role.MODERATOR
    assert cli("user", "role", "kim", "user").exit_code == 0
    assert role_of("kim") is Role.USER


def test_unknown_role_or_user(migrated, cli, role_of):
    cli("user", "create", "kim", stdin="a long enough password\n")
    result = cli("user", "role", "kim", "overlord")
    assert result.exit_code == 2
    assert role_of("kim") is Role.USER
    result = cli("user", "role", "nobody", "admin")
    assert result.exit_code == 1
    assert "No account" in result.output

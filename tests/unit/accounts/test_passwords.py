"""Argon2 password hashing: round trip, unknown users, parameter upgrades."""

from __future__ import annotations

import pytest

from rejoinder.accounts import passwords
from rejoinder.settings import Settings

pytestmark = pytest.mark.anyio

CHEAP = passwords.Cost(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashing():
    passwords.configure(CHEAP)
    yield
    passwords.configure(CHEAP)


async def test_round_trip():
    hashed = await passwords.hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert await passwords.verify_password(hashed, "correct horse")
    assert not await passwords.verify_password(hashed, "wrong horse")


async def test_unknown_user_and_garbage_hash_never_verify():
    assert not await passwords.verify_password(None, "rejoinder-dummy-password")
    assert not await passwords.verify_password("not a hash", "anything")


async def test_hash_made_with_old_parameters_needs_rehash():
    old = await passwords.hash_password("pw")
    passwords.configure(passwords.Cost(time_cost=2, memory_kib=2048, parallelism=1))
    assert passwords.needs_rehash(old)
    assert await passwords.verify_password(old, "pw")  # old hashes still verify
    assert not passwords.needs_rehash(await passwords.hash_password("pw"))


def test_production_defaults_are_rfc_9106_strength():
    settings = Settings()
    assert (
        settings.password_time_cost,
        settings.password_memory_kib,
        settings.password_parallelism,
    ) == (3, 65536, 4)

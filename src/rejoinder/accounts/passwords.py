"""Password hashing with Argon2id, run off the event loop.

Argon2 is deliberately slow (tens of milliseconds of CPU): it is for passwords at login and
registration only, never for per-request authentication, which uses token digests. Its cost
is an operator setting (``REJOINDER_PASSWORD_TIME_COST``, ``..._MEMORY_KIB``,
``..._PARALLELISM``): a hash made with older parameters is upgraded at the next login.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True, slots=True)
class Cost:
    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


class _State:
    cost = Cost()
    hasher = PasswordHasher()
    # Verified against when the username is unknown, so a wrong username costs as much time
    # as a wrong password and response times do not reveal which accounts exist.
    dummy_hash = hasher.hash("rejoinder-dummy-password")


def configure(cost: Cost) -> None:
    """Use these Argon2 parameters from now on (cheap when they are unchanged)."""
    if cost == _State.cost:
        return
    hasher = PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
    )
    _State.dummy_hash = hasher.hash("rejoinder-dummy-password")
    _State.hasher = hasher
    _State.cost = cost


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_State.hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _State.hasher

    def _verify() -> bool:
        try:
            return hasher.verify(password_hash or _State.dummy_hash, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify)


def needs_rehash(password_hash: str) -> bool:
    return _State.hasher.check_needs_rehash(password_hash)

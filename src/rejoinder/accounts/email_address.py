"""Adding, changing or removing a signed-in account's e-mail address.

The address receives password-reset links and reply e-mails, so changing it is confirmed
with the current password (rate limited like sign-ins: it is a password guess too). It is
validated by the same ``Email`` schema as at registration and stored as typed (the local part
may be case-sensitive); two open accounts may not share it, compared ignoring case, the way
password resets look it up.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts import passwords, queries
from rejoinder.accounts.models import Account
from rejoinder.errors import Conflict, InvalidInput
from rejoinder.moderation.limits import Rate, RateLimiter, enforce
from rejoinder.settings import Settings


def wrong_password() -> InvalidInput:
    return InvalidInput(
        "The current password is wrong.",
        [
            {
                "field": "current_password",
                "reason": "wrong_password",
                "message": "The current password is wrong.",
            }
        ],
    )


def address_taken() -> Conflict:
    return Conflict("Another account uses this e-mail address; choose another one.")


async def set_email(
    session: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    account: Account,
    current_password: str,
    email: str | None,
) -> Account:
    """Store ``email`` (None removes it) after checking the password.

    Raises:
        RateLimited: too many attempts for this account.
        InvalidInput: the current password is wrong (field ``current_password``).
        Conflict: another open account has the address.
    """
    await enforce(
        limiter,
        Rate.parse(settings.login_rate),
        f"login:user:{account.username_key}",
        message="Too many password attempts; try again later.",
    )
    passwords.configure(
        passwords.Cost(
            settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism
        )
    )
    if not await passwords.verify_password(account.password_hash, current_password):
        raise wrong_password()
    address = email.strip() if email is not None else None
    if address and await queries.is_email_taken(session, address, account.id):
        raise address_taken()
    account.email = address or None
    await session.flush()
    return account

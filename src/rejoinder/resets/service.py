"""Password reset: request a link by e-mail address, then set a new password with it.

The rules an attacker would probe:

- The answer to a request is the same whether or not an account has the address, and the
  work done in the request differs only by an insert: the e-mail is sent after the response,
  so its SMTP round trip cannot be timed. Requests are rate limited per client address and
  per e-mail address, so a mailbox cannot be flooded.
- The link carries a 256-bit secret; only its SHA-256 is stored. It works once, for
  `RESET_LIFETIME`, and only while the account is open.
- The link is built from ``settings.public_url``, never from the request's Host header, so
  a forged Host cannot make us mail a link to someone else's server.
- Setting the new password signs every browser session of the account out and spends every
  outstanding reset link of the account.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts import passwords
from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account
from rejoinder.accounts.tokens import new_token, token_digest
from rejoinder.errors import NotFound, RejoinderError
from rejoinder.mailer import Mailer
from rejoinder.moderation.limits import Rate, RateLimiter, enforce
from rejoinder.resets import queries
from rejoinder.resets.models import PasswordReset
from rejoinder.settings import Settings

RESET_LIFETIME = timedelta(hours=1)
# Per client address and per e-mail address: enough for a reader who mistyped twice.
RESET_RATE = Rate(5, 3600)


class MailUnavailable(RejoinderError):
    status = 503
    code = "mail-unavailable"
    title = "E-mail is not set up"


class InvalidResetLink(NotFound):
    code = "invalid-reset-link"
    title = "This reset link is not valid"


class PasswordResetService:
    message: ClassVar[str] = (
        "If an account has this address, a link to reset its password is on its way."
    )

    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        limiter: RateLimiter,
        mailer: Mailer | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.limiter = limiter
        self.mailer = mailer or Mailer(settings)

    async def request(self, email: str, client_ip: str | None = None) -> list[EmailMessage]:
        """Create a link for every open account with ``email``; the messages to send."""
        if not self.mailer.enabled:
            raise MailUnavailable(
                "This site sends no e-mail, so passwords cannot be reset by e-mail. "
                "Ask its operator for help."
            )
        email = email.strip()
        keys = [f"reset:email:{email.lower()}"]
        if client_ip is not None:
            keys.append(f"reset:ip:{client_ip}")
        await enforce(
            self.limiter, RESET_RATE, *keys, message="Too many reset requests; try again later."
        )
        now = clock.now()
        messages = []
        for account in await queries.list_accounts_by_email(self.session, email):
            secret, digest = new_token()
            await queries.insert_reset(
                self.session,
                PasswordReset(
                    account_id=account.id,
                    digest=digest,
                    created_at=now,
                    expires_at=now + RESET_LIFETIME,
                ),
            )
            messages.append(self._message(account, secret))
        return messages

    def _message(self, account: Account, secret: str) -> EmailMessage:
        assert account.email is not None
        link = f"{self.settings.public_url}/reset/{secret}"
        minutes = int(RESET_LIFETIME.total_seconds() // 60)
        text = (
            f"Hello {account.username},\n\n"
            "Someone (we hope you) asked to reset the password of your account.\n"
            f"Choose a new password here within {minutes} minutes:\n\n{link}\n\n"
            "The link works once. If you did not ask, ignore this e-mail: your password "
            "stays as it is.\n"
        )
        return self.mailer.compose(account.email, "Reset your password", text)

    async def _valid(self, secret: str, *, for_update: bool = False) -> PasswordReset:
        if not secret or len(secret) > 100:
            raise InvalidResetLink("This reset link is not valid.")
        reset = await queries.get_reset(self.session, token_digest(secret), for_update=for_update)
        if reset is None or reset.used_at is not None or reset.expires_at <= clock.now():
            raise InvalidResetLink(
                "This reset link has expired or was already used. Ask for a new one."
            )
        return reset

    async def check(self, secret: str) -> None:
        """`InvalidResetLink` unless the link can still be used."""
        await self._valid(secret)

    async def reset(self, secret: str, new_password: str) -> Account:
        """Set the new password, spend the link, sign every session out."""
        reset = await self._valid(secret, for_update=True)
        account = await account_queries.get_account(self.session, reset.account_id)
        if account is None or account.deleted_at is not None:
            raise InvalidResetLink("This reset link is not valid.")
        passwords.configure(
            passwords.Cost(
                self.settings.password_time_cost,
                self.settings.password_memory_kib,
                self.settings.password_parallelism,
            )
        )
        account.password_hash = await passwords.hash_password(new_password)
        reset.used_at = clock.now()
        await self.session.flush()
        # Every other link of this account is spent too, and every session ends: whoever
        # made the reset necessary may be signed in.
        await queries.delete_resets_of_account(self.session, account.id)
        await account_queries.delete_sessions_except(self.session, account.id, "")
        await queries.delete_expired(self.session, clock.now())
        return account

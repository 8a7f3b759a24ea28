"""Registration, login, logout and token authentication."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts import passwords, queries
from rejoinder.accounts.models import Account, ApiToken, Role, TokenKind
from rejoinder.accounts.passwords import hash_password, needs_rehash, verify_password
from rejoinder.accounts.tokens import new_token, token_digest
from rejoinder.comments import queries as comment_queries
from rejoinder.errors import Conflict, InvalidCredentials
from rejoinder.moderation.limits import Rate, RateLimiter, enforce
from rejoinder.pages import queries as page_queries
from rejoinder.settings import Settings

SESSION_LIFETIME = timedelta(days=30)
# Enough for every device and script a person uses; the cap keeps a stolen session from
# minting tokens without bound.
MAX_API_TOKENS = 50


class AccountService:
    def __init__(self, session: AsyncSession, settings: Settings, limiter: RateLimiter) -> None:
        self.session = session
        self.settings = settings
        self.limiter = limiter
        passwords.configure(
            passwords.Cost(
                settings.password_time_cost,
                settings.password_memory_kib,
                settings.password_parallelism,
            )
        )

    async def register(
        self,
        username: str,
        password: str,
        email: str | None = None,
        *,
        role: Role = Role.USER,
        client_ip: str | None = None,
    ) -> Account:
        """Create an account; ``Conflict`` when the name is taken (ignoring case)."""
        if client_ip is not None:
            await enforce(
                self.limiter,
                Rate.parse(self.settings.register_rate),
                f"register:ip:{client_ip}",
                message="Too many accounts were created from your address; try again later.",
            )
        if await queries.get_account_by_username(self.session, username):
            raise Conflict(f"The username {username!r} is taken.")
        account = Account(
            username=username,
            username_key=username.casefold(),
            email=email,
            password_hash=await hash_password(password),
            role=role,
            created_at=clock.now(),
        )
        try:
            async with self.session.begin_nested():
                await queries.insert_account(self.session, account)
        except IntegrityError:
            # Another request registered the same name between our check and insert.
            raise Conflict(f"The username {username!r} is taken.") from None
        return account

    async def login(
        self, username: str, password: str, *, client_ip: str | None = None
    ) -> tuple[Account, str]:
        """Check the password and open a session: (account, bearer secret)."""
        rate = Rate.parse(self.settings.login_rate)
        keys = [f"login:user:{username.casefold()}"]
        if client_ip is not None:
            keys.append(f"login:ip:{client_ip}")
        await enforce(
            self.limiter, rate, *keys, message="Too many sign-in attempts; try again later."
        )
        account = await queries.get_account_by_username(self.session, username)
        hashed = account.password_hash if account and account.deleted_at is None else None
        if not await verify_password(hashed, password) or account is None:
            raise InvalidCredentials("Wrong username or password.")
        if hashed and needs_rehash(hashed):
            account.password_hash = await hash_password(password)
        secret = await self.issue_token(account, TokenKind.SESSION)
        return account, secret

    async def issue_token(self, account: Account, kind: TokenKind, label: str | None = None) -> str:
        secret, _token = await self._issue(account, kind, label)
        return secret

    async def create_api_token(self, account: Account, label: str) -> tuple[str, ApiToken]:
        """A long-lived token for a script or the extension: (secret, stored row)."""
        existing = await queries.list_tokens(self.session, account.id, TokenKind.API)
        if len(existing) >= MAX_API_TOKENS:
            raise Conflict(f"An account may hold at most {MAX_API_TOKENS} API tokens.")
        return await self._issue(account, TokenKind.API, label)

    async def _issue(
        self, account: Account, kind: TokenKind, label: str | None
    ) -> tuple[str, ApiToken]:
        secret, digest = new_token()
        now = clock.now()
        expires = now + SESSION_LIFETIME if kind is TokenKind.SESSION else None
        token = await queries.insert_token(
            self.session, account.id, digest, kind, now, expires, label
        )
        return secret, token

    async def logout(self, secret: str) -> None:
        await queries.delete_token(self.session, token_digest(secret))

    async def authenticate(self, secret: str) -> Account | None:
        return await queries.get_account_by_token(self.session, token_digest(secret), clock.now())

    async def change_password(
        self, account: Account, current: str, new: str, *, keep_session: str | None = None
    ) -> None:
        """Replace the password after checking the current one; other sessions end."""
        await enforce(
            self.limiter,
            Rate.parse(self.settings.login_rate),
            f"login:user:{account.username_key}",
            message="Too many password attempts; try again later.",
        )
        if not await verify_password(account.password_hash, current):
            raise InvalidCredentials("The current password is wrong.")
        account.password_hash = await hash_password(new)
        # Whoever knew the old password may hold a session: only this browser stays in.
        keep = token_digest(keep_session) if keep_session else ""
        await queries.delete_sessions_except(self.session, account.id, keep)
        await self.session.flush()

    async def delete_account(self, account: Account, password: str) -> None:
        """Close an account for good.

        The comments stay where they are, so replies keep their context, but show
        "[deleted]" instead of the name; the profile page goes away; the password, e-mail
        and every session and API token are erased; votes keep counting. The username stays
        reserved so that nobody can take it and appear to have written the old comments.
        """
        await enforce(
            self.limiter,
            Rate.parse(self.settings.login_rate),
            f"login:user:{account.username_key}",
            message="Too many password attempts; try again later.",
        )
        if not await verify_password(account.password_hash, password):
            raise InvalidCredentials("The password is wrong.")
        account.deleted_at = clock.now()
        account.password_hash = None
        account.email = None
        await queries.delete_tokens_of_account(self.session, account.id)
        # Their comments now read "[deleted]": every thread they are in has changed.
        pages = await comment_queries.page_ids_with_comments_by(self.session, author_id=account.id)
        await page_queries.bump_threads(self.session, pages)
        await self.session.flush()

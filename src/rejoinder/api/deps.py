"""Dependencies every API route shares: the database session, the reader, the services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from rejoinder import events
from rejoinder.accounts.models import Account
from rejoinder.accounts.service import AccountService
from rejoinder.clientip import client_ip
from rejoinder.db.engine import Database
from rejoinder.errors import Forbidden, Unauthenticated
from rejoinder.moderation.gate import ModerationGate
from rejoinder.moderation.limits import RateLimiter
from rejoinder.settings import Settings

SESSION_COOKIE = "rejoinder_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Every dependency here is ``async def``, even those that never await: FastAPI runs a plain
# ``def`` dependency in its thread pool, a thread hand-over per dependency per request.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


async def _db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request_transaction(
        request.app.state, request.method not in SAFE_METHODS
    ) as session:
        yield session


@asynccontextmanager
async def request_transaction(
    state: State, write: bool, *, inline: bool = False
) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, before the response.

    Safe methods get a read transaction; the others a write transaction (``BEGIN IMMEDIATE``
    on SQLite; ``inline``: a short one, see ``Database.write_session``). Events recorded
    during the request are handed to the listeners only after the commit succeeded.
    """
    db: Database = state.db
    transaction = db.write_session(inline=inline) if write else db.read_session()
    async with transaction as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            events.drain(session)
            raise
        await session.commit()
        if state.read_cache is not None:
            await state.read_cache.settle()
        committed = events.drain(session)
    # Outside the session block: on SQLite the next writer's turn starts here, not after
    # the listeners.
    for event in committed:
        for listener in state.event_listeners:
            await listener(event)


async def _read_only_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read transaction whatever the method, for POST routes that only read (batch counts):
    on SQLite a write transaction would queue them behind every writer."""
    db: Database = request.app.state.db
    async with db.read_session() as session:
        yield session


# scope="function": the commit happens before the response is sent, so an acknowledged
# write is a committed write.
DbSession = Annotated[AsyncSession, Depends(_db_session, scope="function")]
ReadOnlySession = Annotated[AsyncSession, Depends(_read_only_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]
Limiter = Annotated[RateLimiter, Depends(get_limiter)]


async def get_client_ip(request: Request, settings: AppSettings) -> str:
    return _client_ip(request, settings)


def _client_ip(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else None
    return client_ip(peer, request.headers.get("x-forwarded-for"), settings.proxy_networks)


ClientIp = Annotated[str, Depends(get_client_ip)]


def _bearer(request: Request) -> tuple[str | None, bool]:
    """(secret, came from the cookie)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("Use `Authorization: Bearer <token>`.")
        return secret.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


async def get_viewer(request: Request, session: DbSession) -> Account | None:
    """The signed-in reader, or None. A bad bearer token is an error; a stale cookie is not."""
    return await _viewer(request, session)


async def _viewer(request: Request, session: AsyncSession) -> Account | None:
    secret, from_cookie = _bearer(request)
    if secret is None:
        return None
    # Settings and limiter straight from the app, not as dependencies: FastAPI solves a
    # dependency's whole subtree again wherever it appears, even when its value is cached,
    # and every route with a viewer paid for two more (issue 8).
    settings: Settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.limiter
    if from_cookie and request.method not in SAFE_METHODS:
        _check_same_origin(request, settings)
    account = await AccountService(session, settings, limiter).authenticate(secret)
    if account is None and not from_cookie:
        raise Unauthenticated("This token is invalid or has expired; sign in again.")
    return account


def _check_same_origin(request: Request, settings: AppSettings) -> None:
    # Cookies ride along on cross-site requests a browser is tricked into making; a
    # write that carries the session cookie must come from a page of this instance.
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") not in _own_origins(request, settings):
        raise Forbidden("Cross-site requests cannot use your session.")


def _own_origins(request: Request, settings: AppSettings) -> set[str]:
    return {settings.public_url, f"{request.url.scheme}://{request.url.netloc}"}


Viewer = Annotated[Account | None, Depends(get_viewer)]


async def require_account(viewer: Viewer) -> Account:
    if viewer is None:
        raise Unauthenticated("Sign in first.")
    return viewer


CurrentAccount = Annotated[Account, Depends(require_account)]


async def get_account_service(
    session: DbSession, settings: AppSettings, limiter: Limiter
) -> AccountService:
    return AccountService(session, settings, limiter)


Accounts = Annotated[AccountService, Depends(get_account_service)]


async def get_moderation_gate(
    session: DbSession, settings: AppSettings, limiter: Limiter, ip: ClientIp
) -> ModerationGate:
    """Bans, rate limits, page controls and holds for this request's writes."""
    return ModerationGate(session, settings, limiter, ip)


Gate = Annotated[ModerationGate, Depends(get_moderation_gate)]


@dataclass(slots=True)
class Write:
    """What a comment write needs from its request, solved as one dependency."""

    session: AsyncSession
    settings: Settings
    viewer: Account | None
    gate: ModerationGate

    @property
    def account(self) -> Account:
        """The signed-in writer (``SignedInWrite`` has already refused anyone else)."""
        if self.viewer is None:
            raise Unauthenticated("Sign in first.")
        return self.viewer


async def _write(request: Request) -> AsyncIterator[Write]:
    # The same steps, in the same order, as ``DbSession``, ``Viewer`` and ``Gate`` take as
    # separate dependencies, but FastAPI solves one dependency instead of six (session,
    # settings, viewer, limiter, client address, gate): that solving was ~0.1 ms of the
    # ~1.8 ms of CPU a post costs its worker (issue 8).
    state = request.app.state
    # A comment post (the only user) is a few indexed statements: inline on SQLite.
    write = request.method not in SAFE_METHODS
    async with request_transaction(state, write, inline=True) as session:
        yield await solve_write(request, session, state)


async def _signed_in_write(request: Request) -> AsyncIterator[Write]:
    """``_write`` for routes that need an account (``CurrentAccount``'s 401 before anything)."""
    state = request.app.state
    async with request_transaction(state, request.method not in SAFE_METHODS) as session:
        write = await solve_write(request, session, state)
        if write.viewer is None:
            raise Unauthenticated("Sign in first.")
        yield write


async def solve_write(request: Request, session: AsyncSession, state: State) -> Write:
    viewer = await _viewer(request, session)
    settings: Settings = state.settings
    gate = ModerationGate(session, settings, state.limiter, _client_ip(request, settings))
    return Write(session, settings, viewer, gate)


# scope="function", as ``DbSession``: the commit happens before the response is sent.
CommentWrite = Annotated[Write, Depends(_write, scope="function")]
SignedInWrite = Annotated[Write, Depends(_signed_in_write, scope="function")]

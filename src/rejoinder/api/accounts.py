"""Accounts and sessions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from rejoinder.accounts.email_address import set_email
from rejoinder.accounts.schemas import (
    AccountCreate,
    AccountOut,
    EmailUpdate,
    MeOut,
    SessionCreate,
    SessionOut,
)
from rejoinder.accounts.service import SESSION_LIFETIME
from rejoinder.api.deps import (
    SESSION_COOKIE,
    Accounts,
    AppSettings,
    ClientIp,
    CurrentAccount,
    DbSession,
    Limiter,
)

router = APIRouter(tags=["accounts"])


def _account_out(account: object) -> AccountOut:
    return AccountOut.model_validate(account, from_attributes=True)


@router.post("/accounts", response_model=AccountOut, status_code=status.HTTP_201_CREATED)
async def create_account(body: AccountCreate, accounts: Accounts, ip: ClientIp) -> AccountOut:
    """Register. Sign in afterwards with `POST /sessions`."""
    account = await accounts.register(body.username, body.password, body.email, client_ip=ip)
    return _account_out(account)


@router.post("/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED)
async def create_session(
    body: SessionCreate,
    accounts: Accounts,
    ip: ClientIp,
    settings: AppSettings,
    response: Response,
) -> SessionOut:
    """Sign in: sets the session cookie and returns the same secret as a bearer token."""
    account, secret = await accounts.login(body.username, body.password, client_ip=ip)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return SessionOut(token=secret, account=_account_out(account))


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(
    request: Request, accounts: Accounts, _account: CurrentAccount, settings: AppSettings
) -> Response:
    """Sign out: the token (or cookie) stops working at once."""
    header = request.headers.get("authorization", "")
    secret = header.partition(" ")[2].strip() or request.cookies.get(SESSION_COOKIE, "")
    await accounts.logout(secret)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )
    return response


@router.get("/me", response_model=MeOut)
async def read_me(account: CurrentAccount) -> MeOut:
    """The signed-in account, with its e-mail address."""
    return MeOut.model_validate(account, from_attributes=True)


@router.patch("/me", response_model=MeOut)
async def update_me(
    body: EmailUpdate,
    account: CurrentAccount,
    session: DbSession,
    settings: AppSettings,
    limiter: Limiter,
) -> MeOut:
    """Set, change or remove (null) your e-mail address, confirmed by your current password."""
    await set_email(session, settings, limiter, account, body.current_password, body.email)
    return MeOut.model_validate(account, from_attributes=True)

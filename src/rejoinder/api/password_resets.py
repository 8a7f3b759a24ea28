"""Password reset by e-mail: ask for a link; the link's page sets the new password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, ConfigDict, StringConstraints

from rejoinder.accounts.schemas import Email, Password
from rejoinder.api.deps import AppSettings, ClientIp, DbSession, Limiter
from rejoinder.resets.service import PasswordResetService

router = APIRouter(tags=["accounts"])


class PasswordResetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class PasswordResetAccepted(BaseModel):
    detail: str


class PasswordResetUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Password


@router.post(
    "/password-resets",
    response_model=PasswordResetAccepted,
    status_code=status.HTTP_202_ACCEPTED,
)
async def create_password_reset(
    body: PasswordResetCreate,
    session: DbSession,
    settings: AppSettings,
    limiter: Limiter,
    ip: ClientIp,
    background: BackgroundTasks,
) -> PasswordResetAccepted:
    """E-mail a reset link; the answer is the same whether or not the address is known."""
    service = PasswordResetService(session, settings, limiter)
    messages = await service.request(body.email, client_ip=ip)
    # Sent after the response (and so after the commit): no SMTP time to measure.
    background.add_task(service.mailer.send_logged, messages)
    return PasswordResetAccepted(detail=PasswordResetService.message)


@router.post("/password-resets/use", status_code=status.HTTP_204_NO_CONTENT)
async def use_password_reset(
    body: PasswordResetUse, session: DbSession, settings: AppSettings, limiter: Limiter
) -> None:
    """Set a new password with the token from the e-mailed link; every session ends."""
    await PasswordResetService(session, settings, limiter).reset(body.token, body.password)

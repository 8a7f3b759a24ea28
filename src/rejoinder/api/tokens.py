"""Long-lived API tokens for scripts and the browser extension."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, StringConstraints

from rejoinder.accounts import queries
from rejoinder.accounts.models import TokenKind
from rejoinder.api.deps import Accounts, CurrentAccount, DbSession
from rejoinder.errors import NotFound

router = APIRouter(tags=["accounts"])


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class TokenOut(BaseModel):
    id: int
    label: str | None
    created_at: datetime


class NewTokenOut(TokenOut):
    token: str


@router.post("/tokens", response_model=NewTokenOut, status_code=status.HTTP_201_CREATED)
async def create_token(
    body: TokenCreate, accounts: Accounts, account: CurrentAccount
) -> NewTokenOut:
    """Create an API token; its secret is shown only in this answer."""
    secret, token = await accounts.create_api_token(account, body.label)
    return NewTokenOut(id=token.id, label=token.label, created_at=token.created_at, token=secret)


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(account: CurrentAccount, session: DbSession) -> list[TokenOut]:
    """Your API tokens (never their secrets)."""
    tokens = await queries.list_tokens(session, account.id, TokenKind.API)
    return [TokenOut(id=t.id, label=t.label, created_at=t.created_at) for t in tokens]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: Annotated[int, Path(gt=0, le=2**62)], account: CurrentAccount, session: DbSession
) -> Response:
    """Revoke an API token at once."""
    if not await queries.delete_token_of(session, account.id, token_id):
        raise NotFound(f"You have no token with id {token_id}.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)

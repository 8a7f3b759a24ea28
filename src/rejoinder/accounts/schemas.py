"""What the account endpoints accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rejoinder.accounts.models import Role

Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$"),
    Field(description="3 to 32 letters, digits or underscores; unique ignoring case."),
]
# Long passphrases are welcome; the cap only stops hashing megabytes on every attempt.
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]
Email = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    email: Email | None = None


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class AccountOut(BaseModel):
    id: int
    username: str
    role: Role
    created_at: datetime


class MeOut(AccountOut):
    """The signed-in account as it sees itself: with its e-mail address."""

    email: str | None = Field(description="For password resets and reply e-mails; may be null.")


class EmailUpdate(BaseModel):
    """Set, change (a string) or remove (null) the address; the current password confirms."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    account: AccountOut

"""User request and response bodies."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from app.schemas import LINE, Name, PatchBody, RequestBody, ResponseBody
from app.security.passwords import MIN_PASSWORD_LENGTH
from app.security.policy import Role

Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"),
    LINE,
    AfterValidator(str.lower),
]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=256), LINE]


class UserCreate(RequestBody):
    username: Username
    full_name: Name
    password: Password
    role: Role
    agency_id: uuid.UUID | None = Field(default=None, description="Required for partners.")
    active: bool = True


class UserUpdate(PatchBody):
    full_name: Name = None
    password: Password | None = Field(default=None, description="Setting it revokes the user's tokens.")
    role: Role = None
    agency_id: uuid.UUID | None = None
    active: bool = Field(default=None, description="Deactivating revokes the user's tokens.")


class UserRead(ResponseBody):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    agency_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PasswordChange(RequestBody):
    current_password: Annotated[str, Field(max_length=256), LINE]
    new_password: Password


class MeRead(ResponseBody):
    kind: Literal["user", "client"]
    id: uuid.UUID
    name: str
    role: Role
    agency_id: uuid.UUID | None
    permissions: list[str]

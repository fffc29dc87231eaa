"""API client request and response bodies."""

import uuid
from datetime import datetime

from pydantic import Field

from app.schemas import Name, PatchBody, RequestBody, ResponseBody
from app.security.policy import Role


class ClientCreate(RequestBody):
    name: Name
    role: Role
    agency_id: uuid.UUID | None = Field(default=None, description="Required for partners.")
    active: bool = True


class ClientUpdate(PatchBody):
    name: Name = None
    role: Role = None
    agency_id: uuid.UUID | None = None
    active: bool = Field(default=None, description="Deactivating revokes the client's tokens.")


class ClientRead(ResponseBody):
    id: uuid.UUID
    client_id: str
    name: str
    role: Role
    agency_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(ClientRead):
    client_secret: str = Field(description="Shown once; store it now. Only a hash is kept.")

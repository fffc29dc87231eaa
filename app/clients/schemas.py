"""API client request and response bodies."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, IPvAnyNetwork, field_validator

from app.schemas import Name, PatchBody, RequestBody, ResponseBody
from app.security.policy import Role


def _no_mapped(networks: list[Any] | None) -> list[Any] | None:
    """An IPv4-mapped IPv6 network (::ffff:a.b.c.d) never matches: callers arrive as IPv4."""
    for network in networks or ():
        if network.version == 6 and network.network_address.ipv4_mapped is not None:
            raise ValueError(f"write {network} as its IPv4 network")
    return networks


NETWORKS_DOC = (
    "Source networks (CIDR) the client may sign in and call from, e.g. the partner's server; "
    "a token used from elsewhere is refused as if it were unknown. Null: any address."
)
Networks = Annotated[list[IPvAnyNetwork] | None, AfterValidator(_no_mapped)]


class ClientCreate(RequestBody):
    name: Name
    role: Role
    agency_id: uuid.UUID | None = Field(default=None, description="Required for partners.")
    active: bool = True
    allowed_networks: Networks = Field(default=None, max_length=32, description=NETWORKS_DOC)


class ClientUpdate(PatchBody):
    name: Name = None
    role: Role = None
    agency_id: uuid.UUID | None = None
    active: bool = Field(default=None, description="Deactivating revokes the client's tokens.")
    allowed_networks: Networks = Field(default=None, max_length=32, description=NETWORKS_DOC)


def stored_networks(networks: list[Any] | None) -> str | None:
    """The column's form of a network list: canonical CIDRs, space-separated (None: any address)."""
    return None if networks is None else " ".join(str(network) for network in networks)


class ClientRead(ResponseBody):
    id: uuid.UUID
    client_id: str
    name: str
    role: Role
    agency_id: uuid.UUID | None
    active: bool
    allowed_networks: list[str] | None = Field(description=NETWORKS_DOC)
    version: int
    created_at: datetime
    updated_at: datetime

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return value.split() if isinstance(value, str) else value


class ClientWithSecret(ClientRead):
    client_secret: str = Field(description="Shown once; store it now. Only a hash is kept.")

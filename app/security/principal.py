"""Who is calling: a user or an API client, with the request it came in."""

import uuid
from dataclasses import dataclass
from typing import Literal

from app.privacy.purpose import Purpose
from app.security.policy import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller of one request; services receive it to check and to audit."""

    kind: Literal["user", "client", "system"]
    id: uuid.UUID
    role: Role
    agency_id: uuid.UUID | None
    token_id: uuid.UUID
    request_id: str | None = None
    client_ip: str | None = None
    # The purpose code the request names (X-Purpose); only staff may lift a restriction with it.
    purpose: Purpose | None = None
    # The caller's own X-Request-ID (checked), and the address the connection came from (a proxy's
    # when the client's address was forwarded).
    correlation_id: str | None = None
    peer_ip: str | None = None

    @property
    def is_partner(self) -> bool:
        return self.role is Role.partner

    @property
    def lifts_restriction(self) -> bool:
        """Whether this request may read restricted records: staff who named a purpose, never partners."""
        return self.purpose is not None and not self.is_partner


def system_actor(request_id: str = "cli") -> Actor:
    """The actor of admin commands run on the server (python -m app ...), as the audit trail names it."""
    return Actor(
        kind="system",
        id=uuid.UUID(int=0),
        role=Role.admin,
        agency_id=None,
        token_id=uuid.UUID(int=0),
        request_id=request_id,
    )

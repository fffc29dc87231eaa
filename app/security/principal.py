"""Who is calling: a user or an API client, with the request it came in."""

import uuid
from dataclasses import dataclass
from typing import Literal

from app.security.policy import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller of one request; services receive it to check and to audit."""

    kind: Literal["user", "client"]
    id: uuid.UUID
    role: Role
    agency_id: uuid.UUID | None
    token_id: uuid.UUID
    request_id: str | None = None
    client_ip: str | None = None

    @property
    def is_partner(self) -> bool:
        return self.role is Role.partner

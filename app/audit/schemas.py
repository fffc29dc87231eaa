"""Audit event response body."""

import uuid
from datetime import datetime

from app.schemas import ResponseBody


class AuditEventRead(ResponseBody):
    id: uuid.UUID
    occurred_at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_role: str | None
    agency_id: uuid.UUID | None
    action: str
    resource_type: str | None
    resource_id: str | None
    person_ids: list[uuid.UUID]
    request_id: str | None
    correlation_id: str | None
    client_ip: str | None
    peer_ip: str | None
    outcome: str
    status_code: int | None
    reason: str | None

"""Audit event response body."""

import uuid
from datetime import datetime

from pydantic import Field

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


class ChainBreak(ResponseBody):
    kind: str = Field(
        description="seal_missing, seal_altered, event_altered, events_changed, anchor_mismatch or _forged",
    )
    seal: int | None = Field(description="The seal where the chain breaks (none: after the last seal).")
    event_id: uuid.UUID | None
    detail: str


class ChainVerification(ResponseBody):
    ok: bool
    seals: int
    sealed_events: int
    unsealed_events: int = Field(description="Events after the last seal, checked by their own row hash.")
    anchors: int = Field(description="Anchored heads (REINTEGRASI_AUDIT_ANCHOR_FILE) found in the chain.")
    first_break: ChainBreak | None

"""The audit trail, read-only: no route changes or deletes an event."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime

from app.audit import chain, service
from app.audit.schemas import AuditEventRead, ChainVerification
from app.db import SessionDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get("", response_model=Page[AuditEventRead])
async def list_audit_events(
    session: SessionDep,
    actor: Permitted("audit:read"),
    page: PageDep,
    actor_id: uuid.UUID | None = None,
    resource_type: Annotated[str | None, Query(max_length=40)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    person_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Literal["success", "denied"] | None = None,
    since: Annotated[AwareDatetime | None, Query(description="Events at or after this instant.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Events before this instant.")] = None,
) -> Page[AuditEventRead]:
    """Search the audit trail by actor, resource, person, action, outcome and time."""
    items, cursor = await service.list_events(
        session,
        page,
        actor_id=actor_id,
        resource_type=resource_type,
        resource_id=resource_id,
        person_id=person_id,
        action=action,
        outcome=outcome,
        since=since,
        until=until,
    )
    return Page.of(items, cursor, AuditEventRead)


@router.get("/verification", response_model=ChainVerification)
async def verify_audit_chain(
    request: Request, session: SessionDep, actor: Permitted("audit:verify")
) -> ChainVerification:
    """Check the audit trail's seals, every event's row hash and the anchored heads; the first break."""
    settings = request.app.state.settings
    anchors = chain.read_anchors(settings.audit_anchor_file) if settings.audit_anchor_file else []
    verification = await chain.verify(session, settings, anchors)
    return ChainVerification.model_validate(verification.as_dict())

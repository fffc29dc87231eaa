"""Bulk access that touches NIK: a stated purpose, and (by setting) a second staff approval.

An export with plain NIK is asked for (POST /export-requests, with X-Purpose), approved by
another staff member, then downloaded once by whoever asked. Each step is audited; the export's
own audit event names the purpose and the approver beside the requester (its actor).
"""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.bulk.models import ExportRequest
from app.bulk.schemas import ExportRequestCreate
from app.config import Settings
from app.db import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.persons.service import PersonFilters
from app.privacy.purpose import PURPOSE_CODES, PURPOSE_HEADER
from app.security.principal import Actor


class PurposeRequired(AppError):
    status, slug, title = 428, "purpose-required", "Purpose required"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} touches NIK: name its purpose in {PURPOSE_HEADER} ({PURPOSE_CODES}).")


# What an operation that may touch NIK in bulk declares in the document, beside the conventions'.
PURPOSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    PurposeRequired.status: {"description": f"Bulk access to NIK names its purpose in {PURPOSE_HEADER}."}
}


class ApprovalRequired(Forbidden):
    slug, title = "approval-required", "Second approval required"


class ExportRequestNotFound(NotFound):
    slug, title = "export-request-not-found", "Export request not found"


class ExportRequestUnavailable(Conflict):
    slug, title = "export-request-unavailable", "Export request not available"


def require_purpose(actor: Actor, what: str) -> str:
    """The purpose code of a bulk access that touches NIK; 428 without one."""
    if actor.purpose is None:
        raise PurposeRequired(what)
    return actor.purpose.value


def check_direct_export(actor: Actor, settings: Settings) -> str:
    """The audit reason of an export with plain NIK run at once; 403 when it needs an approval."""
    purpose = require_purpose(actor, "An export with plain NIK")
    if settings.bulk_nik_approval:
        raise ApprovalRequired(
            "An export with plain NIK needs a second staff approval: POST /api/v1/export-requests, "
            "have another officer or admin approve it, then download it once.",
            resource_type="export_request",
        )
    return f"purpose={purpose}"


def touches_nik(raw: bytes) -> bool:
    """Whether an import file has a non-empty `nik` (or `kk_number`) cell."""
    text = raw.decode("utf-8-sig", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(rows, [])]
    columns = [i for i, name in enumerate(header) if name in ("nik", "kk_number")]
    return any(any(i < len(row) and row[i].strip() for i in columns) for row in rows) if columns else False


def filters_of(request: ExportRequest) -> PersonFilters:
    data: dict[str, Any] = dict(request.filters)
    for name in ("site_id", "referred_agency_id"):
        if data.get(name):
            data[name] = uuid.UUID(data[name])
    return PersonFilters(**data)


async def create(
    session: AsyncSession, actor: Actor, body: ExportRequestCreate, settings: Settings
) -> ExportRequest:
    """A pending export with plain NIK, awaiting another staff member's approval."""
    purpose = require_purpose(actor, "An export with plain NIK")
    request = ExportRequest(
        requester_kind=actor.kind,
        requester_id=actor.id,
        purpose=purpose,
        filters=body.model_dump(mode="json", exclude_none=True),
        include_nik=True,
        status="pending",
        expires_at=utcnow() + timedelta(hours=settings.export_request_ttl_hours),
    )
    session.add(request)
    await audit.record_change(
        session,
        actor,
        "export_request.create",
        request,
        resource_type="export_request",
        reason=f"purpose={purpose}",
    )
    return request


async def get(session: AsyncSession, request_id: uuid.UUID) -> ExportRequest:
    request = await session.get(ExportRequest, request_id)
    if request is None:
        raise ExportRequestNotFound(resource_type="export_request", resource_id=request_id)
    return request


async def approve(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> ExportRequest:
    """The second approval: by staff other than the requester, of a pending, unexpired request."""
    request = await get(session, request_id)
    if request.requester_id == actor.id:
        raise Forbidden("The approval must come from another staff member.", resource_type="export_request")
    approved = await session.execute(
        update(ExportRequest)
        .where(
            ExportRequest.id == request_id,
            ExportRequest.status == "pending",
            ExportRequest.expires_at > utcnow(),
        )
        .values(status="approved", approver_id=actor.id, approved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not approved.rowcount:
        raise ExportRequestUnavailable("Only a pending, unexpired request can be approved.")
    await session.refresh(request)
    await audit.record(
        session, actor, "export_request.approve", resource_type="export_request", resource_id=request.id,
        reason=f"requested_by={request.requester_id}; purpose={request.purpose}",
    )  # fmt: skip
    return request


async def claim_download(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> ExportRequest:
    """Mark an approved request downloaded, once, by its requester (others: 404)."""
    request = await get(session, request_id)
    if request.requester_id != actor.id:
        raise ExportRequestNotFound(resource_type="export_request", resource_id=request_id)
    # One UPDATE decides: two concurrent downloads cannot both see it approved.
    claimed = await session.execute(
        update(ExportRequest)
        .where(
            ExportRequest.id == request_id,
            ExportRequest.status == "approved",
            ExportRequest.expires_at > utcnow(),
        )
        .values(status="downloaded", downloaded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:
        raise ExportRequestUnavailable("The export is not approved, expired, or was downloaded already.")
    await session.refresh(request)
    return request


def export_reason(request: ExportRequest) -> str:
    """The export's audit reason: both actors (the event's actor is the requester) and the purpose."""
    return f"purpose={request.purpose}; approved_by={request.approver_id}; export_request={request.id}"

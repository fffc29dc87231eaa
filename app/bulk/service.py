"""Bulk access that touches NIK: a stated purpose, and (by setting) a second staff approval.

An export with plain NIK is asked for (POST /export-requests, with X-Purpose), approved by
another staff member, then downloaded once by whoever asked; an import of a file with NIK goes
the same way (POST /import-requests, app/bulk/imports.py). Both are one `BulkRequest` with a
`kind`, sharing the approval and the atomic claim here. Each step is audited; the export's (or
import's) own audit event names the purpose and the approver beside the requester (its actor).
"""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.bulk.models import BulkRequest
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


class ImportRequestNotFound(NotFound):
    slug, title = "import-request-not-found", "Import request not found"


class ImportRequestUnavailable(Conflict):
    slug, title = "import-request-unavailable", "Import request not available"


EXPORT, IMPORT = "export", "import"
# The status a request of each kind takes when it is used, once.
CLAIMED = {EXPORT: "downloaded", IMPORT: "imported"}


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
    first_line = next(iter(text.splitlines()), "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # newline="": the csv module itself reads \n, \r\n and a bare \r, as the import does.
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(rows, [])]
        columns = [i for i, name in enumerate(header) if name in ("nik", "kk_number")]
        return bool(columns) and any(any(i < len(row) and row[i].strip() for i in columns) for row in rows)
    except csv.Error:
        return True  # a file it cannot read is treated as holding NIK: the import's checks then speak


def filters_of(request: BulkRequest) -> PersonFilters:
    data: dict[str, Any] = dict(request.filters)
    for name in ("site_id", "referred_agency_id"):
        if data.get(name):
            data[name] = uuid.UUID(data[name])
    return PersonFilters(**data)


async def create(
    session: AsyncSession, actor: Actor, body: ExportRequestCreate, settings: Settings
) -> BulkRequest:
    """A pending export with plain NIK, awaiting another staff member's approval."""
    purpose = require_purpose(actor, "An export with plain NIK")
    request = new_request(
        actor, EXPORT, purpose, settings, filters=body.model_dump(mode="json", exclude_none=True)
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


def new_request(actor: Actor, kind: str, purpose: str, settings: Settings, **fields: Any) -> BulkRequest:
    """A pending request of `kind` by `actor`, open for approval for `export_request_ttl_hours`."""
    return BulkRequest(
        kind=kind,
        requester_kind=actor.kind,
        requester_id=actor.id,
        purpose=purpose,
        include_nik=True,
        status="pending",
        expires_at=utcnow() + timedelta(hours=settings.export_request_ttl_hours),
        **{"filters": {}} | fields,
    )


async def get(session: AsyncSession, request_id: uuid.UUID, kind: str = EXPORT) -> BulkRequest:
    """The request of `kind` with this id (404: none, or one of the other kind)."""
    request = await session.get(BulkRequest, request_id)
    if request is not None and request.kind == kind:
        return request
    if kind == IMPORT:
        raise ImportRequestNotFound(resource_type="import_request", resource_id=request_id)
    raise ExportRequestNotFound(resource_type="export_request", resource_id=request_id)


async def approve(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, kind: str = EXPORT
) -> BulkRequest:
    """The second approval: by staff other than the requester, of a pending, unexpired request."""
    request = await get(session, request_id, kind)
    resource_type = "import_request" if kind == IMPORT else "export_request"
    # A person approves: an API client's secret sits in some system, often its requester's own.
    if actor.kind != "user" or request.requester_id == actor.id:
        raise Forbidden("The approval must come from another staff member.", resource_type=resource_type)
    approved = await session.execute(
        update(BulkRequest)
        .where(
            BulkRequest.id == request_id,
            BulkRequest.status == "pending",
            BulkRequest.expires_at > utcnow(),
        )
        .values(status="approved", approver_id=actor.id, approved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not approved.rowcount:
        if kind == IMPORT:
            raise ImportRequestUnavailable("Only a pending, unexpired request can be approved.")
        raise ExportRequestUnavailable("Only a pending, unexpired request can be approved.")
    await session.refresh(request)
    await audit.record(
        session, actor, resource_type + ".approve", resource_type=resource_type, resource_id=request.id,
        reason=f"requested_by={request.requester_id}; purpose={request.purpose}",
    )  # fmt: skip
    return request


async def claim(session: AsyncSession, request: BulkRequest) -> bool:
    """Mark an approved, unexpired request used; False when it is not (one UPDATE decides).

    Two concurrent claims cannot both see it approved: the second waits for the first's row lock
    (PostgreSQL) or the single writer (SQLite), then finds it used. In the caller's transaction,
    so a download or import that fails afterwards gives the request back.
    """
    claimed = await session.execute(
        update(BulkRequest)
        .where(
            BulkRequest.id == request.id,
            BulkRequest.kind == request.kind,
            BulkRequest.status == "approved",
            BulkRequest.expires_at > utcnow(),
        )
        .values(status=CLAIMED[request.kind], claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:
        return False
    await session.refresh(request)
    return True


async def claim_download(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> BulkRequest:
    """Mark an approved request downloaded, once, by its requester (others: 404)."""
    request = await get(session, request_id)
    if request.requester_id != actor.id:
        raise ExportRequestNotFound(resource_type="export_request", resource_id=request_id)
    if not await claim(session, request):
        raise ExportRequestUnavailable("The export is not approved, expired, or was downloaded already.")
    return request


def export_reason(request: BulkRequest) -> str:
    """The audit reason of a request's use: both actors (the event's actor is the requester), the purpose."""
    return (
        f"purpose={request.purpose}; approved_by={request.approver_id}; {request.kind}_request={request.id}"
    )

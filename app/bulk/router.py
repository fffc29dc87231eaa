"""Export and import requests: bulk access with NIK, asked for by one staff member, approved by another."""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.bulk import flags, imports, service, volume
from app.bulk.schemas import ExportRequestCreate, ExportRequestRead, ImportRequestCreate, ImportRequestRead
from app.conventions import FILE_HEADERS
from app.db import SessionDep
from app.persons import csv_io
from app.persons import service as person_service
from app.security.deps import Permitted

router = APIRouter(prefix="/export-requests", tags=["persons"])
import_router = APIRouter(prefix="/import-requests", tags=["persons"])
__all__ = [
    "flags",
    "import_router",
    "router",
]  # flags: registered with the volume counter when the app is built


@router.post("", status_code=201, response_model=ExportRequestRead, responses=service.PURPOSE_RESPONSES)
async def create_export_request(
    request: Request, body: ExportRequestCreate, session: SessionDep, actor: Permitted("persons:bulk")
) -> ExportRequestRead:
    """Ask for an export with plain NIK (X-Purpose required); another staff member approves it."""
    created = await service.create(session, actor, body, request.app.state.settings)
    return ExportRequestRead.model_validate(created)


@router.get("/{request_id}", response_model=ExportRequestRead)
async def get_export_request(
    request_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:bulk")
) -> ExportRequestRead:
    """One export request and where it stands."""
    return ExportRequestRead.model_validate(await service.get(session, request_id))


@router.post("/{request_id}/approval", response_model=ExportRequestRead)
async def approve_export_request(
    request_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:bulk")
) -> ExportRequestRead:
    """Approve another staff member's export request (never your own)."""
    return ExportRequestRead.model_validate(await service.approve(session, actor, request_id))


@router.get(
    "/{request_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "headers": FILE_HEADERS},
        409: {"description": "Not approved, expired, or downloaded already."},
    }
    | volume.PAUSED_RESPONSES,
)
async def download_export(
    request: Request, request_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:bulk")
) -> StreamingResponse:
    """The approved export, with plain NIK, once, for whoever asked for it. Audited with both actors."""
    claimed = await service.claim_download(session, actor, request_id)
    ids = await person_service.export_ids(
        session, actor, service.filters_of(claimed), reason=service.export_reason(claimed)
    )
    return StreamingResponse(
        csv_io.stream_export(request.app.state.sessionmaker, ids, include_nik=True),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="persons.csv"'},
    )


@import_router.post(
    "", status_code=201, response_model=ImportRequestRead, responses=service.PURPOSE_RESPONSES
)
async def create_import_request(
    request: Request, body: ImportRequestCreate, session: SessionDep, actor: Permitted("persons:bulk")
) -> ImportRequestRead:
    """Ask to import one file with NIK (its SHA-256; X-Purpose required); another staff member approves."""
    created = await imports.create(session, actor, body, request.app.state.settings)
    return ImportRequestRead.model_validate(created)


@import_router.get("/{request_id}", response_model=ImportRequestRead)
async def get_import_request(
    request_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:bulk")
) -> ImportRequestRead:
    """One import request and where it stands."""
    return ImportRequestRead.model_validate(await service.get(session, request_id, service.IMPORT))


@import_router.post("/{request_id}/approval", response_model=ImportRequestRead)
async def approve_import_request(
    request_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:bulk")
) -> ImportRequestRead:
    """Approve another staff member's import request (never your own)."""
    approved = await service.approve(session, actor, request_id, service.IMPORT)
    return ImportRequestRead.model_validate(approved)

"""The registry of persons: records, status lifecycle, history, referrals and data-subject rights."""

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from app.audit.schemas import AuditEventRead
from app.bulk import imports as bulk_imports
from app.bulk import service as bulk
from app.bulk import volume
from app.conventions import FILE_HEADERS, IfMatchDep, etag, json_response, plain_json, set_etag
from app.db import SessionDep, utcnow
from app.errors import InvalidInput
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.persons import csv_io, presenter, service
from app.persons import imports as import_service
from app.persons.queries import PersonFilters
from app.persons.reader import SessionPersonReader, reader_for
from app.persons.schemas import (
    AnyPersonRead,
    ChangeRead,
    DataExport,
    ImportReport,
    PersonCreate,
    PersonRead,
    PersonSearch,
    PersonUpdate,
    ReferralCreate,
    RestrictionCreate,
    StatusChange,
)
from app.persons.service import Found
from app.persons.transitions import Status
from app.privacy import flows as privacy_flows
from app.privacy import service as privacy_service
from app.regions.schemas import RegionCode
from app.schemas import Line, UpdatedSince
from app.security.deps import Permitted, ReadPermitted
from app.security.principal import Actor

router = APIRouter(prefix="/persons", tags=["persons"])

PersonRef = Annotated[uuid.UUID, "The person's id (partners: their agency's own id for the person)."]


async def _filters(
    site_id: uuid.UUID | None = None,
    status: Status | None = None,
    origin_region_code: Annotated[RegionCode | None, Query()] = None,
    origin_province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    domicile_region_code: Annotated[RegionCode | None, Query()] = None,
    identity_verified: bool | None = None,
    referred_agency_id: uuid.UUID | None = None,
    q: Annotated[Line | None, Query(max_length=100, description="Part of the name or alias.")] = None,
    updated_since: UpdatedSince = None,
) -> PersonFilters:
    """The list filters of a query string (a NIK never: POST /persons/search takes it in its body)."""
    return PersonFilters(
        site_id,
        status,
        origin_region_code,
        origin_province_code,
        domicile_region_code,
        identity_verified,
        referred_agency_id,
        q,
        None,
        updated_since,
    )


FiltersDep = Annotated[PersonFilters, Depends(_filters)]


async def _view(
    session: SessionDep, actor: Actor, found: Found, warnings: list[str] | None = None
) -> AnyPersonRead:
    if found.referrals is not None:
        referrals = {found.person.id: found.referrals}
    else:
        referrals = await SessionPersonReader(session, actor).active_referrals([found.person.id])
    return presenter.present(found, actor, referrals, warnings)


@router.get("", response_model=Page[AnyPersonRead], responses=volume.PAUSED_RESPONSES)
async def list_persons(read: ReadPermitted("persons:read"), page: PageDep, filters: FiltersDep) -> Response:
    """List the persons you may see; restricted records only for staff naming a purpose (X-Purpose)."""
    async with read as access:
        persons = reader_for(access)
        found, cursor = await persons.page(page, filters)
        referrals = await persons.active_referrals(_ids(found))
    return _page(found, cursor, access.actor, referrals)


@router.post("/search", response_model=Page[AnyPersonRead], responses=volume.PAUSED_RESPONSES)
async def search_persons(
    body: PersonSearch, session: SessionDep, actor: Permitted("persons:read"), page: PageDep
) -> Response:
    """GET /persons with the filters in the body: the one way to look a person up by NIK."""
    # The same query, view and audit event as the list; on the session, so that the caller is
    # checked before the body and an anonymous caller is 401 whatever it sends.
    persons = SessionPersonReader(session, actor)
    found, cursor = await persons.page(page, PersonFilters(**body.model_dump()))
    return _page(found, cursor, actor, await persons.active_referrals(_ids(found)))


def _ids(found: list[Found]) -> list[uuid.UUID]:
    return [f.person.id for f in found]


def _page(found: list[Found], cursor: str | None, actor: Actor, referrals: dict[uuid.UUID, Any]) -> Response:
    """Page[AnyPersonRead] of the views' fields, serialized without building their models (hot path)."""
    return json_response(plain_json(Page.of(presenter.page_fields(found, actor, referrals), cursor)))


@router.post("", status_code=201, response_model=PersonRead)
async def create_person(
    body: PersonCreate, session: SessionDep, actor: Permitted("persons:write"), idem: IdempotencyDep
) -> Response:
    """Register a person; `warnings` lists NIK disagreements that were accepted."""
    person, warnings = await service.create(session, actor, body)
    view = presenter.for_staff_or_auditor(person, actor, [], warnings)
    return await idem.created(view, "get_person", person_id=person.id, version=person.version)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "headers": FILE_HEADERS}}
    | bulk.PURPOSE_RESPONSES
    | volume.PAUSED_RESPONSES,
)
async def export_csv(
    request: Request,
    session: SessionDep,
    actor: Permitted("persons:bulk"),
    filters: FiltersDep,
    include_nik: Annotated[
        bool, Query(description="Plain NIK and KK number: X-Purpose, and approval.")
    ] = False,
):
    """The registry as CSV (streamed; restricted left out; formula cells escaped; NIK masked). Audited."""
    # With `include_nik=true` it needs an X-Purpose code and, by setting, goes through
    # POST /api/v1/export-requests for a second staff approval instead (the parameter says so).
    reason = bulk.check_direct_export(actor, request.app.state.settings) if include_nik else None
    ids = await service.export_ids(session, actor, filters, reason=reason)
    return StreamingResponse(
        csv_io.stream_export(request.app.state.sessionmaker, ids, include_nik),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="persons.csv"'},
    )


# The app-wide body limit (1 MiB) would otherwise apply to imports. A route's own limit is fixed
# when this module is imported, so it cannot follow an app's settings: the handler enforces the
# running app's `max_upload_bytes` itself, while reading (see `_read_upload`).
_NO_ROUTE_LIMIT = 2**62


async def _read_upload(request: Request) -> bytes:
    """The request body; 413 as soon as it is over the app's `max_upload_bytes`."""
    limit = request.app.state.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise import_service.UploadTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise import_service.UploadTooLarge(limit)
    return bytes(body)


async def _read_csv(request: Request) -> bytes:
    """The file of an import: the body itself (`text/csv`), or a form's `file` field."""
    raw = await _read_upload(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return raw

    async def replay() -> dict[str, Any]:  # the body read (and size-checked) above, once more
        return {"type": "http.request", "body": raw, "more_body": False}

    async with Request(request.scope, replay).form(max_files=1, max_fields=0) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput([(("body", "file"), "a multipart import needs the CSV in the field `file`")])
        return await upload.read()


IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "title": "PersonImportForm",
                "properties": {"file": {"type": "string", "format": "binary", "description": "The CSV."}},
                "required": ["file"],
            }
        },
    },
}


@router.post(
    "/import",
    response_model=ImportReport,
    max_body_size=_NO_ROUTE_LIMIT,
    description=csv_io.import_description(),
    openapi_extra={"requestBody": IMPORT_BODY},
    responses=bulk.PURPOSE_RESPONSES
    | {
        404: {"description": "`import_request` names no import request of yours."},
        413: {"description": "The file is over the upload limit (`max_upload_bytes`)."},
        422: {
            "description": "Every error as `{row, column, message}` (row 1 is the header), up to "
            "1000, with `error_count`; nothing was written.",
        },
    },
)
async def import_csv(
    request: Request,
    session: SessionDep,
    actor: Permitted("persons:bulk"),
    site_id: uuid.UUID,
    dry_run: bool = False,
    import_request: Annotated[
        uuid.UUID | None,
        Query(description="An approved import request for this file (POST /import-requests)."),
    ] = None,
) -> ImportReport:
    """Import persons from CSV (UTF-8, `,` or `;`): all rows or none; `dry_run=true` only validates."""
    # A file with NIK names its purpose (X-Purpose) and, with `bulk_nik_import_approval`, runs only
    # with an approved import request of the caller for this site and these bytes (app/bulk/imports.py).
    raw = await _read_csv(request)
    settings = request.app.state.settings
    reason = await bulk_imports.check(session, actor, site_id, raw, import_request, settings, dry_run=dry_run)
    # Compared with the registry, a dry run would tell which of a file's NIKs are registered
    # without the second approval: with it on, only the approved import compares them.
    blind = dry_run and settings.bulk_nik_import_approval and reason is not None
    report = await import_service.run_import(
        session, actor, site_id, raw, dry_run=dry_run, reason=reason, registry=not blind
    )
    return report.model_copy(update={"file_sha256": bulk_imports.file_sha256(raw)})


@router.get(
    "/import/template.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "Every import column, one example row.",
            "headers": FILE_HEADERS,
        }
    },
)
async def import_template(actor: Permitted("persons:bulk")) -> Response:
    """A CSV to fill in for `POST /persons/import`: the columns, and one synthetic example row."""
    headers = {"Content-Disposition": 'attachment; filename="persons-import-template.csv"'}
    return Response(csv_io.template(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{person_id}", response_model=AnyPersonRead, responses=volume.PAUSED_RESPONSES)
async def get_person(person_id: PersonRef, read: ReadPermitted("persons:read")) -> Response:
    """One person, as your role may see it (the read is audited)."""
    async with read as access:
        found = await reader_for(access).get(person_id)
    view = presenter.fields(found, access.actor, {found.person.id: found.referrals or []})
    return json_response(plain_json(view), headers={"ETag": etag(found.person.version)})


@router.patch("/{person_id}", response_model=PersonRead)
async def update_person(
    person_id: uuid.UUID,
    body: PersonUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("persons:write"),
    response: Response,
) -> AnyPersonRead:
    """Change a person's fields (not the status); needs If-Match. Each change enters the history."""
    person, warnings = await service.update(session, actor, person_id, body, expected)
    set_etag(response, person.version)
    return await _view(session, actor, Found(person, None), warnings)


@router.post("/{person_id}/status-changes", response_model=PersonRead)
async def change_status(
    person_id: uuid.UUID,
    body: StatusChange,
    session: SessionDep,
    actor: Permitted("persons:write"),
    response: Response,
) -> AnyPersonRead:
    """Change the status along the lifecycle; an illegal change is 409 listing the allowed ones."""
    person = await service.change_status(
        session, actor, person_id, body.to_status, body.reason, body.occurred_on
    )
    set_etag(response, person.version)
    return await _view(session, actor, Found(person, None))


@router.get("/{person_id}/history", response_model=list[ChangeRead], responses=volume.PAUSED_RESPONSES)
async def person_history(
    person_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:history")
) -> list[ChangeRead]:
    """Every change of status and of any field: what, from, to, by whom, when (NIK masked)."""
    changes = await service.history(session, actor, person_id)
    return [presenter.change(c, actor) for c in changes]


@router.post("/{person_id}/referrals", status_code=201, response_model=PersonRead)
async def refer_person(
    person_id: uuid.UUID,
    body: ReferralCreate,
    session: SessionDep,
    actor: Permitted("persons:write"),
    idem: IdempotencyDep,
) -> Response:
    """Refer a person to an agency, whose partners then see the person (masked, under their own id)."""
    await service.refer(session, actor, person_id, body.agency_id, body.reason)
    found = await service.find(session, actor, person_id)
    view = await _view(session, actor, found)
    return await idem.created(view, "get_person", person_id=person_id, version=found.person.version)


@router.delete("/{person_id}/referrals/{agency_id}", status_code=204)
async def end_referral(
    person_id: uuid.UUID, agency_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:write")
) -> None:
    """Withdraw a referral: that agency's partners no longer see the person."""
    await privacy_flows.end_referral(session, actor, person_id, agency_id)


@router.get("/{person_id}/access-log", response_model=Page[AuditEventRead])
async def access_log(
    person_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("persons:history"),
    page: PageDep,
) -> Page[AuditEventRead]:
    """Who read or changed this record, when, from which client."""
    events, cursor = await service.access_log(session, actor, person_id, page)
    return Page.of(events, cursor, AuditEventRead)


@router.get(
    "/{person_id}/data-export",
    response_model=DataExport,
    responses={200: {"headers": FILE_HEADERS}} | volume.PAUSED_RESPONSES,
)
async def data_export(
    person_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:rights")
) -> Response:
    """The data subject's copy (UU PDP): the record, its history and its access log, as JSON."""
    found = await SessionPersonReader(session, actor).get(person_id)
    changes = await service.history(session, actor, person_id)
    events = await service.all_access_events(session, found.person.id)
    document = {
        "exported_at": utcnow().isoformat(),
        "person": (await _view(session, actor, found)).model_dump(mode="json"),
        "history": [presenter.change(c, actor).model_dump(mode="json") for c in changes],
        "access_log": [AuditEventRead.model_validate(e).model_dump(mode="json") for e in events],
        # Every row the personal-data inventory links to the person, in every table.
        "records": await privacy_service.subject_rows(session, found.person.id),
    }
    headers = {"Content-Disposition": f'attachment; filename="person-{person_id}.json"'}
    return json_response(orjson.dumps(document, default=str), headers=headers)


@router.post("/{person_id}/restriction", response_model=PersonRead)
async def restrict(
    person_id: uuid.UUID, body: RestrictionCreate, session: SessionDep, actor: Permitted("persons:rights")
) -> AnyPersonRead:
    """Restrict processing: left out of exports, partner statistics and bulk evaluations."""
    person = await service.set_restriction(session, actor, person_id, body.reason)
    return await _view(session, actor, Found(person, None))


@router.delete("/{person_id}/restriction", response_model=PersonRead)
async def lift_restriction(
    person_id: uuid.UUID, session: SessionDep, actor: Permitted("persons:rights")
) -> AnyPersonRead:
    """Lift a restriction of processing."""
    person = await service.set_restriction(session, actor, person_id, None)
    return await _view(session, actor, Found(person, None))


@router.post("/{person_id}/erasure", response_model=PersonRead)
async def erase(
    person_id: uuid.UUID, body: RestrictionCreate, session: SessionDep, actor: Permitted("persons:erase")
) -> AnyPersonRead:
    """Erase identity and contact data (admin); the pseudonymous skeleton stays for counts and audit."""
    person = await privacy_flows.erase_person(session, actor, person_id)
    return await _view(session, actor, Found(person, None))

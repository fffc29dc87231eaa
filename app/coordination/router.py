"""Origin-region coordination: cases, correspondence, repatriation batches and assistance."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.conventions import IfMatchDep, set_etag
from app.coordination import assistance as assistance_service
from app.coordination import case_persons, journey, service
from app.coordination import repatriations as batch_service
from app.coordination.models import Coordination, Repatriation
from app.coordination.schemas import (
    Arrival,
    AssistanceCreate,
    AssistanceRead,
    AssistanceStatus,
    AssistanceTotals,
    AssistanceType,
    AssistanceUpdate,
    Cancellation,
    CasePersonRead,
    CoordinationCreate,
    CoordinationRead,
    CoordinationStatus,
    CoordinationSummary,
    CoordinationUpdate,
    CorrespondenceCreate,
    CorrespondenceRead,
    CorrespondenceUpdate,
    Departure,
    FundingSource,
    GenerateRequest,
    GenerateResult,
    Handover,
    MemberAdd,
    MemberRead,
    RepatriationCreate,
    RepatriationRead,
    RepatriationStatus,
    RepatriationUpdate,
    TotalsGroup,
)
from app.db import SessionDep
from app.idempotency.deps import Idempotency, IdempotencyDep
from app.pagination import Page, PageDep
from app.persons.transitions import Status
from app.regions.schemas import RegionCode
from app.schemas import UpdatedSince
from app.security.deps import Permitted
from app.security.principal import Actor

coordinations = APIRouter(prefix="/coordinations", tags=["coordinations"])
repatriations = APIRouter(prefix="/repatriations", tags=["repatriations"])
assistance = APIRouter(tags=["assistance"])


# --- coordination cases -------------------------------------------------------------------


async def case_filters(
    site_id: uuid.UUID | None = None,
    region_code: Annotated[RegionCode | None, Query()] = None,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    status: CoordinationStatus | None = None,
    counterpart_agency_id: uuid.UUID | None = None,
    updated_since: UpdatedSince = None,
) -> service.CaseFilters:
    return service.CaseFilters(
        site_id, region_code, province_code, status, counterpart_agency_id, updated_since
    )


@coordinations.get("", response_model=Page[CoordinationRead])
async def list_coordinations(
    session: SessionDep,
    actor: Permitted("coordinations:read"),
    page: PageDep,
    filters: Annotated[service.CaseFilters, Depends(case_filters)],
) -> Page[CoordinationRead]:
    """List coordination cases (partners: those their agency is the counterpart of)."""
    items, cursor = await service.list_cases(session, actor, page, filters)
    return Page.of(await service.read(session, actor, items), cursor)


@coordinations.post("", status_code=201, response_model=CoordinationRead)
async def create_coordination(
    body: CoordinationCreate,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    idem: IdempotencyDep,
) -> Response:
    """Open a case for a site and an origin regency/city."""
    case = await service.create(session, actor, body)
    [view] = await service.read(session, actor, [case])
    return await idem.created(view, "get_coordination", coordination_id=case.id, version=case.version)


@coordinations.post("/generate", response_model=GenerateResult)
async def generate_coordinations(
    body: GenerateRequest, session: SessionDep, actor: Permitted("coordinations:write"), idem: IdempotencyDep
) -> Response:
    """Create the missing case of every origin regency of a site's persons (safe to repeat)."""
    created, existing = await service.generate(session, actor, body.site_id)
    views = await service.read(session, actor, created)
    # No one resource: a replay reads the site's cases, which then all exist.
    result = GenerateResult(created=views, existing=existing)
    return await idem.respond(result, "list_coordinations", query={"site_id": body.site_id})


@coordinations.get("/summary", response_model=CoordinationSummary)
async def coordination_summary(
    session: SessionDep, actor: Permitted("coordinations:summary"), site_id: uuid.UUID
) -> CoordinationSummary:
    """Counts of a site's persons per origin province and regency, by status, with each case."""
    return await service.summary(session, site_id)


@coordinations.get("/{coordination_id}", response_model=CoordinationRead)
async def get_coordination(
    coordination_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:read"),
    response: Response,
) -> CoordinationRead:
    """One case, with counts of its persons by status."""
    case = await service.get(session, actor, coordination_id)
    set_etag(response, case.version)
    [view] = await service.read(session, actor, [case])
    return view


@coordinations.patch("/{coordination_id}", response_model=CoordinationRead)
async def update_coordination(
    coordination_id: uuid.UUID,
    body: CoordinationUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    response: Response,
) -> CoordinationRead:
    """Change a case's counterpart, status or notes; needs If-Match."""
    case = await service.update(session, actor, coordination_id, body, expected)
    set_etag(response, case.version)
    [view] = await service.read(session, actor, [case])
    return view


@coordinations.get("/{coordination_id}/persons", response_model=Page[CasePersonRead])
async def list_case_persons(
    coordination_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:read"),
    page: PageDep,
    status: Status | None = None,
) -> Page[CasePersonRead]:
    """The case's persons, NIK masked (partners: those on the way home, under their own ids)."""
    items, cursor = await case_persons.list_persons(session, actor, coordination_id, page, status=status)
    return Page.of(items, cursor)


@coordinations.get("/{coordination_id}/persons/{person_id}", response_model=CasePersonRead)
async def get_case_person(
    coordination_id: uuid.UUID,
    person_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:read"),
) -> CasePersonRead:
    """One person of the case (partners: by their agency's id for the person). Audited."""
    return await case_persons.get_person(session, actor, coordination_id, person_id)


@coordinations.get("/{coordination_id}/correspondence", response_model=Page[CorrespondenceRead])
async def list_correspondence(
    coordination_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:read"),
    page: PageDep,
    updated_since: UpdatedSince = None,
) -> Page[CorrespondenceRead]:
    """The case's letters, e-mails, calls and meetings, in the order recorded."""
    items, cursor = await service.list_correspondence(session, actor, coordination_id, page, updated_since)
    return Page.of(items, cursor, CorrespondenceRead)


@coordinations.post("/{coordination_id}/correspondence", status_code=201, response_model=CorrespondenceRead)
async def add_correspondence(
    coordination_id: uuid.UUID,
    body: CorrespondenceCreate,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    idem: IdempotencyDep,
) -> Response:
    """Record a letter (with its nomor surat), e-mail, call or meeting of the case."""
    item = await service.add_correspondence(session, actor, coordination_id, body)
    view = CorrespondenceRead.model_validate(item)
    ids = {"coordination_id": coordination_id, "correspondence_id": item.id}
    return await idem.created(view, "get_correspondence", **ids, version=item.version)


@coordinations.get("/{coordination_id}/correspondence/{correspondence_id}", response_model=CorrespondenceRead)
async def get_correspondence(
    coordination_id: uuid.UUID,
    correspondence_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:read"),
    response: Response,
) -> CorrespondenceRead:
    """One item of correspondence."""
    item = await service.get_correspondence(session, actor, coordination_id, correspondence_id)
    set_etag(response, item.version)
    return CorrespondenceRead.model_validate(item)


@coordinations.patch(
    "/{coordination_id}/correspondence/{correspondence_id}", response_model=CorrespondenceRead
)
async def update_correspondence(
    coordination_id: uuid.UUID,
    correspondence_id: uuid.UUID,
    body: CorrespondenceUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    response: Response,
) -> CorrespondenceRead:
    """Correct an item of correspondence; needs If-Match."""
    item = await service.update_correspondence(
        session, actor, coordination_id, correspondence_id, body, expected
    )
    set_etag(response, item.version)
    return CorrespondenceRead.model_validate(item)


# --- repatriation batches -----------------------------------------------------------------


async def batch_filters(
    coordination_id: uuid.UUID | None = None,
    status: RepatriationStatus | None = None,
    region_code: Annotated[RegionCode | None, Query()] = None,
    updated_since: UpdatedSince = None,
) -> batch_service.BatchFilters:
    return batch_service.BatchFilters(coordination_id, status, region_code, updated_since)


@repatriations.get("", response_model=Page[RepatriationRead])
async def list_repatriations(
    session: SessionDep,
    actor: Permitted("coordinations:read"),
    page: PageDep,
    filters: Annotated[batch_service.BatchFilters, Depends(batch_filters)],
) -> Page[RepatriationRead]:
    """List travel batches (partners: those of their agency's cases)."""
    items, cursor = await batch_service.list_batches(session, actor, page, filters)
    return Page.of(items, cursor)


@repatriations.post("", status_code=201, response_model=RepatriationRead)
async def create_repatriation(
    body: RepatriationCreate,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    idem: IdempotencyDep,
) -> Response:
    """Plan a travel batch of a case, with its members (verified or awaiting return, in no other batch)."""
    batch, case = await batch_service.create(session, actor, body)
    view = await batch_service.read(session, actor, batch, case)
    return await idem.created(view, "get_repatriation", repatriation_id=batch.id, version=batch.version)


@repatriations.get("/{repatriation_id}", response_model=RepatriationRead)
async def get_repatriation(
    repatriation_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:read"),
    response: Response,
) -> RepatriationRead:
    """One batch with its members."""
    batch, case = await batch_service.get(session, actor, repatriation_id)
    set_etag(response, batch.version)
    return await batch_service.read(session, actor, batch, case)


@repatriations.patch("/{repatriation_id}", response_model=RepatriationRead)
async def update_repatriation(
    repatriation_id: uuid.UUID,
    body: RepatriationUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    response: Response,
) -> RepatriationRead:
    """Change a batch's travel details, escort, cost or funding; needs If-Match."""
    batch, case = await batch_service.update(session, actor, repatriation_id, body, expected)
    set_etag(response, batch.version)
    return await batch_service.read(session, actor, batch, case)


@repatriations.get("/{repatriation_id}/members", response_model=Page[MemberRead])
async def list_members(
    repatriation_id: uuid.UUID, session: SessionDep, actor: Permitted("coordinations:read"), page: PageDep
) -> Page[MemberRead]:
    """The batch's members with their current status."""
    items, cursor = await batch_service.list_members(session, actor, repatriation_id, page)
    return Page.of(items, cursor)


@repatriations.post("/{repatriation_id}/members", status_code=201, response_model=RepatriationRead)
async def add_member(
    repatriation_id: uuid.UUID,
    body: MemberAdd,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    idem: IdempotencyDep,
) -> Response:
    """Add a person to a planned batch; another region's person needs `override_reason` (audited)."""
    batch, case = await batch_service.add_member(
        session, actor, repatriation_id, body.person_id, body.override_reason
    )
    view = await batch_service.read(session, actor, batch, case)
    return await idem.created(view, "get_repatriation", repatriation_id=batch.id, version=batch.version)


@repatriations.delete("/{repatriation_id}/members/{person_id}", status_code=204)
async def remove_member(
    repatriation_id: uuid.UUID,
    person_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
) -> None:
    """Take a person out of a planned batch (the person keeps waiting to return)."""
    await batch_service.remove_member(session, actor, repatriation_id, person_id)


async def _answer(
    session: AsyncSession, actor: Actor, idem: Idempotency, batch: Repatriation, case: Coordination
) -> Response:
    """The batch after an action, stored for Idempotency-Key replays."""
    view = await batch_service.read(session, actor, batch, case)
    return await idem.respond(view, "get_repatriation", repatriation_id=batch.id, version=batch.version)


@repatriations.post("/{repatriation_id}/depart", response_model=RepatriationRead)
async def depart(
    repatriation_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    idem: IdempotencyDep,
    body: Departure | None = None,
) -> Response:
    """The batch departs: every member becomes repatriated (all or none)."""
    batch, case = await journey.depart(session, actor, repatriation_id, body or Departure())
    return await _answer(session, actor, idem, batch, case)


@repatriations.post("/{repatriation_id}/arrive", response_model=RepatriationRead)
async def arrive(
    repatriation_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("repatriations:confirm"),
    idem: IdempotencyDep,
    body: Arrival | None = None,
) -> Response:
    """Confirm the batch's arrival (staff, or the counterpart agency)."""
    batch, case = await journey.arrive(session, actor, repatriation_id, body or Arrival())
    return await _answer(session, actor, idem, batch, case)


@repatriations.post("/{repatriation_id}/handover", response_model=RepatriationRead)
async def handover(
    repatriation_id: uuid.UUID,
    body: Handover,
    session: SessionDep,
    actor: Permitted("repatriations:confirm"),
    idem: IdempotencyDep,
) -> Response:
    """Confirm the handover (serah terima, with its berita acara): every member becomes handed_over."""
    batch, case = await journey.handover(session, actor, repatriation_id, body)
    return await _answer(session, actor, idem, batch, case)


@repatriations.post("/{repatriation_id}/cancel", response_model=RepatriationRead)
async def cancel(
    repatriation_id: uuid.UUID,
    body: Cancellation,
    session: SessionDep,
    actor: Permitted("coordinations:write"),
    idem: IdempotencyDep,
) -> Response:
    """Cancel a planned or departed batch: members who had left are awaiting return again."""
    batch, case = await journey.cancel(session, actor, repatriation_id, body)
    return await _answer(session, actor, idem, batch, case)


# --- assistance ---------------------------------------------------------------------------


async def assistance_filters(
    program_id: uuid.UUID | None = None,
    type: AssistanceType | None = None,  # the field's name in the API
    status: AssistanceStatus | None = None,
    funding_source: FundingSource | None = None,
    updated_since: UpdatedSince = None,
) -> assistance_service.AssistanceFilters:
    return assistance_service.AssistanceFilters(None, program_id, type, status, funding_source, updated_since)


AssistanceFiltersDep = Annotated[assistance_service.AssistanceFilters, Depends(assistance_filters)]


def _with_person(
    f: assistance_service.AssistanceFilters, person_id: uuid.UUID | None
) -> assistance_service.AssistanceFilters:
    return assistance_service.AssistanceFilters(
        person_id, f.program_id, f.type, f.status, f.funding_source, f.updated_since
    )


@assistance.get("/persons/{person_id}/assistance", response_model=Page[AssistanceRead])
async def list_person_assistance(
    person_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("assistance:read"),
    page: PageDep,
    filters: AssistanceFiltersDep,
) -> Page[AssistanceRead]:
    """A person's assistance records."""
    items, cursor = await assistance_service.list_for_person(session, actor, person_id, page, filters)
    return Page.of(items, cursor, AssistanceRead)


@assistance.post("/persons/{person_id}/assistance", status_code=201, response_model=AssistanceRead)
async def create_assistance(
    person_id: uuid.UUID,
    body: AssistanceCreate,
    session: SessionDep,
    actor: Permitted("assistance:write"),
    idem: IdempotencyDep,
) -> Response:
    """Record assistance for a person (whole rupiah); pem_fund needs an eligible determination."""
    record = await assistance_service.create(session, actor, person_id, body)
    view = AssistanceRead.model_validate(record)
    return await idem.created(view, "get_assistance", assistance_id=record.id, version=record.version)


@assistance.get("/assistance", response_model=Page[AssistanceRead])
async def list_assistance(
    session: SessionDep,
    actor: Permitted("assistance:read"),
    page: PageDep,
    filters: AssistanceFiltersDep,
    person_id: uuid.UUID | None = None,
) -> Page[AssistanceRead]:
    """List assistance records by program, type, status, funding source or person."""
    items, cursor = await assistance_service.list_records(
        session, actor, page, _with_person(filters, person_id)
    )
    return Page.of(items, cursor, AssistanceRead)


@assistance.get("/assistance/totals", response_model=AssistanceTotals)
async def assistance_totals(
    session: SessionDep,
    actor: Permitted("assistance:read"),
    filters: AssistanceFiltersDep,
    group_by: TotalsGroup,
    person_id: uuid.UUID | None = None,
) -> AssistanceTotals:
    """Planned and paid totals in rupiah per person, program, funding source or type (cancelled left out)."""
    return await assistance_service.totals(session, actor, group_by, _with_person(filters, person_id))


@assistance.get("/assistance/{assistance_id}", response_model=AssistanceRead)
async def get_assistance(
    assistance_id: uuid.UUID, session: SessionDep, actor: Permitted("assistance:read"), response: Response
) -> AssistanceRead:
    """One assistance record."""
    record = await assistance_service.read(session, actor, assistance_id)
    set_etag(response, record.version)
    return AssistanceRead.model_validate(record)


@assistance.patch("/assistance/{assistance_id}", response_model=AssistanceRead)
async def update_assistance(
    assistance_id: uuid.UUID,
    body: AssistanceUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("assistance:write"),
    response: Response,
) -> AssistanceRead:
    """Pay, cancel or correct an assistance record; needs If-Match."""
    record = await assistance_service.update(session, actor, assistance_id, body, expected)
    set_etag(response, record.version)
    return AssistanceRead.model_validate(record)

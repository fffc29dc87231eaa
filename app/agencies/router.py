"""Agencies: OPD, NGOs (LSM), police units and others."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.agencies import service
from app.agencies.schemas import AgencyCreate, AgencyKind, AgencyRead, AgencyUpdate
from app.conventions import IfMatchDep, set_etag
from app.db import SessionDep
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.regions.schemas import RegionCode
from app.schemas import Text, UpdatedSince
from app.security.deps import Permitted

router = APIRouter(prefix="/agencies", tags=["agencies"])


@router.get("", response_model=Page[AgencyRead])
async def list_agencies(
    session: SessionDep,
    actor: Permitted("agencies:read"),
    page: PageDep,
    kind: AgencyKind | None = None,
    active: bool | None = None,
    region_code: Annotated[RegionCode | None, Query()] = None,
    q: Annotated[Text | None, Query(max_length=100, description="Part of the name or acronym.")] = None,
    updated_since: UpdatedSince = None,
) -> Page[AgencyRead]:
    """List agencies, filtered by kind, activity, region or part of the name."""
    items, cursor = await service.list_agencies(
        session, page, kind=kind, active=active, region_code=region_code, q=q, updated_since=updated_since
    )
    return Page.of(items, cursor, AgencyRead)


@router.post("", status_code=201, response_model=AgencyRead)
async def create_agency(
    body: AgencyCreate, session: SessionDep, actor: Permitted("agencies:write"), idem: IdempotencyDep
) -> Response:
    """Register an agency."""
    agency = await service.create(session, actor, body)
    return await idem.created(
        AgencyRead.model_validate(agency), "get_agency", agency_id=agency.id, version=agency.version
    )


@router.get("/{agency_id}", response_model=AgencyRead)
async def get_agency(
    agency_id: uuid.UUID, session: SessionDep, actor: Permitted("agencies:read"), response: Response
) -> AgencyRead:
    """One agency."""
    agency = await service.get(session, agency_id)
    set_etag(response, agency.version)
    return AgencyRead.model_validate(agency)


@router.patch("/{agency_id}", response_model=AgencyRead)
async def update_agency(
    agency_id: uuid.UUID,
    body: AgencyUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("agencies:write"),
    response: Response,
) -> AgencyRead:
    """Change an agency; needs If-Match with its ETag."""
    agency = await service.update(session, actor, agency_id, body, expected)
    set_etag(response, agency.version)
    return AgencyRead.model_validate(agency)


@router.delete("/{agency_id}", status_code=204)
async def delete_agency(
    agency_id: uuid.UUID, session: SessionDep, actor: Permitted("agencies:write")
) -> None:
    """Delete an agency that nothing refers to (else 409: deactivate it instead)."""
    await service.delete(session, actor, agency_id)

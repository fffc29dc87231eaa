"""Census rounds (pendataan) at a site: who was counted present, and what changed since the last round."""

import uuid

from fastapi import APIRouter, Response

from app.censuses import service
from app.censuses.schemas import CensusCreate, CensusRead, ObservationBatch, ObservationResult, Reconciliation
from app.db import SessionDep
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted

router = APIRouter(prefix="/sites/{site_id}/censuses", tags=["censuses"])


@router.get("", response_model=Page[CensusRead])
async def list_censuses(
    site_id: uuid.UUID, session: SessionDep, actor: Permitted("censuses:read"), page: PageDep
) -> Page[CensusRead]:
    """The census rounds of a site."""
    items, cursor = await service.list_rounds(session, site_id, page)
    return Page.of(items, cursor, CensusRead)


@router.post("", status_code=201, response_model=CensusRead)
async def create_census(
    site_id: uuid.UUID,
    body: CensusCreate,
    session: SessionDep,
    actor: Permitted("censuses:write"),
    idem: IdempotencyDep,
) -> Response:
    """Open a census round (e.g. initial, final)."""
    census = await service.create(session, actor, site_id, body)
    return await idem.created(
        CensusRead.model_validate(census),
        "get_census",
        site_id=site_id,
        census_id=census.id,
        version=census.version,
    )


@router.get("/{census_id}", response_model=CensusRead)
async def get_census(
    site_id: uuid.UUID, census_id: uuid.UUID, session: SessionDep, actor: Permitted("censuses:read")
) -> CensusRead:
    """One census round."""
    return CensusRead.model_validate(await service.get(session, site_id, census_id))


@router.post("/{census_id}/observations", response_model=ObservationResult)
async def record_observations(
    site_id: uuid.UUID,
    census_id: uuid.UUID,
    body: ObservationBatch,
    session: SessionDep,
    actor: Permitted("censuses:write"),
) -> ObservationResult:
    """Record many persons present or absent; absence flags a person but does not change the status."""
    return await service.record(session, actor, site_id, census_id, body.observations)


@router.get("/{census_id}/reconciliation", response_model=Reconciliation)
async def reconciliation(
    site_id: uuid.UUID, census_id: uuid.UUID, session: SessionDep, actor: Permitted("censuses:read")
) -> Reconciliation:
    """Compared with the round before: who is still present, who is missing, who is new; counts by status."""
    return await service.reconcile(session, actor, site_id, census_id)

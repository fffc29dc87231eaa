"""Sites (lokalisasi) and their closure."""

import uuid

from fastapi import APIRouter, Response

from app.conventions import IfMatchDep, set_etag
from app.db import SessionDep
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.schemas import UpdatedSince
from app.security.deps import Permitted
from app.sites import service
from app.sites.schemas import SiteCreate, SiteRead, SiteStatus, SiteUpdate

router = APIRouter(prefix="/sites", tags=["sites"])


@router.get("", response_model=Page[SiteRead])
async def list_sites(
    session: SessionDep,
    actor: Permitted("sites:read"),
    page: PageDep,
    status: SiteStatus | None = None,
    updated_since: UpdatedSince = None,
) -> Page[SiteRead]:
    """List sites."""
    items, cursor = await service.list_sites(session, page, status=status, updated_since=updated_since)
    return Page.of(items, cursor, SiteRead)


@router.post("", status_code=201, response_model=SiteRead)
async def create_site(
    body: SiteCreate, session: SessionDep, actor: Permitted("sites:write"), idem: IdempotencyDep
) -> Response:
    """Register a site."""
    site = await service.create(session, actor, body)
    return await idem.created(
        SiteRead.model_validate(site), "get_site", site_id=site.id, version=site.version
    )


@router.get("/{site_id}", response_model=SiteRead)
async def get_site(
    site_id: uuid.UUID, session: SessionDep, actor: Permitted("sites:read"), response: Response
) -> SiteRead:
    """One site."""
    site = await service.get(session, site_id)
    set_etag(response, site.version)
    return SiteRead.model_validate(site)


@router.patch("/{site_id}", response_model=SiteRead)
async def update_site(
    site_id: uuid.UUID,
    body: SiteUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("sites:write"),
    response: Response,
) -> SiteRead:
    """Change a site (status, closure dates, notes); needs If-Match."""
    site = await service.update(session, actor, site_id, body, expected)
    set_etag(response, site.version)
    return SiteRead.model_validate(site)

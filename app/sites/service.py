"""Sites: the lokalisasi being closed."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.conventions import check_version
from app.errors import Conflict, InvalidInput, NotFound
from app.pagination import PageParams, paginate_rows
from app.regions import service as region_service
from app.security.principal import Actor
from app.sites.models import Site
from app.sites.schemas import SiteCreate, SiteStatus, SiteUpdate


class SiteNotFound(NotFound):
    slug, title = "site-not-found", "Site not found"


async def get(session: AsyncSession, site_id: uuid.UUID) -> Site:
    site = await session.get(Site, site_id)
    if site is None:
        raise SiteNotFound(resource_type="site", resource_id=site_id)
    return site


async def require(session: AsyncSession, site_id: uuid.UUID, field: str = "site_id") -> Site:
    """The site named in a request body or query, else 422 naming the field."""
    site = await session.get(Site, site_id)
    if site is None:
        raise InvalidInput([(("body", field), "unknown site")])
    return site


async def create(session: AsyncSession, actor: Actor, data: SiteCreate) -> Site:
    await region_service.require_code(session, data.region_code, "region_code", level="regency")
    if await session.scalar(select(Site.id).where(Site.code == data.code)):
        raise Conflict("A site with this code exists.")
    site = Site(**data.model_dump())
    session.add(site)
    await audit.record_change(session, actor, "site.create", site, resource_type="site")
    return site


async def update(
    session: AsyncSession, actor: Actor, site_id: uuid.UUID, data: SiteUpdate, expected: int
) -> Site:
    site = await get(session, site_id)
    check_version(expected, site.version)
    changes = data.model_dump(exclude_unset=True)
    if "region_code" in changes:
        await region_service.require_code(session, changes["region_code"], "region_code", level="regency")
    for field, value in changes.items():
        setattr(site, field, value)
    if site.closure_announced_on and site.closed_on and site.closed_on < site.closure_announced_on:
        raise InvalidInput([(("body", "closed_on"), "is before closure_announced_on")])
    await audit.record_change(session, actor, "site.update", site, resource_type="site")
    return site


async def list_sites(
    session: AsyncSession, page: PageParams, *, status: SiteStatus | None, updated_since: datetime | None
) -> tuple[Sequence[Site], str | None]:
    stmt = select(Site)
    if status:
        stmt = stmt.where(Site.status == status)
    if updated_since:
        stmt = stmt.where(Site.updated_at >= updated_since)
    rows, cursor = await paginate_rows(session, stmt, Site.id, page)
    return [r[0] for r in rows], cursor

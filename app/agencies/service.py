"""Agencies: create, change, list, and delete only when nothing refers to them."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.agencies.schemas import AgencyCreate, AgencyKind, AgencyUpdate
from app.audit import service as audit
from app.auth import revocation
from app.conventions import check_version
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.pagination import PageParams, paginate_rows
from app.regions import service as region_service
from app.security.policy import Role
from app.security.principal import Actor


class AgencyNotFound(NotFound):
    slug, title = "agency-not-found", "Agency not found"


class DuplicateAgency(Conflict):
    slug, title = "duplicate-agency", "Duplicate agency"


class AgencyInUse(Conflict):
    slug, title = "agency-in-use", "Agency in use"


def name_key(name: str) -> str:
    """The name as compared for duplicates: case and inner spacing ignored."""
    return " ".join(name.casefold().split())


async def get(session: AsyncSession, agency_id: uuid.UUID) -> Agency:
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise AgencyNotFound(resource_type="agency", resource_id=agency_id)
    return agency


async def require_active(
    session: AsyncSession, agency_id: uuid.UUID | None, field: str = "agency_id"
) -> None:
    """422 naming `field` unless `agency_id` is an existing, active agency."""
    if agency_id is None:
        return
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise InvalidInput([(("body", field), "unknown agency")])
    if not agency.active:
        raise InvalidInput([(("body", field), "agency is inactive")])


async def _check_unique(session: AsyncSession, region_code: str, key: str, exclude: uuid.UUID | None) -> None:
    stmt = select(Agency.id).where(Agency.region_code == region_code, Agency.name_key == key)
    if exclude:
        stmt = stmt.where(Agency.id != exclude)
    if await session.scalar(stmt):
        raise DuplicateAgency("An agency with this name already exists in this region.")


async def create(session: AsyncSession, actor: Actor, data: AgencyCreate) -> Agency:
    """A new agency; 409 when the region already has one of that name."""
    await region_service.require_code(session, data.region_code, "region_code")
    key = name_key(data.name)
    await _check_unique(session, data.region_code, key, None)
    agency = Agency(**data.model_dump(), name_key=key)
    session.add(agency)
    await audit.record_change(session, actor, "agency.create", agency, resource_type="agency")
    return agency


async def update(
    session: AsyncSession, actor: Actor, agency_id: uuid.UUID, data: AgencyUpdate, expected: int
) -> Agency:
    """Apply the fields sent; If-Match must name the current version."""
    agency = await get(session, agency_id)
    check_version(expected, agency.version)
    changes = data.model_dump(exclude_unset=True)
    if "region_code" in changes:
        await region_service.require_code(session, changes["region_code"], "region_code")
    deactivated = agency.active and changes.get("active") is False
    if not agency.active and changes.get("active") is True and actor.role is not Role.admin:
        raise Forbidden("Only an administrator may reactivate an agency.", resource_type="agency")
    for field, value in changes.items():
        setattr(agency, field, value)
    agency.name_key = name_key(agency.name)
    await _check_unique(session, agency.region_code, agency.name_key, agency.id)
    await session.flush()
    if deactivated:
        # Its people's and systems' tokens die for good: reactivation does not revive them.
        await revocation.start_epoch(session, agency_id=agency.id)
    await audit.record(session, actor, "agency.update", resource_type="agency", resource_id=agency.id)
    return agency


async def delete(session: AsyncSession, actor: Actor, agency_id: uuid.UUID) -> None:
    """Delete an agency nothing refers to; otherwise 409 (deactivate it instead)."""
    agency = await get(session, agency_id)
    try:
        async with session.begin_nested():
            await session.delete(agency)
    except IntegrityError as exc:
        raise AgencyInUse("The agency is still referred to; deactivate it instead.") from exc
    await audit.record(session, actor, "agency.delete", resource_type="agency", resource_id=agency_id)


async def list_agencies(
    session: AsyncSession,
    page: PageParams,
    *,
    kind: AgencyKind | None = None,
    active: bool | None = None,
    region_code: str | None = None,
    q: str | None = None,
    updated_since: datetime | None = None,
) -> tuple[Sequence[Agency], str | None]:
    stmt = select(Agency)
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    if active is not None:
        stmt = stmt.where(Agency.active == active)
    if region_code:
        stmt = stmt.where(Agency.region_code == region_code)
    if q:
        # The name is matched on name_key, folded in Python like the needle: SQLite's lower() folds
        # ASCII only, so "Ñ" or "É" would never match. autoescape: "%" and "_" are literal.
        stmt = stmt.where(
            or_(
                Agency.name_key.contains(name_key(q), autoescape=True),
                func.lower(Agency.acronym).contains(q.casefold(), autoescape=True),
            )
        )
    if updated_since:
        stmt = stmt.where(Agency.updated_at >= updated_since)
    rows, cursor = await paginate_rows(session, stmt, Agency.id, page)
    return [r[0] for r in rows], cursor

"""Aggregate counts of the registry, computed in SQL; suppressed for partners and viewers."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.persons.models import Person
from app.security.policy import Role
from app.security.principal import Actor
from app.stats.schemas import CountCell, PersonStats
from app.stats.suppression import THRESHOLD, Cell, suppress

SUPPRESSED_ROLES = {Role.partner, Role.viewer}

DIMENSIONS: dict[str, Any] = {
    "by_status": Person.status,
    "by_origin_province": func.substr(Person.origin_region_code, 1, 2),
    "by_origin_regency": Person.origin_region_code,
    "by_domicile_region": Person.domicile_region_code,
    "by_site": Person.site_id,
    "by_sex": Person.sex,
}


async def person_stats(session: AsyncSession, actor: Actor, site_id: uuid.UUID | None) -> PersonStats:
    """Counts by status, origin, domicile, site and sex (restricted persons left out for suppressed roles)."""
    suppressed = actor.role in SUPPRESSED_ROLES
    conditions = []
    if site_id:
        conditions.append(Person.site_id == site_id)
    if suppressed:
        conditions.append(Person.restricted.is_(False))
    total = await session.scalar(select(func.count()).select_from(Person).where(*conditions)) or 0
    groups: dict[str, list[Cell]] = {}
    for name, column in DIMENSIONS.items():
        rows = await session.execute(select(column, func.count()).where(*conditions).group_by(column))
        cells = sorted((Cell(None if k is None else str(k), n) for k, n in rows), key=lambda c: c.key or "")
        groups[name] = suppress(cells) if suppressed else cells
    total_cell = Cell("total", total)
    if suppressed and 0 < total < THRESHOLD:
        total_cell = Cell("total", None, True)
        for cells in groups.values():
            for cell in cells:
                cell.count, cell.suppressed = None, True
    return PersonStats(
        total=CountCell(**vars(total_cell)),
        **{name: [CountCell(**vars(c)) for c in cells] for name, cells in groups.items()},
        suppression_threshold=THRESHOLD if suppressed else None,
    )

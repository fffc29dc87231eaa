"""Aggregate counts of the registry, computed in SQL; partners' and viewers' through disclosure control."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.persons.models import Person
from app.privacy import disclosure
from app.security.principal import Actor
from app.stats.schemas import CountCell, PersonStats
from app.stats.suppression import THRESHOLD, Cell

DIMENSIONS: dict[str, Any] = {
    "by_status": Person.status,
    "by_origin_province": func.substr(Person.origin_region_code, 1, 2),
    "by_origin_regency": Person.origin_region_code,
    "by_domicile_region": Person.domicile_region_code,
    "by_site": Person.site_id,
    "by_sex": Person.sex,
}


async def person_stats(session: AsyncSession, actor: Actor, site_id: uuid.UUID | None) -> PersonStats:
    """Counts by status, origin, domicile, site and sex: exact for staff, protected for the others."""
    if disclosure.controlled(actor):
        disclosure.refuse_filters(site_id=site_id)
        return _protected(await disclosure.publish(session, actor))
    conditions = []
    if site_id:
        conditions.append(Person.site_id == site_id)
    total = await session.scalar(select(func.count()).select_from(Person).where(*conditions)) or 0
    groups: dict[str, list[Cell]] = {}
    for name, column in DIMENSIONS.items():
        rows = await session.execute(select(column, func.count()).where(*conditions).group_by(column))
        cells = sorted((Cell(None if k is None else str(k), n) for k, n in rows), key=lambda c: c.key or "")
        groups[name] = cells
    return PersonStats(
        total=CountCell(key="total", count=total),
        **{name: [CountCell(**vars(c)) for c in cells] for name, cells in groups.items()},
        suppression_threshold=None,
    )


def _protected(published: disclosure.Published) -> PersonStats:
    def cell(table: str, key: str | None) -> CountCell:
        count = published.count(table, key)
        return CountCell(key=key, count=count, suppressed=count is None)

    return PersonStats(
        total=cell("total", "total"),
        **{name: [cell(name, key) for key in published.keys(name)] for name in DIMENSIONS},
        suppression_threshold=THRESHOLD,
    )

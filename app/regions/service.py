"""Reading and importing the region reference list."""

import csv
import io
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput, NotFound
from app.pagination import PageParams, paginate_rows
from app.regions.models import Region
from app.regions.schemas import RegionLevel, normalize_region_code

BUNDLED = "data/regions.csv"


class RegionNotFound(NotFound):
    slug, title = "region-not-found", "Region not found"


async def get(session: AsyncSession, code: str) -> Region:
    """One region by code (dotted or undotted)."""
    try:
        code = normalize_region_code(code)
    except ValueError as exc:
        raise RegionNotFound("No region has this code.") from exc
    region = await session.get(Region, code)
    if region is None:
        raise RegionNotFound("No region has this code.")
    return region


async def list_regions(
    session: AsyncSession,
    page: PageParams,
    *,
    level: RegionLevel | None = None,
    parent_code: str | None = None,
    q: str | None = None,
) -> tuple[Sequence[Region], str | None]:
    stmt = select(Region)
    if level:
        stmt = stmt.where(Region.level == level)
    if parent_code:
        stmt = stmt.where(Region.parent_code == parent_code)
    if q:
        stmt = stmt.where(func.lower(Region.name).contains(q.lower(), autoescape=True))
    rows, cursor = await paginate_rows(session, stmt, Region.code, page)
    return [r[0] for r in rows], cursor


async def require_code(
    session: AsyncSession, code: str | None, field: str, level: RegionLevel | None = None
) -> None:
    """422 naming `field` unless `code` is a known region (of `level`, when given)."""
    if code is None:
        return
    region = await session.get(Region, code)
    if region is None:
        raise InvalidInput([(("body", field), "unknown region code")])
    if level and region.level != level:
        raise InvalidInput([(("body", field), f"must be a {level}, not a {region.level}")])


def read_csv(text: str) -> list[dict[str, str | None]]:
    """Rows of a region CSV (code,name,level,parent_code; lines starting with # are comments)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = []
    for number, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        try:
            code = normalize_region_code(row["code"])
            parent = normalize_region_code(row["parent_code"]) if row.get("parent_code") else None
        except (ValueError, KeyError, AttributeError) as exc:
            raise ValueError(f"row {number}: bad code") from exc
        level = "province" if "." not in code else "regency"
        if row.get("level") != level or not (row.get("name") or "").strip():
            raise ValueError(f"row {number}: bad level or name")
        rows.append({"code": code, "name": row["name"].strip(), "level": level, "parent_code": parent})
    return rows


def bundled_csv() -> str:
    """The reference list shipped with the package."""
    return resources.files("app.regions").joinpath(BUNDLED).read_text(encoding="utf-8")


async def import_rows(session: AsyncSession, rows: list[dict[str, str | None]]) -> tuple[int, int]:
    """Upsert regions (provinces first); nothing is deleted, so referenced codes stay valid."""
    existing = {r.code: r for r in (await session.scalars(select(Region))).all()}
    added = changed = 0
    for row in sorted(rows, key=lambda r: (r["level"] != "province", r["code"])):
        current = existing.get(row["code"])  # type: ignore[arg-type]
        if current is None:
            session.add(Region(**row))
            added += 1
        elif (current.name, current.parent_code) != (row["name"], row["parent_code"]):
            await session.execute(
                update(Region)
                .where(Region.code == row["code"])
                .values(name=row["name"], parent_code=row["parent_code"])
            )
            changed += 1
        if row["level"] == "province":
            await session.flush()
    await session.flush()
    return added, changed


async def ensure_loaded(session: AsyncSession) -> int:
    """Load the bundled list when the table is empty; returns how many rows were added."""
    if await session.scalar(select(func.count()).select_from(Region)):
        return 0
    added, _ = await import_rows(session, read_csv(bundled_csv()))
    return added


def read_file(path: Path) -> list[dict[str, str | None]]:
    return read_csv(path.read_text(encoding="utf-8-sig"))

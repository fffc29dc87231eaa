"""Kemendagri regions: provinces and regencies/cities."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.pagination import Page, PageDep
from app.regions import service
from app.regions.schemas import RegionLevel, RegionRead
from app.schemas import Text
from app.security.deps import Permitted

router = APIRouter(prefix="/regions", tags=["regions"])


@router.get("", response_model=Page[RegionRead])
async def list_regions(
    session: SessionDep,
    actor: Permitted("regions:read"),
    page: PageDep,
    level: RegionLevel | None = None,
    parent_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    q: Annotated[Text | None, Query(max_length=100)] = None,
) -> Page[RegionRead]:
    """List regions, filtered by level, parent province or part of the name."""
    items, cursor = await service.list_regions(session, page, level=level, parent_code=parent_code, q=q)
    return Page.of(items, cursor, RegionRead)


@router.get("/{code}", response_model=RegionRead)
async def get_region(code: str, session: SessionDep, actor: Permitted("regions:read")) -> RegionRead:
    """One region by code; `53.71` and `5371` are the same."""
    return RegionRead.model_validate(await service.get(session, code))

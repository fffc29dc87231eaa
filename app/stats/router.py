"""Aggregate statistics for dashboards."""

import uuid

from fastapi import APIRouter

from app.db import SessionDep
from app.security.deps import Permitted
from app.stats import service
from app.stats.schemas import PersonStats

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/persons", response_model=PersonStats)
async def person_stats(
    session: SessionDep, actor: Permitted("stats:read"), site_id: uuid.UUID | None = None
) -> PersonStats:
    """Counts of persons by status, origin, domicile, site and sex; small counts suppressed for partners."""
    return await service.person_stats(session, actor, site_id)

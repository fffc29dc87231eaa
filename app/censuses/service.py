"""Census rounds at a site: recording who is present, and reconciling with the round before."""

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.censuses.models import CensusObservation, CensusRound
from app.censuses.schemas import CensusCreate, Observation, ObservationResult, Reconciliation
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.lookups import get_child_or_404
from app.meetings import service as meeting_service
from app.pagination import PageParams, paginate_rows
from app.persons.models import Person
from app.security.principal import Actor
from app.sites import service as site_service


class CensusNotFound(NotFound):
    slug, title = "census-not-found", "Census round not found"


async def create(session: AsyncSession, actor: Actor, site_id: uuid.UUID, data: CensusCreate) -> CensusRound:
    """A new round; the name is unique within the site."""
    await site_service.get(session, site_id)
    if data.meeting_id is not None:
        try:
            await meeting_service.lookup_meeting(session, actor, data.meeting_id)
        except NotFound as exc:
            raise InvalidInput([(("body", "meeting_id"), "unknown meeting")]) from exc
    if await session.scalar(
        select(CensusRound.id).where(CensusRound.site_id == site_id, CensusRound.name == data.name)
    ):
        raise Conflict("This site already has a census round of that name.")
    census = CensusRound(site_id=site_id, **data.model_dump())
    session.add(census)
    await audit.record_change(session, actor, "census.create", census, resource_type="census")
    return census


async def get(session: AsyncSession, site_id: uuid.UUID, census_id: uuid.UUID) -> CensusRound:
    """A census round of the site; 404 for an unknown site or a round of another."""
    _, census = await get_child_or_404(
        session,
        site_service.get(session, site_id),
        CensusRound,
        census_id,
        parent_key=CensusRound.site_id,
        not_found=CensusNotFound,
        resource_type="census",
    )
    return census


async def list_rounds(
    session: AsyncSession, site_id: uuid.UUID, page: PageParams
) -> tuple[Sequence[CensusRound], str | None]:
    await site_service.get(session, site_id)
    rows, cursor = await paginate_rows(
        session, select(CensusRound).where(CensusRound.site_id == site_id), CensusRound.id, page
    )
    return [r[0] for r in rows], cursor


async def record(
    session: AsyncSession,
    actor: Actor,
    site_id: uuid.UUID,
    census_id: uuid.UUID,
    observations: list[Observation],
) -> ObservationResult:
    """Record presence for many persons of the site at once (a later record replaces an earlier one)."""
    census = await get(session, site_id, census_id)
    latest = {o.person_id: o.presence for o in observations}
    known = set(
        await session.scalars(
            select(Person.id).where(
                Person.id.in_(latest), Person.site_id == site_id, Person.erased_at.is_(None)
            )
        )
    )
    unknown = [i for i, o in enumerate(observations) if o.person_id not in known]
    if unknown:
        raise InvalidInput(
            [(("body", "observations", i, "person_id"), "not a person of this site") for i in unknown]
        )
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    rows = [
        {
            "census_id": census.id,
            "person_id": pid,
            "presence": presence,
            "observed_at": utcnow(),
            "recorded_by": actor.id,
        }
        for pid, presence in latest.items()
    ]
    stmt = insert(CensusObservation).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["census_id", "person_id"],
            set_={
                "presence": stmt.excluded.presence,
                "observed_at": stmt.excluded.observed_at,
                "recorded_by": stmt.excluded.recorded_by,
            },
        )
    )
    await audit.record(
        session,
        actor,
        "census.observe",
        resource_type="census",
        resource_id=census.id,
        person_ids=list(latest),
    )
    present = sum(1 for p in latest.values() if p == "present")
    return ObservationResult(recorded=len(latest), present=present, absent=len(latest) - present)


async def previous_round(session: AsyncSession, census: CensusRound) -> CensusRound | None:
    """The site's latest round held before this one (same day: created earlier)."""
    earlier = or_(
        CensusRound.held_on < census.held_on,
        and_(CensusRound.held_on == census.held_on, CensusRound.id < census.id),
    )
    return await session.scalar(
        select(CensusRound)
        .where(CensusRound.site_id == census.site_id, earlier)
        .order_by(CensusRound.held_on.desc(), CensusRound.id.desc())
        .limit(1)
    )


async def _presence(session: AsyncSession, census_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(CensusObservation.person_id, CensusObservation.presence).where(
            CensusObservation.census_id == census_id
        )
    )
    return {person_id: presence for person_id, presence in rows}


async def reconcile(
    session: AsyncSession, actor: Actor, site_id: uuid.UUID, census_id: uuid.UUID
) -> Reconciliation:
    """Compare a round with the one before: still present, missing, new; statuses of those present."""
    census = await get(session, site_id, census_id)
    before = await previous_round(session, census)
    now = await _presence(session, census.id)
    then = await _presence(session, before.id) if before else {}
    present_now = {p for p, v in now.items() if v == "present"}
    present_then = {p for p, v in then.items() if v == "present"}
    statuses = await session.execute(
        select(Person.status, func.count()).where(Person.id.in_(present_now)).group_by(Person.status)
    )
    result = Reconciliation(
        census_id=census.id,
        previous_census_id=before.id if before else None,
        first_round=before is None,
        still_present=sorted(present_now & present_then),
        missing=sorted(present_then - present_now),
        new=sorted(present_now - present_then),
        absent=sorted(p for p, v in now.items() if v == "absent"),
        present_count=len(present_now),
        counts_by_status={status: count for status, count in statuses},
    )
    await audit.record(
        session,
        actor,
        "census.reconcile",
        resource_type="census",
        resource_id=census.id,
        person_ids=sorted(present_now | present_then | set(now)),
    )
    return result

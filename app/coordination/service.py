"""Origin-region coordination cases and their correspondence (their persons: case_persons.py).

Partners see a case only when their agency is its counterpart (the origin region's social
office), and of its persons only those on the way home (awaiting return, repatriated, handed
over) or travelling in one of its batches: whoever stays, declines or went home alone is none of
the origin region's business. Every such limit is a condition of the SQL query (queries.py).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.audit import service as audit
from app.conventions import check_version
from app.coordination import queries
from app.coordination.models import Coordination, Correspondence, Repatriation
from app.coordination.schemas import (
    CoordinationCreate,
    CoordinationRead,
    CoordinationStatus,
    CoordinationSummary,
    CoordinationUpdate,
    CorrespondenceCreate,
    CorrespondenceUpdate,
    ProvinceSummary,
    RegencySummary,
)
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.ids import uuid7
from app.lookups import get_child_or_404
from app.pagination import PageParams, paginate_rows
from app.persons.models import Person
from app.persons.transitions import Status
from app.regions import service as region_service
from app.regions.models import Region
from app.security import crypto
from app.security.principal import Actor
from app.sites import service as site_service
from app.sites.models import Site

# Batches in these statuses still hold their members (a person is in at most one of them).
ACTIVE_BATCH_STATUSES = ("planned", "departed", "arrived")

# Which status a case may move to from each; staying put is always allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"contacted", "agreed", "closed"}),
    "contacted": frozenset({"agreed", "closed"}),
    "agreed": frozenset({"contacted", "completed", "closed"}),
    "completed": frozenset({"closed"}),
    "closed": frozenset({"open"}),
}
FINISHED = frozenset({"completed", "closed"})


class CoordinationNotFound(NotFound):
    slug, title = "coordination-not-found", "Coordination case not found"


class CorrespondenceNotFound(NotFound):
    slug, title = "correspondence-not-found", "Correspondence not found"


class CasePersonNotFound(NotFound):
    slug, title = "person-not-found", "Person not found"


class DuplicateCoordination(Conflict):
    slug, title = "duplicate-coordination", "Duplicate coordination case"


class IllegalCaseTransition(Conflict):
    slug, title = "illegal-transition", "Illegal status change"


class CaseHasActiveBatches(Conflict):
    slug, title = "active-batches", "Case has active batches"


# --- visibility ---------------------------------------------------------------------------


def person_ref(person_id: uuid.UUID, actor: Actor) -> uuid.UUID:
    """The id under which `actor` sees a person: partners their agency's pseudonym (as referrals do)."""
    if actor.is_partner:
        assert actor.agency_id is not None  # partners without an agency see no case
        return crypto.pseudonym(person_id, actor.agency_id)
    return person_id


async def get(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, *, for_update: bool = False
) -> Coordination:
    """The case if `actor` may see it; otherwise 404, whether or not it exists."""
    stmt = select(Coordination).where(Coordination.id == case_id, queries.readable(actor))
    if for_update and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    case = await session.scalar(stmt)
    if case is None:
        raise CoordinationNotFound(resource_type="coordination", resource_id=case_id)
    return case


async def require(session: AsyncSession, actor: Actor, case_id: uuid.UUID, field: str) -> Coordination:
    """The case named in a request body, else 422 naming the field."""
    case = await session.scalar(
        select(Coordination).where(Coordination.id == case_id, queries.readable(actor))
    )
    if case is None:
        raise InvalidInput([(("body", field), "unknown coordination case")])
    return case


# --- reading cases ------------------------------------------------------------------------


async def person_counts(
    session: AsyncSession, actor: Actor, cases: Sequence[Coordination]
) -> dict[uuid.UUID, dict[str, int]]:
    """Counts by status of the site's persons from each case's region, in one query."""
    if not cases:
        return {}
    stmt = (
        select(Person.site_id, Person.origin_region_code, Person.status, func.count())
        .where(
            Person.site_id.in_({c.site_id for c in cases}),
            Person.origin_region_code.in_({c.region_code for c in cases}),
        )
        .group_by(Person.site_id, Person.origin_region_code, Person.status)
    )
    if actor.is_partner:
        # Only what the counterpart sees person by person: no count of those who stay or declined.
        stmt = stmt.where(
            Person.status.in_(queries.SHARED_STATUSES),
            Person.erased_at.is_(None),
            Person.restricted.is_(False),
        )
    by_key: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(dict)
    for site_id, region_code, status, count in await session.execute(stmt):
        by_key[(site_id, region_code)][status] = count
    shown = queries.SHARED_STATUSES if actor.is_partner else tuple(Status)
    return {
        c.id: {str(s): by_key.get((c.site_id, c.region_code), {}).get(s, 0) for s in shown} for c in cases
    }


def present(case: Coordination, actor: Actor, counts: dict[uuid.UUID, dict[str, int]]) -> CoordinationRead:
    """The role's view of a case: notes are internal to the city."""
    by_status = counts.get(case.id, {})
    return CoordinationRead(
        id=case.id,
        site_id=case.site_id,
        region_code=case.region_code,
        province_code=case.region_code.split(".")[0],
        counterpart_agency_id=case.counterpart_agency_id,
        status=case.status,  # type: ignore[arg-type]
        notes=None if actor.is_partner else case.notes,
        person_total=sum(by_status.values()),
        person_counts=by_status,
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


async def read(session: AsyncSession, actor: Actor, cases: Sequence[Coordination]) -> list[CoordinationRead]:
    counts = await person_counts(session, actor, cases)
    return [present(c, actor, counts) for c in cases]


@dataclass(frozen=True, slots=True)
class CaseFilters:
    site_id: uuid.UUID | None = None
    region_code: str | None = None
    province_code: str | None = None
    status: CoordinationStatus | None = None
    counterpart_agency_id: uuid.UUID | None = None
    updated_since: datetime | None = None


async def list_cases(
    session: AsyncSession, actor: Actor, page: PageParams, f: CaseFilters
) -> tuple[Sequence[Coordination], str | None]:
    """A page of the cases `actor` may see."""
    stmt = select(Coordination).where(queries.readable(actor))
    for column, value in (
        (Coordination.site_id, f.site_id),
        (Coordination.region_code, f.region_code),
        (Coordination.status, f.status),
        (Coordination.counterpart_agency_id, f.counterpart_agency_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.province_code:
        stmt = stmt.where(Coordination.region_code.startswith(f.province_code + "."))
    if f.updated_since:
        stmt = stmt.where(Coordination.updated_at >= f.updated_since)
    rows, cursor = await paginate_rows(session, stmt, Coordination.id, page)
    return [r[0] for r in rows], cursor


# --- writing cases ------------------------------------------------------------------------


async def _check_counterpart(session: AsyncSession, agency_id: uuid.UUID | None, region_code: str) -> None:
    """422 unless the counterpart is an active agency in the case region's province.

    The counterpart's partners see the case's persons: an agency of another province by mistake
    would be a leak, so the rule is enforced rather than left to care.
    """
    if agency_id is None:
        return
    await agency_service.require_active(session, agency_id, "counterpart_agency_id")
    agency = await agency_service.get(session, agency_id)
    province = region_code.split(".")[0]
    if agency.region_code != province and not agency.region_code.startswith(province + "."):
        raise InvalidInput(
            [(("body", "counterpart_agency_id"), f"must be an agency in province {province}, the case's")]
        )


async def create(session: AsyncSession, actor: Actor, data: CoordinationCreate) -> Coordination:
    """A new case for a site and an origin regency; 409 when the pair already has one."""
    await site_service.require(session, data.site_id)
    await region_service.require_code(session, data.region_code, "region_code", level="regency")
    await _check_counterpart(session, data.counterpart_agency_id, data.region_code)
    if await session.scalar(
        select(Coordination.id).where(
            Coordination.site_id == data.site_id, Coordination.region_code == data.region_code
        )
    ):
        raise DuplicateCoordination("This site already has a case for this region.")
    case = Coordination(**data.model_dump(), created_by=actor.id)
    session.add(case)
    await audit.record_change(session, actor, "coordination.create", case, resource_type="coordination")
    return case


def _insert(session: AsyncSession) -> Any:
    return (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)(Coordination)


async def generate(session: AsyncSession, actor: Actor, site_id: uuid.UUID) -> tuple[list[Coordination], int]:
    """Create the missing case of every origin regency of the site's persons; returns (created, existing)."""
    await site_service.require(session, site_id)
    origins = set(
        await session.scalars(
            select(Person.origin_region_code)
            .join(Region, Region.code == Person.origin_region_code)
            .where(Person.site_id == site_id, Region.level == "regency")
            .distinct()
        )
    )
    have = set(await session.scalars(select(Coordination.region_code).where(Coordination.site_id == site_id)))
    missing = sorted(origins - have)
    created_ids: list[uuid.UUID] = []
    if missing:
        now = utcnow()
        rows = [
            {
                "id": uuid7(),
                "site_id": site_id,
                "region_code": code,
                "status": "open",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by": actor.id,
            }
            for code in missing
        ]
        # A concurrent generate may win some rows: those are skipped, not a 409.
        stmt = (
            _insert(session)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["site_id", "region_code"])
            .returning(Coordination.id)
        )
        created_ids = list((await session.scalars(stmt)).all())
    created = list(
        (
            await session.scalars(
                select(Coordination)
                .where(Coordination.id.in_(created_ids))
                .order_by(Coordination.region_code)
            )
        ).all()
    )
    await audit.record(session, actor, "coordination.generate", resource_type="site", resource_id=site_id)
    return created, len(origins) - len(created)


async def _active_batches(session: AsyncSession, case_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(Repatriation)
            .where(Repatriation.coordination_id == case_id, Repatriation.status.in_(ACTIVE_BATCH_STATUSES))
        )
        or 0
    )


async def update(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, data: CoordinationUpdate, expected: int
) -> Coordination:
    """Change the counterpart, status or notes; If-Match must name the current version."""
    case = await get(session, actor, case_id)
    check_version(expected, case.version)
    changes = data.model_dump(exclude_unset=True)
    if "counterpart_agency_id" in changes:
        await _check_counterpart(session, changes["counterpart_agency_id"], case.region_code)
    status = changes.get("status", case.status)
    if status != case.status:
        if status not in TRANSITIONS[case.status]:
            allowed = sorted(TRANSITIONS[case.status])
            raise IllegalCaseTransition(
                f"A case {case.status} cannot become {status}; allowed: {', '.join(allowed)}.",
                extra={"allowed": allowed, "current_status": case.status},
            )
        if status in FINISHED and await _active_batches(session, case.id):
            raise CaseHasActiveBatches(
                "The case still has planned, departed or arrived batches; finish or cancel them first."
            )
    for field, value in changes.items():
        setattr(case, field, value)
    await audit.record_change(session, actor, "coordination.update", case, resource_type="coordination")
    return case


# --- summary ------------------------------------------------------------------------------


async def summary(session: AsyncSession, site_id: uuid.UUID) -> CoordinationSummary:
    """Counts of a site's persons per origin province and regency, with each regency's case."""
    if await session.get(Site, site_id) is None:
        raise InvalidInput([(("query", "site_id"), "unknown site")])
    counts: dict[str | None, dict[str, int]] = defaultdict(dict)
    for code, status, n in await session.execute(
        select(Person.origin_region_code, Person.status, func.count())
        .where(Person.site_id == site_id)
        .group_by(Person.origin_region_code, Person.status)
    ):
        counts[code][status] = n
    unknown = sum(counts.pop(None, {}).values())
    provinces = {code.split(".")[0] for code in counts}
    names = dict(
        (
            await session.execute(
                select(Region.code, Region.name).where(Region.code.in_(set(counts) | provinces))
            )
        ).all()
    )
    cases = {
        c.region_code: c
        for c in await session.scalars(select(Coordination).where(Coordination.site_id == site_id))
    }
    by_province: dict[str, list[RegencySummary]] = defaultdict(list)
    for code in sorted(counts):
        case = cases.get(code)
        by_province[code.split(".")[0]].append(
            RegencySummary(
                region_code=code,
                name=names.get(code, code),
                total=sum(counts[code].values()),
                by_status=counts[code],
                coordination_id=case.id if case else None,
                coordination_status=case.status if case else None,  # type: ignore[arg-type]
            )
        )
    items = [
        ProvinceSummary(
            province_code=p,
            name=names.get(p, p),
            total=sum(r.total for r in regencies),
            regencies=regencies,
        )
        for p, regencies in sorted(by_province.items())
    ]
    return CoordinationSummary(
        site_id=site_id, total=unknown + sum(p.total for p in items), unknown_origin=unknown, provinces=items
    )


# --- correspondence -----------------------------------------------------------------------


async def get_correspondence(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, item_id: uuid.UUID
) -> Correspondence:
    """A letter or message of a case `actor` may see; otherwise 404."""
    _, item = await get_child_or_404(
        session,
        get(session, actor, case_id),
        Correspondence,
        item_id,
        parent_key=Correspondence.coordination_id,
        not_found=CorrespondenceNotFound,
        resource_type="correspondence",
    )
    return item


async def list_correspondence(
    session: AsyncSession,
    actor: Actor,
    case_id: uuid.UUID,
    page: PageParams,
    updated_since: datetime | None,
) -> tuple[Sequence[Correspondence], str | None]:
    """The case's correspondence, in the order it was recorded."""
    await get(session, actor, case_id)
    stmt = select(Correspondence).where(Correspondence.coordination_id == case_id)
    if updated_since:
        stmt = stmt.where(Correspondence.updated_at >= updated_since)
    rows, cursor = await paginate_rows(session, stmt, Correspondence.id, page)
    return [r[0] for r in rows], cursor


async def add_correspondence(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, data: CorrespondenceCreate
) -> Correspondence:
    """Record a letter, e-mail, call or meeting of the case; an outgoing one makes an open case contacted."""
    case = await get(session, actor, case_id)
    item = Correspondence(coordination_id=case.id, **data.model_dump(), recorded_by=actor.id)
    session.add(item)
    if data.direction == "outgoing" and case.status == "open":
        case.status = "contacted"  # the city has reached out: the README's diagram, and the summary
    await audit.record_change(
        session, actor, "coordination.correspondence", case, resource_type="coordination"
    )
    return item


async def update_correspondence(
    session: AsyncSession,
    actor: Actor,
    case_id: uuid.UUID,
    item_id: uuid.UUID,
    data: CorrespondenceUpdate,
    expected: int,
) -> Correspondence:
    """Correct a recorded item; If-Match must name the current version."""
    item = await get_correspondence(session, actor, case_id, item_id)
    check_version(expected, item.version)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(item, field, value)
    await audit.record_change(
        session, actor, "coordination.correspondence_update", case_id, resource_type="coordination"
    )
    return item

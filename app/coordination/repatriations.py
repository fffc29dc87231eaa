"""Repatriation batches and their members; the journey (app.coordination.journey) is
planned -> departed -> arrived -> handed_over.

Each step that moves the members (departure: repatriated; handover: handed_over; cancellation:
back to awaiting_return) records a status change in every member's history. The whole step is
one transaction: when one member cannot make the change, the request fails and rolls back, so
the batch and every member stay as they were.

A batch may be cancelled while planned or departed (a cancelled flight, a ship turned back);
once it has arrived the people are home, and only the handover remains.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.audit import service as audit
from app.clock import OFFICE_TIMEZONE
from app.conventions import check_version
from app.coordination import queries
from app.coordination import service as case_service
from app.coordination.models import Coordination, Repatriation, RepatriationMember
from app.coordination.schemas import (
    MemberRead,
    RepatriationCreate,
    RepatriationRead,
    RepatriationStatus,
    RepatriationUpdate,
)
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.pagination import PageParams, paginate_rows
from app.persons import service as person_service
from app.persons.models import Person
from app.persons.transitions import Status
from app.privacy import views
from app.privacy.inventory import may_read
from app.security.principal import Actor

# Dates of the journey are the city's (WITA): a departure at 01:00 WITA is on that WITA day.
LOCAL_TZ = OFFICE_TIMEZONE
# Clocks of callers drift; a time this far ahead of ours is a typo, not drift.
CLOCK_SKEW = timedelta(minutes=5)

TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"departed", "cancelled"}),
    "departed": frozenset({"arrived", "cancelled"}),
    "arrived": frozenset({"handed_over"}),
    "handed_over": frozenset(),
    "cancelled": frozenset(),
}
JOINABLE = (Status.verified, Status.awaiting_return)
SOURCE = "repatriation"


class RepatriationNotFound(NotFound):
    slug, title = "repatriation-not-found", "Repatriation batch not found"


class MemberNotFound(NotFound):
    slug, title = "member-not-found", "Member not found"


class IllegalBatchTransition(Conflict):
    slug, title = "illegal-transition", "Illegal status change"


class BatchNotPlanned(Conflict):
    slug, title = "batch-not-planned", "Batch no longer planned"


class CaseFinished(Conflict):
    slug, title = "case-finished", "Coordination case finished"


class EmptyBatch(Conflict):
    slug, title = "empty-batch", "Batch has no members"


class NotJoinable(Conflict):
    slug, title = "person-not-joinable", "Person cannot join a batch"


class AlreadyInBatch(Conflict):
    slug, title = "already-in-batch", "Person already in a batch"


class OriginMismatch(Conflict):
    slug, title = "origin-mismatch", "Origin is not the batch's region"


class MemberTransitionFailed(Conflict):
    slug, title = "member-transition-failed", "A member cannot make the change"


class NotOwnAgency(Forbidden):
    slug, title = "not-own-agency", "Not your agency"


# --- reading ------------------------------------------------------------------------------


async def get(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Repatriation, Coordination]:
    """The batch and its case if `actor` may see them; otherwise 404."""
    stmt = (
        select(Repatriation, Coordination)
        .join(Coordination, Coordination.id == Repatriation.coordination_id)
        .where(Repatriation.id == batch_id, queries.readable(actor))
    )
    if for_update and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Repatriation)
    row = (await session.execute(stmt)).first()
    if row is None:
        raise RepatriationNotFound(resource_type="repatriation", resource_id=batch_id)
    return row[0], row[1]


async def member_ids(
    session: AsyncSession, actor: Actor, batch_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The members' person ids of many batches, in one query, in the order they were added.

    Restricted members only for staff naming a purpose code (partners never see them).
    """
    ids = list(batch_ids)
    result: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if ids:
        stmt = (
            select(RepatriationMember.repatriation_id, RepatriationMember.person_id)
            .join(Person, Person.id == RepatriationMember.person_id)
            .where(RepatriationMember.repatriation_id.in_(ids))
            .order_by(RepatriationMember.id)
        )
        rows = await session.execute(person_service.unrestricted_unless_lifted(stmt, actor))
        for batch_id, person_id in rows:
            result[batch_id].append(person_id)
    return result


def present(
    batch: Repatriation, case: Coordination, members: list[uuid.UUID], actor: Actor
) -> RepatriationRead:
    """The role's view of a batch: partners get their own person ids and no internal notes."""
    return RepatriationRead(
        id=batch.id,
        coordination_id=batch.coordination_id,
        region_code=case.region_code,
        leg=batch.leg,  # type: ignore[arg-type]
        status=batch.status,  # type: ignore[arg-type]
        planned_departure_on=batch.planned_departure_on,
        departed_at=batch.departed_at,
        arrived_at=batch.arrived_at,
        transport_mode=batch.transport_mode,  # type: ignore[arg-type]
        carrier=batch.carrier,
        booking_reference=batch.booking_reference,
        escort_agency_id=batch.escort_agency_id,
        cost_amount=batch.cost_amount,
        funding_source=batch.funding_source,  # type: ignore[arg-type]
        received_by_agency_id=batch.received_by_agency_id,
        received_by_name=batch.received_by_name,
        handed_over_at=batch.handed_over_at,
        handover_document_number=batch.handover_document_number,
        cancelled_at=batch.cancelled_at,
        cancel_reason=batch.cancel_reason,
        members=[case_service.person_ref(m, actor) for m in members],
        notes=None if actor.is_partner else batch.notes,
        version=batch.version,
        created_at=batch.created_at,
        updated_at=batch.updated_at,
    )


async def read(
    session: AsyncSession, actor: Actor, batch: Repatriation, case: Coordination
) -> RepatriationRead:
    """One batch as `actor` sees it; the read lists persons, so it is audited."""
    members = (await member_ids(session, actor, [batch.id]))[batch.id]
    await audit.record(
        session,
        actor,
        "repatriation.read",
        resource_type="repatriation",
        resource_id=batch.id,
        person_ids=members,
    )
    return present(batch, case, members, actor)


@dataclass(frozen=True, slots=True)
class BatchFilters:
    coordination_id: uuid.UUID | None = None
    status: RepatriationStatus | None = None
    region_code: str | None = None
    updated_since: datetime | None = None


async def list_batches(
    session: AsyncSession, actor: Actor, page: PageParams, f: BatchFilters
) -> tuple[list[RepatriationRead], str | None]:
    """A page of the batches `actor` may see (partners: those of their agency's cases)."""
    stmt = (
        select(Repatriation, Coordination)
        .join(Coordination, Coordination.id == Repatriation.coordination_id)
        .where(queries.readable(actor))
    )
    for column, value in (
        (Repatriation.coordination_id, f.coordination_id),
        (Repatriation.status, f.status),
        (Coordination.region_code, f.region_code),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.updated_since:
        stmt = stmt.where(Repatriation.updated_at >= f.updated_since)
    rows, cursor = await paginate_rows(session, stmt, Repatriation.id, page)
    members = await member_ids(session, actor, [batch.id for batch, _ in rows])
    await audit.record(
        session,
        actor,
        "repatriation.list",
        resource_type="repatriation",
        person_ids=[p for ids in members.values() for p in ids],
    )
    return [present(batch, case, members[batch.id], actor) for batch, case in rows], cursor


async def list_members(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, page: PageParams
) -> tuple[list[MemberRead], str | None]:
    """A page of the batch's members with their current status."""
    batch, _ = await get(session, actor, batch_id)
    stmt = (
        select(RepatriationMember, Person)
        .join(Person, Person.id == RepatriationMember.person_id)
        .where(RepatriationMember.repatriation_id == batch.id)
    )
    stmt = person_service.unrestricted_unless_lifted(stmt, actor)
    # Keyed by the membership's own id: a cursor of person ids would show partners the real ids.
    rows, cursor = await paginate_rows(session, stmt, RepatriationMember.id, page)
    await audit.record(
        session,
        actor,
        "repatriation.members",
        resource_type="repatriation",
        resource_id=batch.id,
        person_ids=[person.id for _, person in rows],
        reason=actor.purpose,
    )
    await person_service.record_break_glass(session, actor, [person for _, person in rows])
    items = [
        MemberRead(
            person_id=case_service.person_ref(person.id, actor),
            registration_number=views.person_fields(person, actor.role, ("registration_number",))[
                "registration_number"
            ],
            status=Status(person.status),
            override_reason=member.override_reason
            if may_read("repatriation_members", "override_reason", actor.role)
            else None,
            added_at=member.added_at,
        )
        for member, person in rows
    ]
    return items, cursor


# --- creating and changing ----------------------------------------------------------------


def local_day(instant: datetime) -> date:
    return instant.astimezone(LOCAL_TZ).date()


def given_instant(value: datetime | None, field: str) -> datetime:
    """The instant given (default now); 422 when it lies in the future."""
    now = utcnow()
    if value is None:
        return now
    if value > now + CLOCK_SKEW:
        raise InvalidInput([(("body", field), "may not be in the future")])
    return value.astimezone(UTC)  # as stored, so that this response and later reads agree


def _check_dates(batch: Repatriation) -> None:
    planned, departed = batch.planned_departure_on, batch.departed_at
    if planned and departed and local_day(departed) < planned:
        raise InvalidInput([(("body", "planned_departure_on"), "is after the recorded departure")])


async def create(
    session: AsyncSession, actor: Actor, data: RepatriationCreate
) -> tuple[Repatriation, Coordination]:
    """A planned batch of a case, with its first members (each checked as when added one by one)."""
    case = await case_service.require(session, actor, data.coordination_id, "coordination_id")
    if case.status in case_service.FINISHED:
        raise CaseFinished(f"The case is {case.status}; reopen it to plan a batch.")
    await agency_service.require_active(session, data.escort_agency_id, "escort_agency_id")
    batch = Repatriation(
        **data.model_dump(exclude={"members", "override_reason"}), status="planned", created_by=actor.id
    )
    session.add(batch)
    await session.flush()
    for index, person_id in enumerate(data.members):
        await _add(session, actor, batch, case, person_id, data.override_reason, ("body", "members", index))
    await audit.record(
        session,
        actor,
        "repatriation.create",
        resource_type="repatriation",
        resource_id=batch.id,
        person_ids=data.members,
    )
    return batch, case


async def update(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, data: RepatriationUpdate, expected: int
) -> tuple[Repatriation, Coordination]:
    """Change the travel details (not the status: that has its own actions); needs If-Match."""
    batch, case = await get(session, actor, batch_id)
    check_version(expected, batch.version)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("escort_agency_id"):
        await agency_service.require_active(session, changes["escort_agency_id"], "escort_agency_id")
    for field, value in changes.items():
        setattr(batch, field, value)
    _check_dates(batch)
    await audit.record_change(session, actor, "repatriation.update", batch, resource_type="repatriation")
    return batch, case


async def _add(
    session: AsyncSession,
    actor: Actor,
    batch: Repatriation,
    case: Coordination,
    person_id: uuid.UUID,
    override_reason: str | None,
    loc: tuple[Any, ...],
) -> None:
    """Add a member: verified or waiting, in no other active batch, of the case's region (or a reason)."""
    try:
        person = (await person_service.find(session, actor, person_id, for_update=True)).person
    except NotFound as exc:
        raise InvalidInput([(loc, "unknown person")]) from exc
    extra = {"person_id": str(person_id)}
    if person.erased_at is not None:
        raise NotJoinable("The person's record was erased.", extra=extra)
    if person.status not in JOINABLE:
        raise NotJoinable(
            f"The person is {person.status}: only verified or awaiting_return persons can travel.",
            extra=extra | {"current_status": person.status},
        )
    other = await session.scalar(
        select(RepatriationMember.repatriation_id).where(
            RepatriationMember.person_id == person.id, RepatriationMember.active.is_(True)
        )
    )
    if other is not None:
        raise AlreadyInBatch(
            "The person is already in a batch that is not cancelled or handed over.",
            extra=extra | {"repatriation_id": str(other)},
        )
    if person.origin_region_code != case.region_code:
        if not override_reason:
            raise OriginMismatch(
                f"The person's origin is not {case.region_code}, the batch's region; "
                "send override_reason to add the person anyway.",
                extra=extra,
            )
        await audit.record(
            session,
            actor,
            "repatriation.member_override",
            resource_type="repatriation",
            resource_id=batch.id,
            person_ids=[person.id],
            reason=actor.purpose,  # the override's own text stays with the membership (erasable)
        )
    if person.status == Status.verified:
        # In a planned batch is waiting to return: departure can then follow the lifecycle.
        await person_service.apply_status_change(
            session,
            actor,
            person,
            Status.awaiting_return,
            reason="added to a repatriation batch",
            occurred_on=None,
            source=SOURCE,
        )
    session.add(
        RepatriationMember(
            repatriation_id=batch.id,
            person_id=person.id,
            override_reason=override_reason if person.origin_region_code != case.region_code else None,
            added_by=actor.id,
        )
    )
    await session.flush()


def _require_planned(batch: Repatriation) -> None:
    if batch.status != "planned":
        raise BatchNotPlanned(f"The batch is {batch.status}: members change only while it is planned.")


async def add_member(
    session: AsyncSession,
    actor: Actor,
    batch_id: uuid.UUID,
    person_id: uuid.UUID,
    override_reason: str | None,
) -> tuple[Repatriation, Coordination]:
    """Add a person to a planned batch."""
    batch, case = await get(session, actor, batch_id, for_update=True)
    _require_planned(batch)
    await _add(session, actor, batch, case, person_id, override_reason, ("body", "person_id"))
    batch.updated_at = utcnow()  # the member list is part of the batch: its ETag changes
    await audit.record_change(
        session, actor, "repatriation.member_add", batch, resource_type="repatriation", person_ids=[person_id]
    )
    return batch, case


async def remove_member(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, person_id: uuid.UUID
) -> None:
    """Take a person out of a planned batch; the person keeps waiting to return."""
    batch, _ = await get(session, actor, batch_id, for_update=True)
    member = await session.scalar(
        select(RepatriationMember).where(
            RepatriationMember.repatriation_id == batch.id, RepatriationMember.person_id == person_id
        )
    )
    if member is None:
        raise MemberNotFound(resource_type="repatriation_member", resource_id=person_id)
    person = await session.get(Person, person_id)
    person_service.restriction_refused(actor, person, person_id)
    await person_service.record_break_glass(session, actor, [person])
    _require_planned(batch)
    await session.delete(member)
    batch.updated_at = utcnow()
    await audit.record_change(
        session,
        actor,
        "repatriation.member_remove",
        batch,
        resource_type="repatriation",
        person_ids=[person_id],
    )

"""A repatriation batch's journey: departure, arrival, handover and cancellation move its members."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.audit import service as audit
from app.coordination import events
from app.coordination import repatriations as batches
from app.coordination import service as case_service
from app.coordination.models import Coordination, Repatriation, RepatriationMember
from app.coordination.schemas import Arrival, Cancellation, Departure, Handover
from app.db import utcnow
from app.errors import DurableWrite, InvalidInput
from app.persons import service as person_service
from app.persons.models import Person
from app.persons.transitions import Status
from app.security.principal import Actor


async def _begin(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, to_status: str
) -> tuple[Repatriation, Coordination]:
    batch, case = await batches.get(session, actor, batch_id, for_update=True)
    if to_status not in batches.TRANSITIONS[batch.status]:
        allowed = sorted(batches.TRANSITIONS[batch.status])
        raise batches.IllegalBatchTransition(
            f"A batch {batch.status} cannot become {to_status}; allowed: {', '.join(allowed) or 'none'}.",
            extra={"allowed": allowed, "current_status": batch.status},
        )
    return batch, case


async def _members(session: AsyncSession, actor: Actor, batch: Repatriation) -> Sequence[Person]:
    """The members' person rows, locked on PostgreSQL, in a fixed order (no deadlock between batches).

    Moving a restricted member changes her record: staff name a purpose code for it. A partner
    confirming the journey never learns of the restriction (nothing of the record is returned).
    """
    stmt = (
        select(Person)
        .join(RepatriationMember, RepatriationMember.person_id == Person.id)
        .where(RepatriationMember.repatriation_id == batch.id)
        .order_by(Person.id)
    )
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Person)
    persons = (await session.scalars(stmt)).all()
    if not actor.is_partner:
        for person in persons:
            person_service.restriction_refused(actor, person, person.id)
        await person_service.record_break_glass(session, actor, persons)
    return persons


def _trace_blocked(actor: Actor, person_id: uuid.UUID) -> DurableWrite:
    """The audit event of a refusal that names a member and her status: it outlives the rollback."""

    async def trace(db: AsyncSession) -> None:
        await audit.record(
            db,
            actor,
            "repatriation.member_blocked",
            resource_type="person",
            resource_id=person_id,
            person_ids=[person_id],
            outcome="denied",
            status_code=batches.MemberTransitionFailed.status,
        )

    return trace


async def _move(
    session: AsyncSession,
    actor: Actor,
    persons: Sequence[Person],
    to_status: Status,
    *,
    reason: str,
    occurred_on: date,
    only_from: Status | None = None,
) -> list[uuid.UUID]:
    """Move each member to `to_status` in its history; the first who cannot fails the whole step."""
    moved = []
    for person in persons:
        if person.status == to_status or (only_from is not None and person.status != only_from):
            continue
        try:
            await person_service.apply_status_change(
                session,
                actor,
                person,
                to_status,
                reason=reason,
                occurred_on=occurred_on,
                source=batches.SOURCE,
            )
        except person_service.IllegalTransition as exc:
            raise batches.MemberTransitionFailed(
                f"A member is {person.status} and cannot become {to_status}; nothing was changed.",
                extra={
                    "person_id": str(case_service.person_ref(person.id, actor)),
                    "current_status": person.status,
                    "allowed": exc.extra.get("allowed", []),
                },
                durable=[_trace_blocked(actor, person.id)],
            ) from exc
        # Written member by member: a stale row (changed meanwhile) fails here, and what was
        # already written rolls back with the request.
        await session.flush()
        moved.append(person.id)
    return moved


async def depart(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, data: Departure
) -> tuple[Repatriation, Coordination]:
    """The batch leaves: every member becomes repatriated."""
    batch, case = await _begin(session, actor, batch_id, "departed")
    departed_at = batches.given_instant(data.departed_at, "departed_at")
    if batch.planned_departure_on and batches.local_day(departed_at) < batch.planned_departure_on:
        raise InvalidInput(
            [(("body", "departed_at"), "is before planned_departure_on; change the planned date first")]
        )
    persons = await _members(session, actor, batch)
    if not persons:
        raise batches.EmptyBatch("A batch without members cannot depart.")
    await events.repatriation_status_changed(session, batch, case, "departed")
    batch.status, batch.departed_at = "departed", departed_at
    await session.flush()
    moved = await _move(
        session,
        actor,
        persons,
        Status.repatriated,
        reason="repatriation batch departed",
        occurred_on=batches.local_day(departed_at),
    )
    await audit.record(
        session,
        actor,
        "repatriation.depart",
        resource_type="repatriation",
        resource_id=batch.id,
        person_ids=moved,
    )
    return batch, case


async def arrive(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, data: Arrival
) -> tuple[Repatriation, Coordination]:
    """The batch has arrived (the counterpart may confirm it); members stay repatriated until handover."""
    batch, case = await _begin(session, actor, batch_id, "arrived")
    arrived_at = batches.given_instant(data.arrived_at, "arrived_at")
    if batch.departed_at and arrived_at < batch.departed_at:
        raise InvalidInput([(("body", "arrived_at"), "is before the departure")])
    await events.repatriation_status_changed(session, batch, case, "arrived")
    batch.status, batch.arrived_at = "arrived", arrived_at
    await audit.record_change(session, actor, "repatriation.arrive", batch, resource_type="repatriation")
    return batch, case


async def handover(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, data: Handover
) -> tuple[Repatriation, Coordination]:
    """The receiving agency takes the members over (serah terima): each becomes handed_over."""
    batch, case = await _begin(session, actor, batch_id, "handed_over")
    if actor.is_partner and data.received_by_agency_id != actor.agency_id:
        raise batches.NotOwnAgency("A partner confirms handovers to its own agency only.")
    await agency_service.require_active(session, data.received_by_agency_id, "received_by_agency_id")
    handed_over_at = batches.given_instant(data.handed_over_at, "handed_over_at")
    if batch.arrived_at and handed_over_at < batch.arrived_at:
        raise InvalidInput([(("body", "handed_over_at"), "is before the arrival")])
    await events.repatriation_status_changed(session, batch, case, "handed_over")
    batch.status = "handed_over"
    batch.received_by_agency_id = data.received_by_agency_id
    batch.received_by_name = data.received_by_name
    batch.handed_over_at = handed_over_at
    batch.handover_document_number = data.document_number
    await session.flush()
    persons = await _members(session, actor, batch)
    moved = await _move(
        session,
        actor,
        persons,
        Status.handed_over,
        reason=f"handed over ({data.document_number})",
        occurred_on=batches.local_day(handed_over_at),
    )
    await _release(session, batch)
    await audit.record(
        session,
        actor,
        "repatriation.handover",
        resource_type="repatriation",
        resource_id=batch.id,
        person_ids=moved,
    )
    return batch, case


async def cancel(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, data: Cancellation
) -> tuple[Repatriation, Coordination]:
    """Cancel a planned or departed batch: members who had left wait to return again."""
    batch, case = await _begin(session, actor, batch_id, "cancelled")
    await events.repatriation_status_changed(session, batch, case, "cancelled")
    batch.status, batch.cancelled_at, batch.cancel_reason = "cancelled", utcnow(), data.reason
    await session.flush()
    persons = await _members(session, actor, batch)
    moved = await _move(
        session,
        actor,
        persons,
        Status.awaiting_return,
        reason=f"repatriation batch cancelled: {data.reason}"[:500],
        occurred_on=batches.local_day(utcnow()),
        only_from=Status.repatriated,
    )
    await _release(session, batch)
    await audit.record(
        session,
        actor,
        "repatriation.cancel",
        resource_type="repatriation",
        resource_id=batch.id,
        person_ids=moved,
        reason=actor.purpose,
    )
    return batch, case


async def _release(session: AsyncSession, batch: Repatriation) -> None:
    """The batch is over: its members may join another one (the partial unique index allows it)."""
    await session.execute(
        sql_update(RepatriationMember)
        .where(RepatriationMember.repatriation_id == batch.id)
        .values(active=False)
    )

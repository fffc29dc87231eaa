"""What the persons, meetings and eligibility events say, and to whom; their services call these.

Coordination builds its own (app/coordination/events.py); all queue through `service.enqueue`,
and whether a queued delivery may still go out is asked at send time (app/webhooks/flows.py).

Every event has a staff view (real ids) and, for each subscribing agency that may read the object
through the API, that agency's view: the same fields, persons under the agency's pseudonymous id.
Payloads carry ids, statuses and dates only: never a name, NIK, phone, address or notes. When no
subscription wants an event, nothing is queried beyond the (per-transaction) subscription list.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.meetings import queries as meeting_queries
from app.persons.models import Person, Referral
from app.webhooks import service

# --- persons ------------------------------------------------------------------------------


async def _referred_to(
    session: AsyncSession, person: Person, agencies: set[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(agency, its id for the person) of the agencies among `agencies` whose partners see the person.

    The id is the referral's stored pseudonym: the one that agency's API calls answer to.
    """
    if person.restricted or person.erased_at is not None:
        # Restricted processing (UU PDP) and erased records are not pushed to partner systems.
        return []
    return await _actively_referred(session, person, agencies)


async def _actively_referred(
    session: AsyncSession, person: Person, agencies: set[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(agency, its id for the person) of the agencies among `agencies` with an active referral."""
    if not agencies:
        return []
    rows = await session.execute(
        select(Referral.agency_id, Referral.pseudonym).where(
            Referral.person_id == person.id,
            Referral.ended_at.is_(None),
            Referral.agency_id.in_(agencies),
        )
    )
    return [(agency_id, pseudonym) for agency_id, pseudonym in rows]


async def person_status_changed(
    session: AsyncSession, person: Person, from_status: str, to_status: str, occurred_on: date
) -> None:
    """person.status_changed, to staff and to the agencies the person is referred to."""
    subscribers = await service.subscribers(session, "person.status_changed")
    if not subscribers:
        return
    data = {"from_status": from_status, "to_status": to_status, "occurred_on": occurred_on.isoformat()}
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: {"person_id": str(person.id), **data}}
    for agency_id, pseudonym in await _referred_to(session, person, service.agencies_of(subscribers)):
        views[agency_id] = {"person_id": str(pseudonym), **data}
    await service.enqueue(session, "person.status_changed", subscribers, [views])


async def person_referred(session: AsyncSession, person: Person, referral: Referral) -> None:
    """person.referred, to staff and to the agency the person was referred to (no other)."""
    subscribers = await service.subscribers(session, "person.referred")
    if not subscribers:
        return
    data = {"agency_id": str(referral.agency_id), "referred_at": service.iso(referral.referred_at)}
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: {"person_id": str(person.id), **data}}
    shown = not person.restricted and person.erased_at is None
    if referral.agency_id in service.agencies_of(subscribers) and shown:
        views[referral.agency_id] = {"person_id": str(referral.pseudonym), **data}
    await service.enqueue(session, "person.referred", subscribers, [views])


async def _tell_partners(session: AsyncSession, event_type: str, person: Person) -> None:
    """An event that names the person by id only, to staff and to every agency referred at this moment."""
    subscribers = await service.subscribers(session, event_type)
    if not subscribers:
        return
    data = {"occurred_at": service.iso(utcnow())}
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: {"person_id": str(person.id), **data}}
    for agency_id, pseudonym in await _actively_referred(session, person, service.agencies_of(subscribers)):
        views[agency_id] = {"person_id": str(pseudonym), **data}
    await service.enqueue(session, event_type, subscribers, [views])


async def person_erased(session: AsyncSession, person: Person) -> None:
    """person.erased (call before the referrals end): partner systems are asked to delete their copy.

    Sent although the record is erased, since that is its point: it names the person only by the
    agency's own id, with the time, and nothing else.
    """
    await _tell_partners(session, "person.erased", person)


async def person_restricted(session: AsyncSession, person: Person) -> None:
    """person.restricted, when processing is restricted (not when lifted): partners hide their copy."""
    if person.restricted:
        await _tell_partners(session, "person.restricted", person)


# --- meetings -----------------------------------------------------------------------------


async def _to_meeting_audience(
    session: AsyncSession, event_type: str, meeting_id: uuid.UUID, data: dict[str, Any]
) -> None:
    subscribers = await service.subscribers(session, event_type)
    if not subscribers:
        return
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: data}
    for agency_id in await meeting_queries.agencies_reading(
        session, meeting_id, service.agencies_of(subscribers)
    ):
        views[agency_id] = data
    await service.enqueue(session, event_type, subscribers, [views])


async def meeting_changed(
    session: AsyncSession, event_type: str, meeting: Any, changed: Sequence[str] | None = None
) -> None:
    """meeting.created or meeting.updated (with the names of the changed fields; none: no event)."""
    if changed is not None and not changed:
        return
    data: dict[str, Any] = {
        "meeting_id": str(meeting.id),
        "kind": meeting.kind,
        "title": meeting.title,
        "status": meeting.status,
        "starts_at": service.iso(meeting.starts_at),
        "ends_at": service.iso(meeting.ends_at),
        "timezone": meeting.timezone,
        "organizer_agency_id": str(meeting.organizer_agency_id),
    }
    if changed is not None:
        data["changed"] = sorted(changed)
    await _to_meeting_audience(session, event_type, meeting.id, data)


async def action_item_updated(session: AsyncSession, item: Any, changed: Sequence[str]) -> None:
    """action_item.updated, to staff and to the agencies that see the item's meeting."""
    if not changed:
        return
    data = {
        "action_item_id": str(item.id),
        "meeting_id": str(item.meeting_id),
        "status": item.status,
        "assignee_agency_id": str(item.assignee_agency_id),
        "due_on": service.iso(item.due_on),
        "changed": sorted(changed),
    }
    await _to_meeting_audience(session, "action_item.updated", item.meeting_id, data)


# --- eligibility --------------------------------------------------------------------------


async def determinations_changed(
    session: AsyncSession, run: Any, person_ids: Select[Any], eligible: bool
) -> None:
    """determination.changed for each person whose outcome flipped in `run` (staff subscriptions only)."""
    subscribers = [
        s for s in await service.subscribers(session, "determination.changed") if s.agency_id is None
    ]
    if not subscribers:
        return
    data = {
        "program_id": str(run.program_id),
        "run_id": str(run.id),
        "as_of": service.iso(run.as_of),
        "eligible": eligible,
    }
    ids = (await session.scalars(person_ids)).all()
    views = ({None: {"person_id": str(person_id), **data}} for person_id in ids)
    await service.enqueue(session, "determination.changed", subscribers, views)

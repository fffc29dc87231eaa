"""What each webhook event says, and to whom; the domain services call these in their transaction.

Every event has a staff view (real ids) and, for each subscribing agency that may read the object
through the API, that agency's view: the same fields, persons under the agency's pseudonymous id.
Payloads carry ids, statuses and dates only: never a name, NIK, phone, address or notes. When no
subscription wants an event, nothing is queried beyond the (per-transaction) subscription list.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.coordination.models import Coordination
from app.db import utcnow
from app.errors import AppError
from app.meetings.models import Meeting
from app.persons.models import Person, Referral
from app.security.policy import Role
from app.security.principal import Actor
from app.webhooks import service
from app.webhooks.service import Subscriber


def _iso(value: datetime | date | None) -> str | None:
    """Dates as YYYY-MM-DD; instants in UTC, as the API writes them."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return None if value is None else value.isoformat()


def _agencies(subscribers: Sequence[Subscriber]) -> set[uuid.UUID]:
    return {s.agency_id for s in subscribers if s.agency_id is not None}


def _as_partner(agency_id: uuid.UUID) -> Actor:
    """A partner of `agency_id`, to ask the domains' own visibility conditions what it may see."""
    nobody = uuid.UUID(int=0)
    return Actor(kind="system", id=nobody, role=Role.partner, agency_id=agency_id, token_id=nobody)


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
    for agency_id, pseudonym in await _referred_to(session, person, _agencies(subscribers)):
        views[agency_id] = {"person_id": str(pseudonym), **data}
    await service.enqueue(session, "person.status_changed", subscribers, [views])


async def person_referred(session: AsyncSession, person: Person, referral: Referral) -> None:
    """person.referred, to staff and to the agency the person was referred to (no other)."""
    subscribers = await service.subscribers(session, "person.referred")
    if not subscribers:
        return
    data = {"agency_id": str(referral.agency_id), "referred_at": _iso(referral.referred_at)}
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: {"person_id": str(person.id), **data}}
    if referral.agency_id in _agencies(subscribers) and not person.restricted and person.erased_at is None:
        views[referral.agency_id] = {"person_id": str(referral.pseudonym), **data}
    await service.enqueue(session, "person.referred", subscribers, [views])


async def _tell_partners(session: AsyncSession, event_type: str, person: Person) -> None:
    """An event that names the person by id only, to staff and to every agency referred at this moment."""
    subscribers = await service.subscribers(session, event_type)
    if not subscribers:
        return
    data = {"occurred_at": _iso(utcnow())}
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: {"person_id": str(person.id), **data}}
    for agency_id, pseudonym in await _actively_referred(session, person, _agencies(subscribers)):
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


async def _meeting_seen_by(
    session: AsyncSession, meeting_id: uuid.UUID, agencies: set[uuid.UUID]
) -> list[uuid.UUID]:
    """The agencies among `agencies` that may see the meeting (the meetings service's own condition)."""
    from app.meetings import queries as meeting_queries  # noqa: PLC0415 - it calls this module

    seen = []
    for agency_id in sorted(agencies):
        visible = meeting_queries.readable(_as_partner(agency_id))
        found = await session.scalar(select(Meeting.id).where(Meeting.id == meeting_id, visible))
        if found is not None:
            seen.append(agency_id)
    return seen


async def _to_meeting_audience(
    session: AsyncSession, event_type: str, meeting_id: uuid.UUID, data: dict[str, Any]
) -> None:
    subscribers = await service.subscribers(session, event_type)
    if not subscribers:
        return
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: data}
    for agency_id in await _meeting_seen_by(session, meeting_id, _agencies(subscribers)):
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
        "starts_at": _iso(meeting.starts_at),
        "ends_at": _iso(meeting.ends_at),
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
        "due_on": _iso(item.due_on),
        "changed": sorted(changed),
    }
    await _to_meeting_audience(session, "action_item.updated", item.meeting_id, data)


# --- repatriations ------------------------------------------------------------------------


async def repatriation_status_changed(session: AsyncSession, batch: Any, case: Any, to_status: str) -> None:
    """repatriation.status_changed (call before the status is set), to staff and the case's counterpart."""
    subscribers = await service.subscribers(session, "repatriation.status_changed")
    if not subscribers:
        return
    data = {
        "repatriation_id": str(batch.id),
        "coordination_id": str(case.id),
        "from_status": batch.status,
        "to_status": to_status,
    }
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: data}
    # A partner sees the cases its agency is the counterpart of (coordination.service.visible_cases).
    if case.counterpart_agency_id in _agencies(subscribers):
        views[case.counterpart_agency_id] = data
    await service.enqueue(session, "repatriation.status_changed", subscribers, [views])


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
        "as_of": _iso(run.as_of),
        "eligible": eligible,
    }
    ids = (await session.scalars(person_ids)).all()
    views = ({None: {"person_id": str(person_id), **data}} for person_id in ids)
    await service.enqueue(session, "determination.changed", subscribers, views)


# --- at send time -------------------------------------------------------------------------

# Events whose point is to reach the agency after its access ended (they carry ids only).
_ALWAYS_SENT = frozenset({"person.erased", "person.restricted"})


async def _person_readable(session: AsyncSession, agency_id: uuid.UUID, data: dict[str, Any]) -> bool:
    """Whether the agency's partners may still read the person (the persons service's own `find`)."""
    from app.persons import service as person_service  # noqa: PLC0415 - it calls this module

    try:
        ref = uuid.UUID(str(data.get("person_id")))
        found = await person_service.find(session, _as_partner(agency_id), ref)
    except (ValueError, AppError):  # not visible (404) or restricted (403)
        return False
    return found.person.erased_at is None


async def _case_readable(session: AsyncSession, agency_id: uuid.UUID, data: dict[str, Any]) -> bool:
    """Whether the agency still sees the repatriation's case (coordination's own condition)."""
    from app.coordination import service as coordination_service  # noqa: PLC0415 - it calls this module

    try:
        case_id = uuid.UUID(str(data.get("coordination_id")))
    except ValueError:
        return False
    visible = coordination_service.visible_cases(_as_partner(agency_id))
    return (
        await session.scalar(select(Coordination.id).where(Coordination.id == case_id, visible)) is not None
    )


async def _meeting_readable(session: AsyncSession, agency_id: uuid.UUID, data: dict[str, Any]) -> bool:
    try:
        meeting_id = uuid.UUID(str(data.get("meeting_id")))
    except ValueError:
        return False
    return bool(await _meeting_seen_by(session, meeting_id, {agency_id}))


_READABLE = {
    "person.status_changed": _person_readable,
    "person.referred": _person_readable,
    "meeting.created": _meeting_readable,
    "meeting.updated": _meeting_readable,
    "action_item.updated": _meeting_readable,
    "repatriation.status_changed": _case_readable,
}


async def still_allowed(
    session: AsyncSession, agency_id: uuid.UUID | None, event_type: str, data: dict[str, Any]
) -> bool:
    """Whether a queued delivery may go out now: the agency may still read what it is about.

    Checked when the worker sends (each retry too), not only at emission: a referral that ended,
    a restriction or an erasure since, or a meeting the agency left, stops what was queued. Staff
    subscriptions read everything; an event type without a rule here never reaches an agency.
    """
    if agency_id is None or event_type in _ALWAYS_SENT:
        return True
    readable = _READABLE.get(event_type)
    return readable is not None and await readable(session, agency_id, data)

"""The persons' webhook events: their payloads, and the agencies each one's view goes to.

Staff get real ids; each subscribing agency that may read the person, its own pseudonymous id.

Payloads carry ids, statuses and dates only: never a name, NIK, phone, address or notes. When no
subscription wants an event, nothing is queried beyond the (per-transaction) subscription list;
app.webhooks queues them (`service.enqueue`) and checks each at send time (app/webhooks/flows.py).
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.persons.models import Person, Referral
from app.webhooks import service


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

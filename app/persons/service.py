"""The persons service: status lifecycle, referrals, restriction, history and the access log.

Registration and editing live in `registration`, reaching one person (visibility, the restricted
record rule) in `access`; their public names are re-exported here, the one entry point of the
persons domain for the other domains.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.audit import service as audit
from app.clock import office_today
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.pagination import PageParams
from app.persons import events as webhook_events
from app.persons import queries
from app.persons.access import Found as Found
from app.persons.access import PersonErased as PersonErased
from app.persons.access import PersonNotFound as PersonNotFound
from app.persons.access import RestrictedRecord as RestrictedRecord
from app.persons.access import find as find
from app.persons.access import record_break_glass as record_break_glass
from app.persons.access import refuse_if_erased as refuse_if_erased
from app.persons.access import restriction_refused as restriction_refused
from app.persons.changes import history_entry as history_entry
from app.persons.changes import record_person_change as record_person_change
from app.persons.models import Person, PersonChange, Referral
from app.persons.queries import PersonFilters
from app.persons.queries import unrestricted_unless_lifted as unrestricted_unless_lifted
from app.persons.registration import create as create
from app.persons.registration import update as update
from app.persons.transitions import allowed_targets, is_allowed
from app.security import crypto
from app.security.principal import Actor


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal status change"


async def apply_status_change(
    session: AsyncSession,
    actor: Actor,
    person: Person,
    to_status: str,
    *,
    reason: str | None,
    occurred_on: date | None,
    source: str = "api",
) -> None:
    """Move `person` to `to_status` if the transition table allows it (409 listing the allowed targets)."""
    if not is_allowed(person.status, to_status):
        allowed = allowed_targets(person.status)
        raise IllegalTransition(
            f"{person.status} cannot change to {to_status}; allowed: {', '.join(allowed) or 'none'}.",
            extra={"allowed": allowed, "current_status": person.status},
        )
    old = person.status
    person.status = to_status
    person.status_changed_at = utcnow()
    session.add(
        history_entry(
            person.id,
            actor,
            "status",
            field="status",
            old_value=old,
            new_value=to_status,
            reason=reason,
            occurred_on=occurred_on or office_today(),
            source=source,
        )
    )
    await webhook_events.person_status_changed(session, person, old, to_status, occurred_on or office_today())


async def change_status(
    session: AsyncSession,
    actor: Actor,
    ref: uuid.UUID,
    to_status: str,
    reason: str | None,
    occurred_on: date | None,
) -> Person:
    """POST /persons/{id}/status-changes."""
    person = (await find(session, actor, ref, for_update=True)).person
    refuse_if_erased(person)
    await apply_status_change(session, actor, person, to_status, reason=reason, occurred_on=occurred_on)
    await record_person_change(session, actor, "person.status_change", person.id)
    return person


async def history(session: AsyncSession, actor: Actor, ref: uuid.UUID) -> Sequence[PersonChange]:
    person = (await find(session, actor, ref)).person
    changes = await session.scalars(
        select(PersonChange).where(PersonChange.person_id == person.id).order_by(PersonChange.id)
    )
    await audit.record(
        session,
        actor,
        "person.history",
        resource_type="person",
        resource_id=person.id,
        person_ids=[person.id],
        reason=actor.purpose,
    )
    return changes.all()


async def refer(
    session: AsyncSession, actor: Actor, ref: uuid.UUID, agency_id: uuid.UUID, reason: str | None
) -> Referral:
    """Refer a person to an agency, whose partners then see the person under their own id."""
    person = (await find(session, actor, ref)).person
    refuse_if_erased(person)
    await agency_service.require_active(session, agency_id)
    referral = await session.get(Referral, (person.id, agency_id))
    if referral is not None and referral.ended_at is None:
        raise Conflict("The person is already referred to this agency.")
    if referral is None:
        referral = Referral(
            person_id=person.id, agency_id=agency_id, pseudonym=crypto.pseudonym(person.id, agency_id)
        )
        session.add(referral)
    referral.reason, referral.referred_at, referral.referred_by, referral.ended_at = (
        reason,
        utcnow(),
        actor.id,
        None,
    )
    session.add(
        history_entry(
            person.id, actor, "referral", field="referrals", new_value=str(agency_id), reason=reason
        )
    )
    await webhook_events.person_referred(session, person, referral)
    await record_person_change(session, actor, "person.refer", person.id)
    return referral


async def end_referral(session: AsyncSession, actor: Actor, ref: uuid.UUID, agency_id: uuid.UUID) -> Person:
    """Withdraw a referral: the agency's partners stop seeing the person (see privacy.flows.end_referral)."""
    person = (await find(session, actor, ref)).person
    referral = await session.get(Referral, (person.id, agency_id))
    if referral is None or referral.ended_at is not None:
        raise NotFound(
            "The person is not referred to this agency.", resource_type="referral", resource_id=agency_id
        )
    referral.ended_at = utcnow()
    session.add(history_entry(person.id, actor, "referral", field="referrals", old_value=str(agency_id)))
    await record_person_change(session, actor, "person.unrefer", person.id)
    return person


async def set_restriction(session: AsyncSession, actor: Actor, ref: uuid.UUID, reason: str | None) -> Person:
    """Restrict processing (reason given) or lift the restriction (reason None)."""
    person = (await find(session, actor, ref)).person
    refuse_if_erased(person)  # an erased record has nothing left to restrict, nor a reason to keep
    restricted = reason is not None
    if person.restricted == restricted:
        raise Conflict("The record is already restricted." if restricted else "The record is not restricted.")
    person.restricted, person.restricted_at = restricted, utcnow() if restricted else None
    await webhook_events.person_restricted(session, person)
    session.add(
        history_entry(
            person.id,
            actor,
            "restrict",  # `kind` holds at most 10 characters
            field="restricted",
            old_value=str(not restricted).lower(),
            new_value=str(restricted).lower(),
            reason=reason,
        )
    )
    action = "person.restrict" if restricted else "person.unrestrict"
    await record_person_change(session, actor, action, person.id, reason=actor.purpose)
    return person


async def access_log(
    session: AsyncSession, actor: Actor, ref: uuid.UUID, page: PageParams
) -> tuple[Sequence[Any], str | None]:
    """Who read or changed the record: the audit events that list this person."""
    person = (await find(session, actor, ref)).person
    events, cursor = await audit.list_events(session, page, person_id=person.id)
    await audit.record(
        session,
        actor,
        "person.access_log",
        resource_type="person",
        resource_id=person.id,
        person_ids=[person.id],
        reason=actor.purpose,
    )
    return events, cursor


async def all_access_events(session: AsyncSession, person_id: uuid.UUID) -> Sequence[Any]:
    """Every audit event that lists this person (for the data subject's copy)."""
    from app.audit.models import AuditEvent

    stmt = audit.touching_person(select(AuditEvent), person_id, session.bind.dialect.name)
    return (await session.scalars(stmt.order_by(AuditEvent.id))).all()


async def export_ids(
    session: AsyncSession, actor: Actor, filters: PersonFilters, reason: str | None = None
) -> list[uuid.UUID]:
    """The persons an export holds (never restricted or erased ones); the export is audited."""
    ids = list((await session.scalars(queries.exported(filters))).all())
    await audit.record(session, actor, "person.export", resource_type="person", person_ids=ids, reason=reason)
    return ids

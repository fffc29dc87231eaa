"""The registry: persons, their history, status lifecycle, referrals, restriction and erasure.

Visibility is part of every query: a partner reaches a person only through an active referral
to its own agency, and only under that agency's pseudonymous id.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.audit import service as audit
from app.clock import office_today
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.ids import uuid7
from app.pagination import PageParams
from app.persons import nik as nik_rules
from app.persons import queries
from app.persons.models import Person, PersonChange, Referral
from app.persons.queries import PersonFilters
from app.persons.queries import unrestricted_unless_lifted as unrestricted_unless_lifted  # re-export
from app.persons.schemas import PersonCreate, PersonUpdate
from app.persons.transitions import allowed_targets, is_allowed
from app.privacy.purpose import PURPOSE_CODES
from app.privacy.views import MASKED_IN_HISTORY
from app.regions import service as region_service
from app.regions.models import Region
from app.security import crypto
from app.security.principal import Actor
from app.sites import service as site_service
from app.sites.models import Site
from app.webhooks import events as webhook_events


class PersonNotFound(NotFound):
    slug, title = "person-not-found", "Person not found"


class DuplicateNik(Conflict):
    slug, title = "duplicate-nik", "Duplicate NIK"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal status change"


class RestrictedRecord(Forbidden):
    slug, title = "restricted-record", "Restricted record"


class PersonErased(Conflict):
    slug, title = "person-erased", "Person erased"


@dataclass
class Found:
    """A person as reached by one caller: the row, and the caller's referral if a partner."""

    person: Person
    referral: Referral | None
    # Staff reads: the person's active referrals, when loaded with the person (None: not loaded).
    referrals: list[Referral] | None = None


def restriction_refused(actor: Actor, person: Any, ref: Any, resource_type: str = "person") -> None:
    """The one rule of restricted records: 404 to partners, 403 to staff who name no purpose code."""
    if not person.restricted or actor.lifts_restriction:
        return
    if actor.is_partner:
        # A 403 would tell the partner that the person exists and is restricted.
        raise PersonNotFound(resource_type=resource_type, resource_id=ref)
    raise RestrictedRecord(
        f"This record is restricted: name the purpose of access in the X-Purpose header ({PURPOSE_CODES}).",
        resource_type=resource_type,
        resource_id=ref,
    )


def break_glass_event(actor: Actor, persons: Iterable[Any]) -> dict[str, Any] | None:
    """The audit event of reading restricted records under a purpose code (None if none was read)."""
    ids = [p.id for p in persons if p.restricted]
    if not ids:
        return None
    return {
        "action": "person.break_glass",
        "resource_type": "person",
        "resource_id": ids[0] if len(ids) == 1 else None,
        "person_ids": ids,
        "reason": actor.purpose,
    }


async def record_break_glass(session: AsyncSession, actor: Actor, persons: Iterable[Any]) -> None:
    """Audit a read of restricted records under the request's purpose code (nothing if none)."""
    event = break_glass_event(actor, persons)
    if event is not None:
        await audit.record(session, actor, **event)


def found_in(rows: Sequence[Any], actor: Actor, ref: uuid.UUID, with_referrals: bool) -> Found:
    """The person of `find_query`'s rows; 404 when there is none, then the restriction rule."""
    if not rows:
        raise PersonNotFound(resource_type="person", resource_id=ref)
    person, referral = rows[0]
    restriction_refused(actor, person, ref)
    if with_referrals and not actor.is_partner:
        return Found(person, None, [r for _, r in rows if r is not None])
    return Found(person, referral)


async def find(
    session: AsyncSession,
    actor: Actor,
    ref: uuid.UUID,
    *,
    for_update: bool = False,
    with_referrals: bool = False,
) -> Found:
    """The person behind `ref` (a partner's pseudonym, or the real id for staff); 404 if not visible.

    Every route that reads or changes one person comes through here: a restricted record only
    for staff whose request names a purpose code (X-Purpose), audited as a break-the-glass read.
    `with_referrals` loads a staff reader's view of the active referrals in the same query.
    """
    stmt = queries.one(actor, ref, with_referrals=with_referrals)
    if for_update and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Person)
    rows = (await session.execute(stmt)).all()
    found = found_in(rows, actor, ref, with_referrals)
    await record_break_glass(session, actor, [found.person])
    return found


def _nik_fields(person_id: uuid.UUID, value: str | None) -> dict[str, Any]:
    if value is None:
        return {"nik_ciphertext": None, "nik_blind_index": None, "nik_last4": None, "nik_region_code": None}
    return {
        "nik_ciphertext": crypto.encrypt(value, person_id, "nik"),
        "nik_blind_index": crypto.blind_index(value),
        "nik_last4": value[-4:],
        "nik_region_code": nik_rules.parse(value).region_code,
    }


async def _check_nik(session: AsyncSession, actor: Actor, value: str, person_id: uuid.UUID | None) -> None:
    province = value[:2]
    if await session.get(Region, province) is None:
        raise InvalidInput([(("body", "nik"), "the first two digits are not a known province code")])
    existing = await session.scalar(
        select(Person.id).where(Person.nik_blind_index == crypto.blind_index(value))
    )
    if existing is not None and existing != person_id:
        extra = {"existing_id": str(existing)} if not actor.is_partner else {}

        async def trace(db: AsyncSession) -> None:
            # The refusal tells who holds the NIK: a read of that person, kept past the rollback.
            await audit.record(
                db,
                actor,
                "person.nik_match",
                resource_type="person",
                resource_id=existing,
                person_ids=[existing],
                outcome="denied",
                status_code=DuplicateNik.status,
            )

        raise DuplicateNik("A person with this NIK is already registered.", extra=extra, durable=[trace])


async def _check_regions(session: AsyncSession, data: dict[str, Any]) -> None:
    for field in ("origin_region_code", "domicile_region_code"):
        if data.get(field) is not None:
            await region_service.require_code(session, data[field], field, level="regency")


async def allocate_registration(session: AsyncSession, site: Site, count: int = 1) -> list[tuple[int, str]]:
    """Reserve `count` registration numbers of a site (the row update serializes concurrent callers)."""
    last = await session.scalar(
        sql_update(Site)
        .where(Site.id == site.id)
        .values(registration_counter=Site.registration_counter + count)
        .returning(Site.registration_counter)
    )
    return [(seq, f"{site.code}-{seq:04d}") for seq in range(last - count + 1, last + 1)]


def history_entry(person_id: uuid.UUID, actor: Actor | None, kind: str, **fields: Any) -> PersonChange:
    return PersonChange(
        id=uuid7(),
        person_id=person_id,
        occurred_at=utcnow(),
        kind=kind,
        actor_kind=actor.kind if actor else None,
        actor_id=actor.id if actor else None,
        source=fields.pop("source", "api"),
        **fields,
    )


def warnings_for(person_nik: str | None, sex: str | None, birth_date: date | None) -> list[str]:
    if person_nik is None:
        return []
    return nik_rules.disagreements(nik_rules.parse(person_nik), sex, birth_date)


async def create(session: AsyncSession, actor: Actor, data: PersonCreate) -> tuple[Person, list[str]]:
    """Register a person; 409 on a NIK already in the registry."""
    site = await site_service.require(session, data.site_id)
    values = data.model_dump(exclude={"nik", "kk_number"})
    await _check_regions(session, values)
    if data.nik:
        await _check_nik(session, actor, data.nik, None)
    person_id = uuid7()
    [(seq, number)] = await allocate_registration(session, site)
    now = utcnow()
    person = Person(
        id=person_id,
        registration_seq=seq,
        registration_number=number,
        **values,
        **_nik_fields(person_id, data.nik),
        kk_ciphertext=crypto.encrypt(data.kk_number, person_id, "kk_number") if data.kk_number else None,
        identity_verified_at=now if data.identity_verified else None,
        identity_verified_by=actor.id if data.identity_verified else None,
        status_changed_at=now,
        created_by=actor.id,
    )
    session.add(person)
    session.add(history_entry(person_id, actor, "created", new_value=number))
    await session.flush()
    await audit.record(
        session, actor, "person.create", resource_type="person", resource_id=person_id, person_ids=[person_id]
    )
    return person, warnings_for(data.nik, data.sex, data.birth_date)


def _current(person: Person, field: str) -> Any:
    if field == "nik":
        return decrypt_nik(person)
    if field == "kk_number":
        return crypto.decrypt(person.kk_ciphertext, person.id, "kk_number") if person.kk_ciphertext else None
    return getattr(person, field)


def _shown(field: str, value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return crypto.mask(text) if field in MASKED_IN_HISTORY else text


async def update(
    session: AsyncSession,
    actor: Actor,
    ref: uuid.UUID,
    data: PersonUpdate,
    expected: int,
    *,
    source: str = "api",
    reason: str | None = None,
) -> tuple[Person, list[str]]:
    """Apply the fields sent (If-Match must name the current version); each change goes to history."""
    person = (await find(session, actor, ref)).person
    refuse_if_erased(person)
    check_version(expected, person.version)
    changes = data.model_dump(exclude_unset=True)
    await _check_regions(session, changes)
    if changes.get("nik"):
        await _check_nik(session, actor, changes["nik"], person.id)
    for field, new in changes.items():
        old = _current(person, field)
        if old == new:
            continue
        _apply(person, actor, field, new)
        session.add(
            history_entry(
                person.id,
                actor,
                "field",
                field=field,
                old_value=_shown(field, old),
                new_value=_shown(field, new),
                reason=reason,
                source=source,
            )
        )
    if person.legal_basis == "consent" and person.consent_at is None:
        raise InvalidInput([(("body", "consent_at"), "is required when legal_basis is consent")])
    await session.flush()
    await audit.record(
        session, actor, "person.update", resource_type="person", resource_id=person.id, person_ids=[person.id]
    )
    return person, warnings_for(_current(person, "nik"), person.sex, person.birth_date)


def _apply(person: Person, actor: Actor, field: str, value: Any) -> None:
    if field == "nik":
        for column, column_value in _nik_fields(person.id, value).items():
            setattr(person, column, column_value)
    elif field == "kk_number":
        person.kk_ciphertext = crypto.encrypt(value, person.id, "kk_number") if value else None
    else:
        setattr(person, field, value)
    if field == "identity_verified":
        person.identity_verified_at = utcnow() if value else None
        person.identity_verified_by = actor.id if value else None


def refuse_if_erased(person: Person) -> None:
    if person.erased_at is not None:
        raise PersonErased("The record was erased; it can no longer be changed.")


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
    await session.flush()
    await audit.record(
        session,
        actor,
        "person.status_change",
        resource_type="person",
        resource_id=person.id,
        person_ids=[person.id],
    )
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


def read_event(found: Found, ref: uuid.UUID, reason: str | None) -> dict[str, Any]:
    """The audit event of reading one person."""
    return {
        "action": "person.read",
        "resource_type": "person",
        "resource_id": ref,
        "person_ids": [found.person.id],
        "reason": reason,
    }


def list_event(found: Sequence[Found], reason: str | None) -> dict[str, Any]:
    """The audit event of reading a page of persons."""
    return {
        "action": "person.list",
        "resource_type": "person",
        "person_ids": [f.person.id for f in found],
        "reason": reason,
    }


def decrypt_nik(person: Person) -> str | None:
    return crypto.decrypt(person.nik_ciphertext, person.id, "nik") if person.nik_ciphertext else None


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
    await session.flush()
    await webhook_events.person_referred(session, person, referral)
    await audit.record(
        session, actor, "person.refer", resource_type="person", resource_id=person.id, person_ids=[person.id]
    )
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
    await session.flush()
    await audit.record(
        session,
        actor,
        "person.unrefer",
        resource_type="person",
        resource_id=person.id,
        person_ids=[person.id],
    )
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
    await session.flush()
    action = "person.restrict" if restricted else "person.unrestrict"
    await audit.record(
        session,
        actor,
        action,
        resource_type="person",
        resource_id=person.id,
        person_ids=[person.id],
        reason=actor.purpose,
    )
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

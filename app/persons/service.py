"""The registry: persons, their history, status lifecycle, referrals, restriction and erasure.

Visibility is part of every query: a partner reaches a person only through an active referral
to its own agency, and only under that agency's pseudonymous id.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, false, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.agencies import service as agency_service
from app.audit import service as audit
from app.clock import office_today
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.ids import uuid7
from app.pagination import PageParams, paginate_rows
from app.persons import nik as nik_rules
from app.persons.models import Person, PersonChange, Referral
from app.persons.schemas import PersonCreate, PersonUpdate
from app.persons.transitions import allowed_targets, is_allowed
from app.privacy.inventory import may_read
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


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Limit a query on persons to what `actor` may see (partners: active referrals to their agency)."""
    if not actor.is_partner:
        return stmt
    # A named parameter: the driver reads compile this once for every partner (app.persons.driver_reads).
    return stmt.join(
        Referral,
        (Referral.person_id == Person.id)
        & (
            Referral.agency_id
            == bindparam("viewer_agency_id", actor.agency_id, type_=Referral.agency_id.type)
        )
        & Referral.ended_at.is_(None),
    )


def find_query(actor: Actor, ref: Any, *, with_referrals: bool) -> Select[Any]:
    """The query behind `find`: rows of (person, referral); `ref` a value or a bind parameter."""
    if actor.is_partner:
        return visible(select(Person, Referral), actor).where(Referral.pseudonym == ref)
    if with_referrals:
        return (
            select(Person, Referral)
            .outerjoin(Referral, (Referral.person_id == Person.id) & Referral.ended_at.is_(None))
            .where(Person.id == ref)
            .order_by(Referral.referred_at)
        )
    return select(Person, None).where(Person.id == ref)


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


def unrestricted_unless_lifted(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """`stmt` on persons without restricted ones, unless staff named a purpose (the rule of lists)."""
    return stmt if actor.lifts_restriction else stmt.where(Person.restricted.is_(False))


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
    stmt = find_query(actor, ref, with_referrals=with_referrals)
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
    for field in ("full_name", "sex", "identity_document", "identity_verified", "legal_basis"):
        if field in changes and changes[field] is None:
            raise InvalidInput([(("body", field), "may not be null")])
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


async def get(session: AsyncSession, actor: Actor, ref: uuid.UUID) -> Found:
    """Read one person (with its active referrals for staff); the read is audited."""
    found = await find(session, actor, ref, with_referrals=True)
    await audit.record(session, actor, **read_event(found, ref, actor.purpose))
    return found


def read_event(found: Found, ref: uuid.UUID, reason: str | None) -> dict[str, Any]:
    """The audit event of reading one person."""
    return {
        "action": "person.read",
        "resource_type": "person",
        "resource_id": ref,
        "person_ids": [found.person.id],
        "reason": reason,
    }


@dataclass
class PersonFilters:
    site_id: uuid.UUID | None = None
    status: str | None = None
    origin_region_code: str | None = None
    origin_province_code: str | None = None
    domicile_region_code: str | None = None
    identity_verified: bool | None = None
    referred_agency_id: uuid.UUID | None = None
    q: str | None = None
    nik: str | None = None
    updated_since: datetime | None = None


def _like_escaped(text: str) -> str:
    """`text` matched literally by LIKE: its `%` and `_` are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(stmt: Select[Any], f: PersonFilters) -> tuple[Select[Any], dict[str, Any]]:
    """`stmt` narrowed by the filters given, and the values of its named parameters.

    Named parameters: the driver reads compile one statement per set of filters given.
    """
    params: dict[str, Any] = {}

    def param(name: str, value: Any, column: Any) -> Any:
        params[name] = value
        # The column's type, not one guessed from the value: UTCDateTime converts to UTC first.
        return bindparam(name, value, type_=column.type)

    for column, value in (
        (Person.site_id, f.site_id),
        (Person.status, f.status),
        (Person.origin_region_code, f.origin_region_code),
        (Person.domicile_region_code, f.domicile_region_code),
        (Person.identity_verified, f.identity_verified),
    ):
        if value is not None:
            stmt = stmt.where(column == param(f"filter_{column.key}", value, column))
    if f.origin_province_code:
        prefix = param("filter_origin_province", f.origin_province_code + ".", Person.origin_region_code)
        stmt = stmt.where(Person.origin_region_code.startswith(prefix))
    if f.referred_agency_id:
        # An alias: a partner's query already joins its own referral, which must not correlate here.
        other = aliased(Referral)
        stmt = stmt.where(
            select(other.person_id)
            .where(
                other.person_id == Person.id,
                other.agency_id == param("filter_referred_agency_id", f.referred_agency_id, other.agency_id),
                other.ended_at.is_(None),
            )
            .exists()
        )
    if f.q:
        # Lowered by the database on both sides: Python's casefold and SQLite's ASCII-only lower()
        # disagree on non-ASCII letters (Greek, accented), and then a name would not find itself.
        needle = func.lower(param("filter_q", _like_escaped(f.q), Person.full_name))
        stmt = stmt.where(
            func.lower(Person.full_name).contains(needle, escape="\\")
            | func.lower(Person.alias).contains(needle, escape="\\")
        )
    if f.nik:
        stmt = stmt.where(
            Person.nik_blind_index == param("filter_nik", crypto.blind_index(f.nik), Person.nik_blind_index)
        )
    if f.updated_since:
        stmt = stmt.where(
            Person.updated_at >= param("filter_updated_since", f.updated_since, Person.updated_at)
        )
    return stmt, params


def page_query(actor: Actor, filters: PersonFilters) -> tuple[Select[Any], dict[str, Any]]:
    """The query of a list of visible persons (before paging), and its parameters' values."""
    if filters.nik and not may_read("persons", "nik_ciphertext", actor.role):
        # Who sees 4 digits of a NIK could confirm each guess of the rest by searching for it.
        raise Forbidden("Only roles that read the full NIK may search by it.")
    stmt = visible(select(Person, Referral if actor.is_partner else None), actor)
    stmt = unrestricted_unless_lifted(stmt, actor)
    if actor.is_partner and filters.referred_agency_id not in (None, actor.agency_id):
        # Referrals to other agencies are not a partner's to know: none of them match.
        stmt = stmt.where(false())
    return _filtered(stmt, filters)


def list_event(found: Sequence[Found], reason: str | None) -> dict[str, Any]:
    """The audit event of reading a page of persons."""
    return {
        "action": "person.list",
        "resource_type": "person",
        "person_ids": [f.person.id for f in found],
        "reason": reason,
    }


async def list_persons(
    session: AsyncSession, actor: Actor, page: PageParams, filters: PersonFilters
) -> tuple[list[Found], str | None]:
    """A page of visible persons; restricted ones only under a purpose code. The page is audited."""
    stmt, _ = page_query(actor, filters)
    rows, cursor = await paginate_rows(session, stmt, Person.id, page)
    found = [Found(person, referral) for person, referral in rows]
    await audit.record(session, actor, **list_event(found, actor.purpose))
    await record_break_glass(session, actor, [f.person for f in found])
    return found, cursor


async def active_referrals(
    session: AsyncSession, person_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Referral]]:
    """Active referrals of many persons in one query."""
    ids = list(person_ids)
    result: dict[uuid.UUID, list[Referral]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = await session.scalars(
        select(Referral)
        .where(Referral.person_id.in_(ids), Referral.ended_at.is_(None))
        .order_by(Referral.referred_at)
    )
    for referral in rows:
        result[referral.person_id].append(referral)
    return result


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


async def access_log(session: AsyncSession, actor: Actor, ref: uuid.UUID, page: PageParams):  # noqa: ANN201
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
    from app.audit.models import AuditEvent  # noqa: PLC0415

    stmt = audit.touching_person(select(AuditEvent), person_id, session.bind.dialect.name)
    return (await session.scalars(stmt.order_by(AuditEvent.id))).all()


async def export_ids(
    session: AsyncSession, actor: Actor, filters: PersonFilters, reason: str | None = None
) -> list[uuid.UUID]:
    """The persons an export holds (never restricted or erased ones); the export is audited."""
    stmt = select(Person.id).where(Person.restricted.is_(False), Person.erased_at.is_(None))
    stmt, _ = _filtered(stmt, filters)
    ids = list((await session.scalars(stmt.order_by(Person.id))).all())
    await audit.record(session, actor, "person.export", resource_type="person", person_ids=ids, reason=reason)
    return ids

"""Registering a person and editing the record: NIK and region checks, registration numbers, history."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.ids import uuid7
from app.persons import nik as nik_rules
from app.persons.access import find, refuse_if_erased
from app.persons.changes import history_entry, record_person_change
from app.persons.models import Person
from app.persons.schemas import PersonCreate, PersonUpdate
from app.privacy.views import MASKED_IN_HISTORY
from app.regions import service as region_service
from app.regions.models import Region
from app.security import crypto
from app.security.principal import Actor
from app.sites import service as site_service
from app.sites.models import Site


class DuplicateNik(Conflict):
    slug, title = "duplicate-nik", "Duplicate NIK"


def _nik_fields(person_id: uuid.UUID, value: str | None) -> dict[str, Any]:
    return dict(zip(nik_rules.STORED_COLUMNS, nik_rules.stored(person_id, value), strict=True))


async def _check_nik(session: AsyncSession, actor: Actor, value: str, person_id: uuid.UUID | None) -> None:
    if await session.get(Region, nik_rules.province_code(value)) is None:
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
    await record_person_change(session, actor, "person.create", person_id)
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
    await record_person_change(session, actor, "person.update", person.id)
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


def decrypt_nik(person: Person) -> str | None:
    return nik_rules.decrypt(person.id, person.nik_ciphertext)

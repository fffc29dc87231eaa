"""The persons of a coordination case, as each actor may read them (partners under their own ids)."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.coordination import queries, service
from app.coordination.models import Coordination, Repatriation, RepatriationMember
from app.coordination.schemas import CasePersonRead
from app.pagination import PageParams, paginate_rows
from app.persons import service as person_service
from app.persons.models import Person
from app.persons.transitions import Status
from app.privacy import views
from app.security import crypto
from app.security.principal import Actor


def _batch_of(case_id: uuid.UUID) -> Any:
    """The active batch of this case the person travels in, as a scalar subquery."""
    return (
        select(RepatriationMember.repatriation_id)
        .join(Repatriation, Repatriation.id == RepatriationMember.repatriation_id)
        .where(
            RepatriationMember.person_id == Person.id,
            RepatriationMember.active.is_(True),
            Repatriation.coordination_id == case_id,
        )
        .limit(1)
        .scalar_subquery()
    )


CASE_PERSON_FIELDS = (
    "registration_number", "full_name", "alias", "sex", "birth_date", "birth_year", "origin_region_code",
    "domicile_region_code", "identity_verified", "status", "status_changed_at",
)  # fmt: skip


def present_person(person: Person, batch_id: uuid.UUID | None, actor: Actor) -> CasePersonRead:
    """A person of a case: NIK masked for everyone here, no contact data, the partner's own id."""
    return CasePersonRead(
        id=service.person_ref(person.id, actor),
        nik=crypto.masked_nik(person.nik_last4),
        repatriation_id=batch_id,
        **views.person_fields(person, actor.role, CASE_PERSON_FIELDS),
    )


async def list_persons(
    session: AsyncSession,
    actor: Actor,
    case_id: uuid.UUID,
    page: PageParams,
    *,
    status: Status | None,
) -> tuple[list[CasePersonRead], str | None]:
    """A page of the case's persons that `actor` may see; restricted ones only under a purpose code."""
    case = await service.get(session, actor, case_id)
    stmt = select(Person, _batch_of(case.id)).where(queries.readable_persons(case, actor))
    if status is not None:
        stmt = stmt.where(Person.status == status)
    stmt = person_service.unrestricted_unless_lifted(stmt, actor)
    # Keyed by registration number, which the caller sees anyway: a cursor of real ids would
    # hand a partner the ids its pseudonyms exist to hide.
    rows, cursor = await paginate_rows(session, stmt, Person.registration_number, page)
    await audit.record(
        session,
        actor,
        "coordination.persons",
        resource_type="coordination",
        resource_id=case.id,
        person_ids=[person.id for person, _ in rows],
        reason=actor.purpose,
    )
    await person_service.record_break_glass(session, actor, [person for person, _ in rows])
    return [present_person(person, batch, actor) for person, batch in rows], cursor


async def _resolve(
    session: AsyncSession, actor: Actor, case: Coordination, ref: uuid.UUID
) -> uuid.UUID | None:
    """The real id behind `ref` among the persons of the case that `actor` may see."""
    condition = queries.readable_persons(case, actor)
    if not actor.is_partner:
        return await session.scalar(select(Person.id).where(Person.id == ref, condition))
    # A pseudonym is a keyed hash and cannot be inverted; the case's visible persons are few
    # (dozens), so hashing each is cheaper than keeping a second copy of every pseudonym.
    for person_id in await session.scalars(select(Person.id).where(condition)):
        if service.person_ref(person_id, actor) == ref:
            return person_id
    return None


async def get_person(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, ref: uuid.UUID
) -> CasePersonRead:
    """One person of the case (partners: by their agency's id); the read is audited."""
    case = await service.get(session, actor, case_id)
    person_id = await _resolve(session, actor, case, ref)
    row = None
    if person_id is not None:
        row = (
            await session.execute(
                select(Person, _batch_of(case.id)).where(
                    Person.id == person_id, queries.readable_persons(case, actor)
                )
            )
        ).first()
    if row is None:
        raise service.CasePersonNotFound(resource_type="person", resource_id=ref)
    person, batch = row
    person_service.restriction_refused(actor, person, ref)
    await person_service.record_break_glass(session, actor, [person])
    await audit.record(
        session,
        actor,
        "coordination.person",
        resource_type="coordination",
        resource_id=case.id,
        person_ids=[person.id],
        reason=actor.purpose,
    )
    return present_person(person, batch, actor)

"""Reaching one person: visibility, the restricted-record rule and its break-the-glass audit.

Visibility is part of every query: a partner reaches a person only through an active referral
to its own agency, and only under that agency's pseudonymous id.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.errors import Conflict, Forbidden, NotFound
from app.persons import queries
from app.persons.models import Person, Referral
from app.privacy.purpose import PURPOSE_CODES
from app.security.principal import Actor


class PersonNotFound(NotFound):
    slug, title = "person-not-found", "Person not found"


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


def refuse_if_erased(person: Person) -> None:
    if person.erased_at is not None:
        raise PersonErased("The record was erased; it can no longer be changed.")


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

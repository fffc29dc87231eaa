"""Change requests: partners propose, officers decide; an approval is applied in the same transaction.

A partner reaches a person only through an active referral to its agency (as every person route
does), and sees only its own agency's requests: both limits are conditions of the SQL queries.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, exists, false, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.change_requests.models import ChangeRequest, ChangeRequestCounter
from app.change_requests.schemas import PAYLOADS, ChangeRequestCreate, ChangeRequestRead
from app.clock import OFFICE_TIMEZONE
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.ids import uuid7
from app.pagination import PageParams, paginate_rows
from app.persons import queries as person_queries
from app.persons import service as person_service
from app.persons.models import Person, Referral
from app.persons.schemas import PersonUpdate
from app.persons.transitions import allowed_targets, is_allowed
from app.regions import service as region_service
from app.security import crypto
from app.security.principal import Actor

# The history's `source` of a change that a partner proposed and an officer approved.
SOURCE = "partner"
# References count per calendar year as the office in Kota Kupang lives it (WITA), not UTC's.


class ChangeRequestNotFound(NotFound):
    slug, title = "change-request-not-found", "Change request not found"


class AlreadyDecided(Conflict):
    slug, title = "change-request-decided", "Change request already decided"


@dataclass
class Filters:
    status: str | None = None
    kind: str | None = None
    person_id: uuid.UUID | None = None


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Limit a query on change requests to what `actor` may see.

    Partners: their agency's requests of persons they still see (the persons' own rule: an
    active referral to the agency). A referral that ends ends the access to its requests.
    """
    if not actor.is_partner:
        return stmt
    if actor.agency_id is None:
        return stmt.where(false())
    person_seen = person_queries.readable(actor, select(Person.id)).where(
        Person.id == ChangeRequest.person_id
    )
    return stmt.where(ChangeRequest.agency_id == actor.agency_id, person_seen.exists())


def _unrestricted() -> ColumnElement[bool]:
    """Requests of persons not under restricted processing: the others need a purpose code."""
    return ~exists().where(Person.id == ChangeRequest.person_id, Person.restricted.is_(True))


def present(request: ChangeRequest, actor: Actor) -> ChangeRequestRead:
    """The role's view: partners get their agency's id for the person and no officer ids."""
    read = ChangeRequestRead.model_validate(request)
    if not actor.is_partner:
        return read
    return read.model_copy(
        update={"person_id": crypto.pseudonym(request.person_id, request.agency_id), "decided_by": None}
    )


async def _next_reference(session: AsyncSession, now: datetime) -> str:
    """CR-<year>-<NNNN>: the upsert of the year's counter row serializes concurrent submitters."""
    year = now.astimezone(OFFICE_TIMEZONE).year
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    seq = await session.scalar(
        insert(ChangeRequestCounter)
        .values(year=year, last_seq=1)
        .on_conflict_do_update(
            index_elements=[ChangeRequestCounter.year],
            set_={"last_seq": ChangeRequestCounter.last_seq + 1},
        )
        .returning(ChangeRequestCounter.last_seq)
    )
    return f"CR-{year}-{seq:04d}"


def _payload_errors(exc: ValidationError) -> InvalidInput:
    """422 located under body.payload; messages only, never the values sent."""
    errors = []
    for error in exc.errors():
        msg = error["msg"]
        if error["type"] == "extra_forbidden":
            msg = "partners may not propose this field"
        errors.append((("body", "payload", *error["loc"]), msg))
    return InvalidInput(errors)


def _check_transition(person: Person, to_status: str) -> None:
    """409 listing the allowed targets, as POST /persons/{id}/status-changes answers."""
    if not is_allowed(person.status, to_status):
        allowed = allowed_targets(person.status)
        raise person_service.IllegalTransition(
            f"{person.status} cannot change to {to_status}; allowed: {', '.join(allowed) or 'none'}.",
            extra={"allowed": allowed, "current_status": person.status},
        )


async def _check_regions(session: AsyncSession, payload: dict[str, Any]) -> None:
    for field in ("origin_region_code", "domicile_region_code"):
        try:
            await region_service.require_code(session, payload.get(field), field, level="regency")
        except InvalidInput as exc:
            raise InvalidInput(
                [(("body", "payload", field), e["msg"]) for e in exc.extra["errors"]]
            ) from None


async def _validated(session: AsyncSession, person: Person, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The proposal in its stored (JSON) form; 422 on a field or value a partner may not propose."""
    try:
        parsed = PAYLOADS[kind].model_validate(raw)
    except ValidationError as exc:
        raise _payload_errors(exc) from None
    payload = parsed.model_dump(mode="json", exclude_unset=True)
    if kind == "status_change":
        _check_transition(person, payload["to_status"])
        return payload
    if not payload:
        raise InvalidInput([(("body", "payload"), "propose at least one field")])
    await _check_regions(session, payload)
    return payload


async def submit(
    session: AsyncSession, actor: Actor, ref: uuid.UUID, data: ChangeRequestCreate
) -> ChangeRequest:
    """A partner proposes a change of a person referred to its agency (404 otherwise)."""
    person = (await person_service.find(session, actor, ref)).person
    if person.erased_at is not None:
        raise person_service.PersonErased("The record was erased; it can no longer be changed.")
    assert actor.agency_id is not None  # find() reaches persons only through the agency's referral
    payload = await _validated(session, person, data.kind, data.payload)
    now = utcnow()
    request = ChangeRequest(
        id=uuid7(),
        reference=await _next_reference(session, now),
        person_id=person.id,
        agency_id=actor.agency_id,
        requested_by=actor.id,
        requested_by_kind=actor.kind,
        kind=data.kind,
        payload=payload,
        note=data.note,
        status="pending",
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    await audit.record_change(
        session,
        actor,
        "change_request.create",
        request,
        resource_type="change_request",
        person_ids=[person.id],
    )
    return request


async def _get(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, for_update: bool = False
) -> ChangeRequest:
    stmt = visible(select(ChangeRequest).where(ChangeRequest.id == request_id), actor)
    if for_update and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    request = await session.scalar(stmt)
    if request is None:
        raise ChangeRequestNotFound(resource_type="change_request", resource_id=request_id)
    # The person's restriction rule holds for the requests about the person (404 to partners).
    person = await session.get(Person, request.person_id)
    try:
        person_service.restriction_refused(actor, person, request_id, "change_request")
    except person_service.PersonNotFound:
        raise ChangeRequestNotFound(resource_type="change_request", resource_id=request_id) from None
    await person_service.record_break_glass(session, actor, [person])
    return request


async def get(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> ChangeRequest:
    """One change request the caller may see; the read is audited (it holds personal data).

    A restricted person's requests follow the person's rule: 404 to partners, a purpose for staff.
    """
    request = await _get(session, actor, request_id)
    await audit.record(
        session,
        actor,
        "change_request.read",
        resource_type="change_request",
        resource_id=request.id,
        person_ids=[request.person_id],
        reason=actor.purpose,
    )
    return request


def _filtered(stmt: Select[Any], actor: Actor, f: Filters) -> Select[Any]:
    if f.status is not None:
        stmt = stmt.where(ChangeRequest.status == f.status)
    if f.kind is not None:
        stmt = stmt.where(ChangeRequest.kind == f.kind)
    if f.person_id is not None:
        if actor.is_partner:
            # A partner names persons by its own pseudonyms (also of referrals that have ended).
            stmt = stmt.where(
                ChangeRequest.person_id.in_(
                    select(Referral.person_id).where(
                        Referral.agency_id == actor.agency_id, Referral.pseudonym == f.person_id
                    )
                )
            )
        else:
            stmt = stmt.where(ChangeRequest.person_id == f.person_id)
    return stmt


async def list_requests(
    session: AsyncSession, actor: Actor, page: PageParams, filters: Filters
) -> tuple[list[ChangeRequest], str | None]:
    """A page of the change requests the caller may see, oldest first (a work queue); audited.

    Restricted persons' requests only for staff naming a purpose, as GET /persons lists them.
    """
    stmt = _filtered(visible(select(ChangeRequest), actor), actor, filters)
    if not actor.lifts_restriction:
        stmt = stmt.where(_unrestricted())
    rows, cursor = await paginate_rows(session, stmt, ChangeRequest.id, page)
    requests = [row[0] for row in rows]
    await audit.record(
        session,
        actor,
        "change_request.list",
        resource_type="change_request",
        person_ids=sorted({r.person_id for r in requests}),
        reason=actor.purpose,
    )
    if actor.lifts_restriction and requests:
        persons = await session.scalars(select(Person).where(Person.id.in_({r.person_id for r in requests})))
        await person_service.record_break_glass(session, actor, persons.all())
    return requests, cursor


async def list_for_person(
    session: AsyncSession,
    actor: Actor,
    ref: uuid.UUID,
    page: PageParams,
    filters: Filters,
) -> tuple[list[ChangeRequest], str | None]:
    """The change requests of one visible person (partners: their agency's only); audited."""
    person = (await person_service.find(session, actor, ref)).person
    stmt = _filtered(visible(select(ChangeRequest), actor), actor, Filters(filters.status, filters.kind))
    rows, cursor = await paginate_rows(
        session, stmt.where(ChangeRequest.person_id == person.id), ChangeRequest.id, page
    )
    await audit.record(
        session,
        actor,
        "change_request.list",
        resource_type="person",
        resource_id=ref,
        person_ids=[person.id],
        reason=actor.purpose,
    )
    return [row[0] for row in rows], cursor


async def _pending(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, expected: int | None
) -> ChangeRequest:
    """The request, locked, if still pending (409) and If-Match names its version (428/412)."""
    request = await _get(session, actor, request_id, for_update=True)
    if request.status != "pending":
        raise AlreadyDecided(f"The change request is already {request.status}.")
    check_version(expected, request.version)
    return request


def _close(request: ChangeRequest, actor: Actor, status: str, reason: str | None) -> None:
    request.status = status
    request.decided_by = actor.id
    request.decided_at = utcnow()
    request.decision_reason = reason


def _history_reason(request: ChangeRequest) -> str:
    """What the person's history says about the change: the request it came from, and why."""
    why = request.payload.get("reason") if request.kind == "status_change" else None
    text = f"{request.reference} (change request)" + (f": {why}" if why else "")
    return text if len(text) <= 500 else text[:499] + "…"


async def _apply(session: AsyncSession, actor: Actor, request: ChangeRequest) -> None:
    """Apply the proposal through the persons service; its errors (409, 422) undo everything."""
    person = (await person_service.find(session, actor, request.person_id, for_update=True)).person
    if person.erased_at is not None:
        raise person_service.PersonErased("The record was erased; it can no longer be changed.")
    if request.kind == "correction":
        await person_service.update(
            session,
            actor,
            person.id,
            PersonUpdate.model_validate(request.payload),
            person.version,
            source=SOURCE,
            reason=_history_reason(request),
        )
        return
    occurred_on = request.payload.get("occurred_on")
    await person_service.apply_status_change(
        session,
        actor,
        person,
        request.payload["to_status"],
        reason=_history_reason(request),
        occurred_on=date.fromisoformat(occurred_on) if occurred_on else None,
        source=SOURCE,
    )
    await person_service.record_person_change(
        session, actor, "person.status_change", person.id, reason=actor.purpose
    )


async def approve(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, expected: int | None, reason: str | None
) -> ChangeRequest:
    """Approve a pending request and apply it in the same transaction (409 if it no longer applies)."""
    request = await _pending(session, actor, request_id, expected)
    await _apply(session, actor, request)
    _close(request, actor, "approved", reason)
    await audit.record_change(
        session,
        actor,
        "change_request.approve",
        request,
        resource_type="change_request",
        person_ids=[request.person_id],
    )
    return request


async def reject(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, expected: int | None, reason: str
) -> ChangeRequest:
    """Reject a pending request with a reason the partner reads; the person is not touched."""
    request = await _pending(session, actor, request_id, expected)
    _close(request, actor, "rejected", reason)
    await audit.record_change(
        session,
        actor,
        "change_request.reject",
        request,
        resource_type="change_request",
        person_ids=[request.person_id],
    )
    return request


async def withdraw(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, expected: int | None
) -> ChangeRequest:
    """The submitting agency takes back a pending request."""
    request = await _pending(session, actor, request_id, expected)
    _close(request, actor, "withdrawn", None)
    await audit.record_change(
        session,
        actor,
        "change_request.withdraw",
        request,
        resource_type="change_request",
        person_ids=[request.person_id],
    )
    return request


async def withdraw_pending(
    session: AsyncSession, actor: Actor, person_id: uuid.UUID, agency_id: uuid.UUID | None, why: str
) -> None:
    """Withdraw the pending requests of a person (of one agency, or all) whose access has ended.

    The agency can no longer read them (see `visible`), so no officer may decide them either:
    each says it was withdrawn, when, by whom and why, and the audit trail records it.
    """
    stmt = sql_update(ChangeRequest).where(
        ChangeRequest.person_id == person_id, ChangeRequest.status == "pending"
    )
    if agency_id is not None:
        stmt = stmt.where(ChangeRequest.agency_id == agency_id)
    now = utcnow()
    withdrawn = await session.scalars(
        stmt.values(
            status="withdrawn",
            decided_by=actor.id,
            decided_at=now,
            decision_reason=why,
            version=ChangeRequest.version + 1,
            updated_at=now,
        )
        .returning(ChangeRequest.id)
        .execution_options(synchronize_session=False)
    )
    for request_id in withdrawn.all():
        await audit.record(
            session,
            actor,
            "change_request.withdraw",
            resource_type="change_request",
            resource_id=request_id,
            person_ids=[person_id],
        )

"""Assistance records of persons (business capital, living allowance, transport, PEM fund) and totals.

Amounts are whole rupiah. A record moves planned -> paid or cancelled, and a paid one may be
cancelled (a reversal); a cancelled record is kept but counts in no total.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.conventions import check_version
from app.coordination.models import Assistance
from app.coordination.schemas import (
    AssistanceCreate,
    AssistanceStatus,
    AssistanceTotals,
    AssistanceType,
    AssistanceUpdate,
    FundingSource,
    TotalRow,
    TotalsGroup,
)
from app.eligibility import service as eligibility_service
from app.errors import Conflict, InvalidInput, NotFound
from app.pagination import PageParams, paginate_rows
from app.persons import service as person_service
from app.persons.models import Person
from app.security.principal import Actor

TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"cancelled"}),
    "cancelled": frozenset(),
}
GROUP_COLUMNS: dict[str, Any] = {
    "person": Assistance.person_id,
    "program": Assistance.program_id,
    "funding_source": Assistance.funding_source,
    "type": Assistance.type,
}


class AssistanceNotFound(NotFound):
    slug, title = "assistance-not-found", "Assistance record not found"


class IllegalAssistanceTransition(Conflict):
    slug, title = "illegal-transition", "Illegal status change"


class AmountSettled(Conflict):
    slug, title = "amount-settled", "Amount settled"


class NotEligible(Conflict):
    slug, title = "not-eligible", "No eligible determination"


async def _require_program(session: AsyncSession, program_id: uuid.UUID | None) -> None:
    """422 unless `program_id` (when given) names a program."""
    if program_id is None:
        return
    try:
        await eligibility_service.get_program(session, program_id)
    except NotFound as exc:
        raise InvalidInput([(("body", "program_id"), "unknown program")]) from exc


async def _require_eligible(
    session: AsyncSession, person_id: uuid.UUID, program_id: uuid.UUID | None
) -> None:
    """PEM money goes only to a person whose current determination under the program is eligible."""
    if program_id is None:
        raise InvalidInput([(("body", "program_id"), "is required for pem_fund")])
    if not await eligibility_service.has_current_eligible_determination(session, person_id, program_id):
        raise NotEligible("The person has no current eligible determination for this program.")


async def _person(session: AsyncSession, actor: Actor, ref: uuid.UUID) -> Person:
    return (await person_service.find(session, actor, ref)).person


async def get(session: AsyncSession, actor: Actor, record_id: uuid.UUID) -> Assistance:
    """One record (staff and auditors only); a restricted person's only under a purpose code."""
    record = await session.get(Assistance, record_id)
    if record is None:
        raise AssistanceNotFound(resource_type="assistance", resource_id=record_id)
    person = await session.get(Person, record.person_id)
    try:
        person_service.restriction_refused(actor, person, record_id, "assistance")
    except person_service.PersonNotFound:
        raise AssistanceNotFound(resource_type="assistance", resource_id=record_id) from None
    await person_service.record_break_glass(session, actor, [person])
    return record


async def read(session: AsyncSession, actor: Actor, record_id: uuid.UUID) -> Assistance:
    """One record; the read is audited."""
    record = await get(session, actor, record_id)
    await audit.record(
        session,
        actor,
        "assistance.read",
        resource_type="assistance",
        resource_id=record.id,
        person_ids=[record.person_id],
    )
    return record


async def create(session: AsyncSession, actor: Actor, ref: uuid.UUID, data: AssistanceCreate) -> Assistance:
    """Record assistance for a person; pem_fund needs a current eligible determination (409)."""
    person = await _person(session, actor, ref)
    if person.erased_at is not None:
        raise person_service.PersonErased("The record was erased; no assistance can be added.")
    await _require_program(session, data.program_id)
    if data.type == "pem_fund":
        await _require_eligible(session, person.id, data.program_id)
    record = Assistance(person_id=person.id, **data.model_dump(), created_by=actor.id)
    session.add(record)
    await audit.record_change(
        session, actor, "assistance.create", record, resource_type="assistance", person_ids=[person.id]
    )
    return record


async def update(
    session: AsyncSession, actor: Actor, record_id: uuid.UUID, data: AssistanceUpdate, expected: int
) -> Assistance:
    """Pay, cancel or correct a record; If-Match must name the current version."""
    record = await get(session, actor, record_id)
    check_version(expected, record.version)
    changes = data.model_dump(exclude_unset=True)
    status = changes.get("status", record.status)
    if status != record.status and status not in TRANSITIONS[record.status]:
        allowed = sorted(TRANSITIONS[record.status])
        raise IllegalAssistanceTransition(
            f"Assistance {record.status} cannot become {status}; allowed: {', '.join(allowed) or 'none'}.",
            extra={"allowed": allowed, "current_status": record.status},
        )
    if record.status != "planned" and changes.get("amount", record.amount) != record.amount:
        raise AmountSettled(f"The amount of {record.status} assistance cannot change.")
    if changes.get("program_id"):
        await _require_program(session, changes["program_id"])
    for field, value in changes.items():
        setattr(record, field, value)
    if record.status == "paid" and record.paid_on is None:
        raise InvalidInput([(("body", "paid_on"), "is required when status is paid")])
    if record.status == "planned" and record.paid_on is not None:
        raise InvalidInput([(("body", "paid_on"), "is only for paid assistance")])
    paying = changes.get("status") == "paid"
    if record.type == "pem_fund" and record.status != "cancelled" and (paying or "program_id" in changes):
        await _require_eligible(session, record.person_id, record.program_id)
    await audit.record_change(
        session, actor, "assistance.update", record, resource_type="assistance", person_ids=[record.person_id]
    )
    return record


@dataclass(frozen=True, slots=True)
class AssistanceFilters:
    person_id: uuid.UUID | None = None
    program_id: uuid.UUID | None = None
    type: AssistanceType | None = None
    status: AssistanceStatus | None = None
    funding_source: FundingSource | None = None
    updated_since: datetime | None = None


def _filtered(stmt: Any, f: AssistanceFilters) -> Any:
    for column, value in (
        (Assistance.person_id, f.person_id),
        (Assistance.program_id, f.program_id),
        (Assistance.type, f.type),
        (Assistance.status, f.status),
        (Assistance.funding_source, f.funding_source),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.updated_since:
        stmt = stmt.where(Assistance.updated_at >= f.updated_since)
    return stmt


async def list_records(
    session: AsyncSession, actor: Actor, page: PageParams, f: AssistanceFilters
) -> tuple[Sequence[Assistance], str | None]:
    """A page of records (restricted persons' only under a purpose code); audited with its persons."""
    stmt = _filtered(select(Assistance), f)
    if not actor.lifts_restriction:
        restricted = select(Person.id).where(Person.restricted.is_(True))
        stmt = stmt.where(Assistance.person_id.not_in(restricted))
    rows, cursor = await paginate_rows(session, stmt, Assistance.id, page)
    records = [r[0] for r in rows]
    await audit.record(
        session,
        actor,
        "assistance.list",
        resource_type="assistance",
        person_ids=sorted({r.person_id for r in records}),
        reason=actor.purpose,
    )
    if actor.lifts_restriction and records:
        persons = await session.scalars(select(Person).where(Person.id.in_({r.person_id for r in records})))
        await person_service.record_break_glass(session, actor, persons.all())
    return records, cursor


async def list_for_person(
    session: AsyncSession,
    actor: Actor,
    ref: uuid.UUID,
    page: PageParams,
    f: AssistanceFilters,
) -> tuple[Sequence[Assistance], str | None]:
    """A page of one person's records (restricted persons only under a purpose code)."""
    person = await _person(session, actor, ref)
    return await list_records(
        session,
        actor,
        page,
        AssistanceFilters(person.id, f.program_id, f.type, f.status, f.funding_source, f.updated_since),
    )


async def totals(
    session: AsyncSession, actor: Actor, group_by: TotalsGroup, f: AssistanceFilters
) -> AssistanceTotals:
    """Planned and paid amounts (cancelled records excluded), grouped by person, program, source or type."""
    key = GROUP_COLUMNS[group_by]
    planned = func.coalesce(func.sum(case((Assistance.status == "planned", Assistance.amount), else_=0)), 0)
    paid = func.coalesce(func.sum(case((Assistance.status == "paid", Assistance.amount), else_=0)), 0)
    stmt = _filtered(
        select(key, func.count(), planned, paid).where(Assistance.status != "cancelled").group_by(key), f
    ).order_by(key)
    # int(): PostgreSQL sums BIGINT as NUMERIC (a Decimal here).
    groups = [
        TotalRow(key=None if k is None else str(k), count=n, planned_amount=int(p), paid_amount=int(d))
        for k, n, p, d in await session.execute(stmt)
    ]
    total = TotalRow(
        key=None,
        count=sum(g.count for g in groups),
        planned_amount=sum(g.planned_amount for g in groups),
        paid_amount=sum(g.paid_amount for g in groups),
    )
    if group_by == "person" or f.person_id is not None:
        person_ids = [uuid.UUID(g.key) for g in groups if g.key] if group_by == "person" else [f.person_id]
        await audit.record(
            session, actor, "assistance.totals", resource_type="assistance", person_ids=person_ids
        )
    return AssistanceTotals(group_by=group_by, total=total, groups=groups)

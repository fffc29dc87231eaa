"""What a rule set would decide, against the set in force: one aggregate query, nothing recorded.

Staff get the ids of who would change (audited); callers under disclosure control get the counts
of the one protected publication (app.privacy.disclosure).
"""

import uuid

from sqlalchemy import and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.audit import service as audit
from app.eligibility import queries, service
from app.eligibility.compiler import compile_rule
from app.eligibility.facts import local_today
from app.eligibility.schemas import SimulationRead, SimulationRequest
from app.persons.models import Person
from app.privacy import disclosure
from app.security.policy import STAFF
from app.security.principal import Actor
from app.sites import service as site_service
from app.stats.suppression import THRESHOLD


def _how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def simulate(
    session: AsyncSession,
    actor: Actor,
    program_id: uuid.UUID,
    rule_set_id: uuid.UUID,
    data: SimulationRequest,
) -> SimulationRead:
    """What a rule set would decide, against the set in force; nothing is recorded."""
    rule_set = await service.lookup_rule_set(session, program_id, rule_set_id)
    as_of = data.as_of or local_today()
    if disclosure.controlled(actor):
        # Fixed tables: no site, and one evaluation date that cannot be stepped (see app.privacy).
        disclosure.refuse_filters(site_id=data.site_id, as_of=data.as_of)
        as_of = disclosure.fixed_as_of()
    if data.site_id is not None:
        await site_service.require(session, data.site_id)
    current = await service.in_force(session, program_id, as_of)
    new = compile_rule(rule_set.rule, as_of)
    old = compile_rule(current.rule, as_of) if current else None
    columns = [func.count(), _how_many(new)]
    if old is not None:
        columns += [_how_many(and_(new, not_(old))), _how_many(and_(old, not_(new)))]
    row = (
        await session.execute(select(*columns).select_from(Person).where(*queries.in_scope(data.site_id)))
    ).one()
    total, eligible = row[0], row[1]
    newly = (row[2], row[3]) if old is not None else (None, None)
    result = SimulationRead(
        rule_set=service.rule_set_ref(rule_set),
        compared_with=service.rule_set_ref(current) if current else None,
        as_of=as_of,
        site_id=data.site_id,
        total=total,
        eligible=eligible,
        ineligible=total - eligible,
        newly_eligible=newly[0],
        newly_ineligible=newly[1],
    )
    if actor.role in STAFF and old is not None:
        await _list_newly(session, actor, result, new, old, data.site_id)
    if disclosure.controlled(actor):
        _protect(result, await disclosure.publish(session, actor))
        await audit.record(
            session, actor, "eligibility.simulate", resource_type="rule_set", resource_id=rule_set.id
        )
    return result


async def _list_newly(
    session: AsyncSession,
    actor: Actor,
    result: SimulationRead,
    new: ColumnElement[bool],
    old: ColumnElement[bool],
    site_id: uuid.UUID | None,
) -> None:
    async def ids(count: int | None, condition: ColumnElement[bool]) -> list[uuid.UUID]:
        if not count:  # the count said none: no second scan of the persons to list nobody
            return []
        scope = queries.in_scope(site_id)
        stmt = select(Person.id).where(*scope, condition).order_by(Person.id).limit(queries.MAX_LISTED_IDS)
        return list(await session.scalars(stmt))

    result.newly_eligible_ids = await ids(result.newly_eligible, and_(new, not_(old)))
    result.newly_ineligible_ids = await ids(result.newly_ineligible, and_(old, not_(new)))
    result.ids_truncated = (
        max(result.newly_eligible or 0, result.newly_ineligible or 0) > queries.MAX_LISTED_IDS
    )
    listed = [*result.newly_eligible_ids, *result.newly_ineligible_ids]
    if listed:
        await audit.record(
            session,
            actor,
            "eligibility.simulate",
            resource_type="rule_set",
            resource_id=result.rule_set.id,
            person_ids=listed,
        )


def _protect(result: SimulationRead, published: disclosure.Published) -> None:
    """The counts from the one protected publication (null where hidden)."""
    table = f"sim:{result.rule_set.id}"
    result.suppression_threshold = THRESHOLD
    result.total = published.count("total", "total")
    result.eligible = published.count(table, "eligible")
    result.ineligible = published.count(table, "ineligible")
    compared = result.compared_with is not None
    result.newly_eligible = published.count(table, "newly_eligible") if compared else None
    result.newly_ineligible = published.count(table, "newly_ineligible") if compared else None

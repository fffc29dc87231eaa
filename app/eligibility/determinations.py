"""Determination runs: every person in scope decided in one statement, and who changed since.

A run is one INSERT ... SELECT with the compiled rule (on PostgreSQL one statement that also
counts and lists who changed); no Python loop ever walks the persons, and no person row reaches
Python. Reads that list persons are audited (`*_audited`).
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Uuid, and_, case, func, insert, literal, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.audit import service as audit
from app.db import utcnow
from app.eligibility import events as webhook_events
from app.eligibility import queries, service
from app.eligibility.compiler import compile_rule, facts_object
from app.eligibility.evaluator import facts_used
from app.eligibility.facts import FACTS, local_today
from app.eligibility.models import Determination, DeterminationRun
from app.eligibility.schemas import Change, DeterminationRead, RuleSetRef, RunCreate, RunRead
from app.errors import Conflict, InvalidInput, NotFound
from app.ids import uuid7
from app.lookups import get_child_or_404
from app.pagination import PageParams, encode_cursor, paginate_rows
from app.persons.models import Person
from app.security.policy import STAFF
from app.security.principal import Actor
from app.sites import service as site_service

DETERMINATION_COLUMNS = ["run_id", "person_id", "eligible", "facts"]


class RunNotFound(NotFound):
    slug, title = "run-not-found", "Determination run not found"


class DraftNotRecordable(Conflict):
    slug, title = "draft-rule-set", "Draft rule set"


class ProgramInactive(Conflict):
    slug, title = "program-inactive", "Program inactive"


async def run_determinations(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, data: RunCreate
) -> RunRead:
    """Record a determination for every person in scope with one INSERT ... SELECT, and count the flips."""
    program = await service.locked_program(session, program_id)
    if not program.active:
        # A closed fund pays no one: recorded determinations would read as entitlements.
        raise ProgramInactive("The program is inactive: reactivate it to record determinations.")
    as_of = data.as_of or local_today()
    if data.site_id is not None:
        await site_service.require(session, data.site_id)
    rule_set = await service.chosen_rule_set(session, program.id, data.rule_set_id, as_of)
    if rule_set.status == "draft":
        raise DraftNotRecordable("A draft is not in force: simulate it or evaluate one person (dry run).")
    previous = await session.scalar(
        select(DeterminationRun)
        .where(DeterminationRun.program_id == program.id)
        .order_by(DeterminationRun.number.desc())
        .limit(1)
    )
    run = DeterminationRun(
        id=uuid7(),
        program_id=program.id,
        number=(previous.number + 1) if previous else 1,
        rule_set_id=rule_set.id,
        rule_set_version=rule_set.version,
        rule_set_hash=rule_set.content_hash,
        as_of=as_of,
        site_id=data.site_id,
        evaluated_at=utcnow(),
        decided_by=actor.id,
        decided_by_kind=actor.kind,
        previous_run_id=previous.id if previous else None,
    )
    session.add(run)
    await session.flush()
    dialect = session.bind.dialect.name
    decided = compile_rule(rule_set.rule, as_of)
    facts = facts_object(facts_used(rule_set.rule), as_of, dialect)
    with_ids = actor.role in STAFF
    listed = None
    if dialect == "postgresql":
        listed = await _record_in_one_pass(session, run, decided, facts, data.site_id, with_ids=with_ids)
    else:
        chosen = select(literal(run.id, Uuid), Person.id, decided, facts).where(
            *queries.in_scope(data.site_id)
        )
        await session.execute(insert(Determination).from_select(DETERMINATION_COLUMNS, chosen))
        await _count(session, run)
    for flip in ("became_eligible", "became_ineligible"):
        if getattr(run, flip):  # nothing flipped: no event, and no join of the two runs to find none
            await webhook_events.determinations_changed(
                session, run, queries.changed(run, flip), flip == "became_eligible"
            )
    report = await _report(session, run, with_ids=with_ids, listed=listed)
    await audit.record(
        session,
        actor,
        "eligibility.determine",
        resource_type="determination_run",
        resource_id=run.id,
        person_ids=[*(report.became_eligible_ids or ()), *(report.became_ineligible_ids or ())],
    )
    return report


async def _record_in_one_pass(
    session: AsyncSession,
    run: DeterminationRun,
    decided: ColumnElement[bool],
    facts: ColumnElement[Any],
    site_id: uuid.UUID | None,
    *,
    with_ids: bool,
) -> dict[Change, list[uuid.UUID]] | None:
    """PostgreSQL: insert the run's determinations and count (and list) its flips in one statement.

    The decisions are made once, in a CTE next to the person's previous decision (an outer hash join
    with the previous run's rows); the INSERT and the counts both read that CTE. Counting afterwards
    from the stored rows would join the two runs again with one index probe per person.
    """
    before = aliased(Determination)
    decisions = (
        select(
            Person.id.label("person_id"),
            decided.label("eligible"),
            facts.label("facts"),
            before.eligible.label("was"),
        )
        .outerjoin(before, and_(before.run_id == run.previous_run_id, before.person_id == Person.id))
        .where(*queries.in_scope(site_id))
        .cte("decisions")
    )
    recorded = (
        insert(Determination)
        .from_select(
            DETERMINATION_COLUMNS,
            select(literal(run.id, Uuid), decisions.c.person_id, decisions.c.eligible, decisions.c.facts),
        )
        .cte("recorded")
    )
    now, was = decisions.c.eligible, decisions.c.was
    flips = {"became_eligible": and_(now, not_(was)), "became_ineligible": and_(not_(now), was)}
    columns: list[Any] = [func.count(), func.count().filter(now)]
    columns += [func.count().filter(flipped) for flipped in flips.values()]
    listing = with_ids and run.previous_run_id is not None
    if listing:
        columns += [_first_ids(decisions, flipped) for flipped in flips.values()]
    row = (await session.execute(select(*columns).select_from(decisions).add_cte(recorded))).one()
    run.total, run.eligible, run.became_eligible, run.became_ineligible = row[:4]
    await session.flush()
    if not listing:
        return None
    return {change: list(ids or ()) for change, ids in zip(flips, row[4:], strict=True)}


def _first_ids(decisions: Any, condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """The first MAX_LISTED_IDS person ids of `decisions` meeting `condition`, as an array."""
    first = (
        select(decisions.c.person_id)
        .where(condition)
        .order_by(decisions.c.person_id)
        .limit(queries.MAX_LISTED_IDS)
        .subquery()
    )
    return select(func.array_agg(first.c.person_id)).scalar_subquery()


async def _count(session: AsyncSession, run: DeterminationRun) -> None:
    """Other databases: the run's counts from its stored rows and the previous run's."""
    before = aliased(Determination)
    flipped_in = and_(Determination.eligible, not_(before.eligible))
    flipped_out = and_(not_(Determination.eligible), before.eligible)
    total, eligible, became_eligible, became_ineligible = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Determination.eligible, 1), else_=0)), 0),
                func.coalesce(func.sum(case((flipped_in, 1), else_=0)), 0),
                func.coalesce(func.sum(case((flipped_out, 1), else_=0)), 0),
            )
            .select_from(Determination)
            .outerjoin(
                before,
                and_(before.run_id == run.previous_run_id, before.person_id == Determination.person_id),
            )
            .where(Determination.run_id == run.id)
        )
    ).one()
    run.total, run.eligible = total, eligible
    run.became_eligible, run.became_ineligible = became_eligible, became_ineligible
    await session.flush()


async def _report(
    session: AsyncSession,
    run: DeterminationRun,
    *,
    with_ids: bool,
    listed: dict[Change, list[uuid.UUID]] | None = None,
) -> RunRead:
    """The run's counts, and (for staff) the ids of whoever changed (`listed` when already known)."""
    report = RunRead(
        id=run.id,
        number=run.number,
        program_id=run.program_id,
        rule_set=RuleSetRef(id=run.rule_set_id, version=run.rule_set_version, hash=run.rule_set_hash),
        as_of=run.as_of,
        site_id=run.site_id,
        evaluated_at=run.evaluated_at,
        decided_by=run.decided_by,
        previous_run_id=run.previous_run_id,
        total=run.total,
        eligible=run.eligible,
        ineligible=run.total - run.eligible,
        became_eligible=run.became_eligible,
        became_ineligible=run.became_ineligible,
    )
    if with_ids and run.previous_run_id is not None:
        lists = listed or {}
        for change in ("became_eligible", "became_ineligible"):
            if change not in lists:
                lists[change] = await _first_changed(session, run, change)
        report.became_eligible_ids = lists["became_eligible"]
        report.became_ineligible_ids = lists["became_ineligible"]
        report.ids_truncated = max(run.became_eligible, run.became_ineligible) > queries.MAX_LISTED_IDS
    return report


async def _first_changed(session: AsyncSession, run: DeterminationRun, change: Change) -> list[uuid.UUID]:
    """The first MAX_LISTED_IDS persons who changed so; the run's count spares the query when none did."""
    if not getattr(run, change):
        return []
    stmt = queries.changed(run, change).order_by(Determination.person_id).limit(queries.MAX_LISTED_IDS)
    return list(await session.scalars(stmt))


async def read_run_audited(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, run_id: uuid.UUID
) -> RunRead:
    """One run's report; the ids of who changed (staff only) are audited."""
    _, run = await get_child_or_404(
        session,
        service.lookup_program(session, program_id),
        DeterminationRun,
        run_id,
        parent_key=DeterminationRun.program_id,
        not_found=RunNotFound,
        resource_type="determination_run",
    )
    report = await _report(session, run, with_ids=actor.role in STAFF)
    if report.became_eligible_ids or report.became_ineligible_ids:
        await audit.record(
            session,
            actor,
            "eligibility.run_read",
            resource_type="determination_run",
            resource_id=run.id,
            person_ids=[*(report.became_eligible_ids or ()), *(report.became_ineligible_ids or ())],
        )
    return report


async def list_runs(
    session: AsyncSession, program_id: uuid.UUID, page: PageParams
) -> tuple[list[RunRead], str | None]:
    """Runs of a program with their counts (the changed ids: GET one run)."""
    await service.lookup_program(session, program_id)
    stmt = select(DeterminationRun).where(DeterminationRun.program_id == program_id)
    rows, cursor = await paginate_rows(session, stmt, DeterminationRun.id, page)
    return [await _report(session, r[0], with_ids=False) for r in rows], cursor


async def list_determinations_audited(
    session: AsyncSession,
    actor: Actor,
    program_id: uuid.UUID,
    page: PageParams,
    *,
    eligible: bool | None,
    person_id: uuid.UUID | None,
    run_id: uuid.UUID | None,
    change: Change | None,
) -> tuple[list[DeterminationRead], str | None]:
    """A page of determinations (oldest run first), filtered; the page's persons are audited."""
    await service.lookup_program(session, program_id)
    stmt = (
        select(Determination, DeterminationRun)
        .join(DeterminationRun, DeterminationRun.id == Determination.run_id)
        .where(DeterminationRun.program_id == program_id)
    )
    if change is not None:
        run = await session.get(DeterminationRun, run_id) if run_id else None
        if run is None or run.program_id != program_id:
            raise InvalidInput([(("query", "run_id"), "a run of this program is needed to filter by change")])
        stmt = stmt.where(Determination.person_id.in_(queries.changed(run, change)))
    for column, value in (
        (Determination.eligible, eligible),
        (Determination.person_id, person_id),
        (Determination.run_id, run_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    rows, cursor = await _keyset(session, stmt, page)
    hidden = queries.hidden_facts(actor.role)
    items = [_determination(d, r, hidden) for d, r in rows]
    await audit.record(
        session,
        actor,
        "eligibility.determinations_list",
        resource_type="program",
        resource_id=program_id,
        person_ids=[d.person_id for d, _ in rows],
    )
    return items, cursor


async def _keyset(
    session: AsyncSession, stmt: Select[Any], page: PageParams
) -> tuple[Sequence[Any], str | None]:
    """Pagination on the (run_id, person_id) key, the table's primary key."""
    if page.after is not None:
        try:
            run_key, person_key = (uuid.UUID(part) for part in page.after.split(":"))
        except ValueError as exc:
            raise InvalidInput([(("query", "cursor"), "invalid cursor")]) from exc
        stmt = stmt.where(
            or_(
                Determination.run_id > run_key,
                and_(Determination.run_id == run_key, Determination.person_id > person_key),
            )
        )
    ordered = stmt.order_by(Determination.run_id, Determination.person_id).limit(page.limit + 1)
    rows = (await session.execute(ordered)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    last = rows[-1][0] if rows else None
    return rows, encode_cursor(f"{last.run_id}:{last.person_id}") if more and last else None


def _determination(
    determination: Determination, run: DeterminationRun, hidden: set[str]
) -> DeterminationRead:
    return DeterminationRead(
        run_id=run.id,
        person_id=determination.person_id,
        program_id=run.program_id,
        eligible=determination.eligible,
        rule_set=RuleSetRef(id=run.rule_set_id, version=run.rule_set_version, hash=run.rule_set_hash),
        as_of=run.as_of,
        evaluated_at=run.evaluated_at,
        decided_by=run.decided_by,
        facts={
            name: None if name in hidden else FACTS[name].canonical_actual(v)
            for name, v in determination.facts.items()
        },
    )

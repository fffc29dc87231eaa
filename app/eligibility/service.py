"""Programs, versioned rule sets, and eligibility: explained evaluations, recorded runs, simulations.

Bulk work is pushed down to SQL: a determination run is one INSERT ... SELECT with the compiled
rule (on PostgreSQL one statement that also counts and lists who changed), and a simulation is one
aggregate query; no Python loop ever walks the persons, and no person row reaches Python.
"""

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, Uuid, and_, case, func, insert, literal, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.audit import service as audit
from app.censuses.models import CensusObservation, CensusRound
from app.conventions import check_version
from app.db import utcnow
from app.eligibility.compiler import compile_rule, facts_object
from app.eligibility.evaluator import explain, facts_used, mask
from app.eligibility.facts import FACTS, FactContext, local_today
from app.eligibility.models import Determination, DeterminationRun, Program, RuleSet
from app.eligibility.schemas import (
    Change,
    DeterminationRead,
    EligibilityRead,
    ProgramCreate,
    ProgramRef,
    ProgramUpdate,
    RuleSetCreate,
    RuleSetRef,
    RuleSetUpdate,
    RunCreate,
    RunRead,
    SimulationRead,
    SimulationRequest,
    rule_json,
)
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.ids import uuid7
from app.pagination import PageParams, encode_cursor, paginate_rows
from app.persons import service as person_service
from app.persons.models import Person
from app.privacy import disclosure
from app.privacy.inventory import may_read
from app.security.policy import STAFF, Role
from app.security.principal import Actor
from app.sites import service as site_service
from app.stats.suppression import THRESHOLD
from app.webhooks import events as webhook_events

# Person ids listed in a run report or a simulation; the full list of a run is GET determinations.
MAX_LISTED_IDS = 1000
DETERMINATION_COLUMNS = ["run_id", "person_id", "eligible", "facts"]


class AsOfStaffOnly(Forbidden):
    slug, title = "as-of-staff-only", "Evaluation date for staff only"


def hidden_facts(role: Role) -> set[str]:
    """Facts whose values the role may not see: the inventory does not let it read their column."""
    return {n for n, f in FACTS.items() if f.reveals is not None and not may_read("persons", f.reveals, role)}


class ProgramNotFound(NotFound):
    slug, title = "program-not-found", "Program not found"


class RuleSetNotFound(NotFound):
    slug, title = "rule-set-not-found", "Rule set not found"


class RunNotFound(NotFound):
    slug, title = "run-not-found", "Determination run not found"


class RuleSetImmutable(Conflict):
    slug, title = "rule-set-immutable", "Rule set cannot change"


class NoRuleSetInForce(Conflict):
    slug, title = "no-rule-set-in-force", "No rule set in force"


class DraftNotRecordable(Conflict):
    slug, title = "draft-rule-set", "Draft rule set"


class ProgramInactive(Conflict):
    slug, title = "program-inactive", "Program inactive"


# --- programs -----------------------------------------------------------------------------------


async def get_program(session: AsyncSession, program_id: uuid.UUID) -> Program:
    program = await session.get(Program, program_id)
    if program is None:
        raise ProgramNotFound(resource_type="program", resource_id=program_id)
    return program


async def _locked_program(session: AsyncSession, program_id: uuid.UUID) -> Program:
    """The program, its row locked (PostgreSQL) so that activations and runs of it are serialized."""
    stmt = select(Program).where(Program.id == program_id)
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    program = await session.scalar(stmt.execution_options(populate_existing=True))
    if program is None:
        raise ProgramNotFound(resource_type="program", resource_id=program_id)
    return program


async def create_program(session: AsyncSession, actor: Actor, data: ProgramCreate) -> Program:
    """A new program; 409 when the code is taken."""
    if await session.scalar(select(Program.id).where(Program.code == data.code)):
        raise Conflict("A program with this code exists.")
    program = Program(**data.model_dump(), created_by=actor.id)
    session.add(program)
    await session.flush()
    await audit.record(session, actor, "program.create", resource_type="program", resource_id=program.id)
    return program


async def update_program(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, data: ProgramUpdate, expected: int
) -> Program:
    """Change a program's description fields (the code never changes)."""
    program = await get_program(session, program_id)
    check_version(expected, program.version)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "benefit_kind", "active"):
        if field in changes and changes[field] is None:
            raise InvalidInput([(("body", field), "may not be null")])
    for field, value in changes.items():
        setattr(program, field, value)
    await session.flush()
    await audit.record(session, actor, "program.update", resource_type="program", resource_id=program.id)
    return program


async def list_programs(
    session: AsyncSession, page: PageParams, active: bool | None
) -> tuple[list[Program], str | None]:
    stmt = select(Program)
    if active is not None:
        stmt = stmt.where(Program.active.is_(active))
    rows, cursor = await paginate_rows(session, stmt, Program.id, page)
    return [r[0] for r in rows], cursor


# --- rule sets ----------------------------------------------------------------------------------


def content_hash(rule: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(rule, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def rule_set_ref(rule_set: RuleSet) -> RuleSetRef:
    return RuleSetRef(id=rule_set.id, version=rule_set.version, hash=rule_set.content_hash)


async def get_rule_set(session: AsyncSession, program_id: uuid.UUID, rule_set_id: uuid.UUID) -> RuleSet:
    rule_set = await session.scalar(
        select(RuleSet).where(RuleSet.id == rule_set_id, RuleSet.program_id == program_id)
    )
    if rule_set is None:
        await get_program(session, program_id)
        raise RuleSetNotFound(resource_type="rule_set", resource_id=rule_set_id)
    return rule_set


async def create_rule_set(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, data: RuleSetCreate
) -> RuleSet:
    """A new draft; its version is the program's next number."""
    await get_program(session, program_id)
    version = await session.scalar(
        update(Program)
        .where(Program.id == program_id)
        .values(rule_set_counter=Program.rule_set_counter + 1)
        .returning(Program.rule_set_counter)
    )
    rule = rule_json(data.rule)
    rule_set = RuleSet(
        program_id=program_id,
        version=version,
        status="draft",
        effective_from=data.effective_from,
        effective_to=data.effective_to,
        reference=data.reference,
        note=data.note,
        rule=rule,
        content_hash=content_hash(rule),
        created_by=actor.id,
    )
    session.add(rule_set)
    await session.flush()
    await audit.record(session, actor, "rule_set.create", resource_type="rule_set", resource_id=rule_set.id)
    return rule_set


def _refuse_unless_draft(rule_set: RuleSet) -> None:
    if rule_set.status != "draft":
        raise RuleSetImmutable(
            f"This rule set is {rule_set.status}; only drafts change. Create a new version."
        )


async def update_rule_set(
    session: AsyncSession,
    actor: Actor,
    program_id: uuid.UUID,
    rule_set_id: uuid.UUID,
    data: RuleSetUpdate,
    expected: int,
) -> RuleSet:
    """Edit a draft (If-Match names its revision); active and retired sets are 409."""
    rule_set = await get_rule_set(session, program_id, rule_set_id)
    _refuse_unless_draft(rule_set)
    check_version(expected, rule_set.revision)
    changes = data.model_dump(exclude_unset=True, exclude={"rule"})
    if "rule" in data.model_fields_set:
        if data.rule is None:
            raise InvalidInput([(("body", "rule"), "may not be null")])
        rule_set.rule = rule_json(data.rule)
        rule_set.content_hash = content_hash(rule_set.rule)
    for field, value in changes.items():
        setattr(rule_set, field, value)
    if rule_set.effective_from and rule_set.effective_to and rule_set.effective_to < rule_set.effective_from:
        raise InvalidInput([(("body", "effective_to"), "is before effective_from")])
    await session.flush()
    await audit.record(session, actor, "rule_set.update", resource_type="rule_set", resource_id=rule_set.id)
    return rule_set


async def activate(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, rule_set_id: uuid.UUID
) -> RuleSet:
    """Make a draft the active set and retire the one active before it."""
    await _locked_program(session, program_id)
    rule_set = await get_rule_set(session, program_id, rule_set_id)
    if rule_set.status != "draft":
        raise RuleSetImmutable(f"This rule set is {rule_set.status}; only a draft can be activated.")
    now = utcnow()
    previous = await session.scalar(
        select(RuleSet).where(RuleSet.program_id == program_id, RuleSet.status == "active")
    )
    if previous is not None:
        previous.status, previous.retired_at = "retired", now
        await session.flush()  # before the new one: at most one active set per program (unique index)
    rule_set.status, rule_set.activated_at, rule_set.activated_by = "active", now, actor.id
    # Without a decree date the set is in force from the day it is activated, not retroactively.
    today = local_today()
    if rule_set.effective_from is None and (rule_set.effective_to is None or rule_set.effective_to >= today):
        rule_set.effective_from = today
    await session.flush()
    await audit.record(session, actor, "rule_set.activate", resource_type="rule_set", resource_id=rule_set.id)
    return rule_set


async def list_rule_sets(
    session: AsyncSession, program_id: uuid.UUID, page: PageParams, status: str | None
) -> tuple[list[RuleSet], str | None]:
    await get_program(session, program_id)
    stmt = select(RuleSet).where(RuleSet.program_id == program_id)
    if status:
        stmt = stmt.where(RuleSet.status == status)
    rows, cursor = await paginate_rows(session, stmt, RuleSet.id, page)
    return [r[0] for r in rows], cursor


async def in_force(session: AsyncSession, program_id: uuid.UUID, as_of: date) -> RuleSet | None:
    """The set in force on `as_of`: the last activated one whose effective window holds the date."""
    return await session.scalar(
        select(RuleSet)
        .where(
            RuleSet.program_id == program_id,
            RuleSet.status.in_(("active", "retired")),
            or_(RuleSet.effective_from.is_(None), RuleSet.effective_from <= as_of),
            or_(RuleSet.effective_to.is_(None), RuleSet.effective_to >= as_of),
        )
        .order_by(RuleSet.activated_at.desc(), RuleSet.version.desc())
        .limit(1)
    )


async def _chosen_rule_set(
    session: AsyncSession, program_id: uuid.UUID, rule_set_id: uuid.UUID | None, as_of: date
) -> RuleSet:
    if rule_set_id is not None:
        return await get_rule_set(session, program_id, rule_set_id)
    rule_set = await in_force(session, program_id, as_of)
    if rule_set is None:
        raise NoRuleSetInForce(f"The program has no rule set in force on {as_of.isoformat()}.")
    return rule_set


# --- one person, explained ----------------------------------------------------------------------


async def present_in_latest_census(session: AsyncSession, person: Person, as_of: date) -> bool:
    """Whether the person was observed present in the latest round of their site held by `as_of`."""
    # A site has a handful of rounds: picking the latest here keeps this side independent of the SQL.
    rounds = (
        await session.execute(
            select(CensusRound.id, CensusRound.held_on).where(CensusRound.site_id == person.site_id)
        )
    ).all()
    held = [(held_on, round_id) for round_id, held_on in rounds if held_on <= as_of]
    if not held:
        return False
    _, latest = max(held)
    presence = await session.scalar(
        select(CensusObservation.presence).where(
            CensusObservation.census_id == latest, CensusObservation.person_id == person.id
        )
    )
    return presence == "present"


async def person_facts(
    session: AsyncSession, person: Person, as_of: date, names: Sequence[str] | None = None
) -> dict[str, Any]:
    """The facts of one person on `as_of`, computed in Python (all of them, or those named)."""
    wanted = list(names) if names is not None else list(FACTS)
    present = False
    if "present_in_latest_census" in wanted:
        present = await present_in_latest_census(session, person, as_of)
    context = FactContext(as_of=as_of, present_in_latest_census=present)
    return {name: FACTS[name].python(person, context) for name in wanted}


async def evaluate_person(
    session: AsyncSession,
    actor: Actor,
    program_id: uuid.UUID,
    ref: uuid.UUID,
    *,
    as_of: date | None,
    rule_set_id: uuid.UUID | None,
) -> EligibilityRead:
    """Evaluate one person with an explanation of every condition (a draft: a dry run). Audited."""
    program = await get_program(session, program_id)
    person = (await person_service.find(session, actor, ref)).person
    if person.erased_at is not None:
        raise person_service.PersonErased("The record was erased; it is no longer evaluated.")
    if as_of not in (None, local_today()) and actor.role not in STAFF:
        # Stepping the date of an age condition would find the day a result flips: the birthday.
        raise AsOfStaffOnly("Only Dinas Sosial staff may evaluate as of another date than today.")
    as_of = as_of or local_today()
    rule_set = await _chosen_rule_set(session, program.id, rule_set_id, as_of)
    facts = await person_facts(session, person, as_of, facts_used(rule_set.rule))
    explanation = explain(rule_set.rule, facts)
    explanation = mask(explanation, hidden_facts(actor.role))
    await audit.record(
        session,
        actor,
        "eligibility.evaluate",
        resource_type="program",
        resource_id=program.id,
        person_ids=[person.id],
        reason=actor.purpose,
    )
    return EligibilityRead(
        eligible=explanation["result"],
        person_id=ref,
        program=ProgramRef.model_validate(program),
        rule_set=rule_set_ref(rule_set),
        dry_run=rule_set.status == "draft",
        as_of=as_of,
        evaluated_at=utcnow(),
        explanation=explanation,
    )


# --- determinations -----------------------------------------------------------------------------


def _in_scope(site_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    """Persons a bulk evaluation covers: never restricted or erased ones."""
    conditions = [Person.restricted.is_(False), Person.erased_at.is_(None)]
    if site_id is not None:
        conditions.append(Person.site_id == site_id)
    return conditions


async def run_determinations(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, data: RunCreate
) -> RunRead:
    """Record a determination for every person in scope with one INSERT ... SELECT, and count the flips."""
    program = await _locked_program(session, program_id)
    if not program.active:
        # A closed fund pays no one: recorded determinations would read as entitlements.
        raise ProgramInactive("The program is inactive: reactivate it to record determinations.")
    as_of = data.as_of or local_today()
    if data.site_id is not None:
        await site_service.require(session, data.site_id)
    rule_set = await _chosen_rule_set(session, program.id, data.rule_set_id, as_of)
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
        chosen = select(literal(run.id, Uuid), Person.id, decided, facts).where(*_in_scope(data.site_id))
        await session.execute(insert(Determination).from_select(DETERMINATION_COLUMNS, chosen))
        await _count(session, run)
    for flip in ("became_eligible", "became_ineligible"):
        if getattr(run, flip):  # nothing flipped: no event, and no join of the two runs to find none
            await webhook_events.determinations_changed(
                session, run, _changed(run, flip), flip == "became_eligible"
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


def _changed(run: DeterminationRun, change: Change) -> Select[Any]:
    """Persons of `run` whose decision flipped since the previous run, as asked."""
    before = aliased(Determination)
    now_eligible = change == "became_eligible"
    return (
        select(Determination.person_id)
        .join(
            before,
            and_(before.run_id == run.previous_run_id, before.person_id == Determination.person_id),
        )
        .where(
            Determination.run_id == run.id,
            Determination.eligible.is_(now_eligible),
            before.eligible.is_(not now_eligible),
        )
    )


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
        .where(*_in_scope(site_id))
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
        .limit(MAX_LISTED_IDS)
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
        report.ids_truncated = max(run.became_eligible, run.became_ineligible) > MAX_LISTED_IDS
    return report


async def _first_changed(session: AsyncSession, run: DeterminationRun, change: Change) -> list[uuid.UUID]:
    """The first MAX_LISTED_IDS persons who changed so; the run's count spares the query when none did."""
    if not getattr(run, change):
        return []
    stmt = _changed(run, change).order_by(Determination.person_id).limit(MAX_LISTED_IDS)
    return list(await session.scalars(stmt))


async def get_run(session: AsyncSession, actor: Actor, program_id: uuid.UUID, run_id: uuid.UUID) -> RunRead:
    run = await session.scalar(
        select(DeterminationRun).where(
            DeterminationRun.id == run_id, DeterminationRun.program_id == program_id
        )
    )
    if run is None:
        await get_program(session, program_id)
        raise RunNotFound(resource_type="determination_run", resource_id=run_id)
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
    await get_program(session, program_id)
    stmt = select(DeterminationRun).where(DeterminationRun.program_id == program_id)
    rows, cursor = await paginate_rows(session, stmt, DeterminationRun.id, page)
    return [await _report(session, r[0], with_ids=False) for r in rows], cursor


async def list_determinations(
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
    await get_program(session, program_id)
    stmt = (
        select(Determination, DeterminationRun)
        .join(DeterminationRun, DeterminationRun.id == Determination.run_id)
        .where(DeterminationRun.program_id == program_id)
    )
    if change is not None:
        run = await session.get(DeterminationRun, run_id) if run_id else None
        if run is None or run.program_id != program_id:
            raise InvalidInput([(("query", "run_id"), "a run of this program is needed to filter by change")])
        stmt = stmt.where(Determination.person_id.in_(_changed(run, change)))
    for column, value in (
        (Determination.eligible, eligible),
        (Determination.person_id, person_id),
        (Determination.run_id, run_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    rows, cursor = await _keyset(session, stmt, page)
    hidden = hidden_facts(actor.role)
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


async def has_current_eligible_determination(
    session: AsyncSession, person_id: uuid.UUID, program_id: uuid.UUID
) -> bool:
    """Whether the person's latest determination under the program's active rule set is eligible."""
    latest = await session.scalar(
        select(Determination.eligible)
        .join(DeterminationRun, DeterminationRun.id == Determination.run_id)
        .join(RuleSet, RuleSet.id == DeterminationRun.rule_set_id)
        .where(
            Determination.person_id == person_id,
            DeterminationRun.program_id == program_id,
            RuleSet.status == "active",
        )
        .order_by(DeterminationRun.number.desc())
        .limit(1)
    )
    return bool(latest)


# --- simulation ---------------------------------------------------------------------------------


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
    rule_set = await get_rule_set(session, program_id, rule_set_id)
    as_of = data.as_of or local_today()
    if disclosure.controlled(actor):
        # Fixed tables: no site, and one evaluation date that cannot be stepped (see app.privacy).
        disclosure.refuse_filters(site_id=data.site_id, as_of=data.as_of)
        as_of = disclosure.fixed_as_of()
    if data.site_id is not None:
        await site_service.require(session, data.site_id)
    current = await in_force(session, program_id, as_of)
    new = compile_rule(rule_set.rule, as_of)
    old = compile_rule(current.rule, as_of) if current else None
    columns = [func.count(), _how_many(new)]
    if old is not None:
        columns += [_how_many(and_(new, not_(old))), _how_many(and_(old, not_(new)))]
    row = (await session.execute(select(*columns).select_from(Person).where(*_in_scope(data.site_id)))).one()
    total, eligible = row[0], row[1]
    newly = (row[2], row[3]) if old is not None else (None, None)
    result = SimulationRead(
        rule_set=rule_set_ref(rule_set),
        compared_with=rule_set_ref(current) if current else None,
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
        scope = _in_scope(site_id)
        stmt = select(Person.id).where(*scope, condition).order_by(Person.id).limit(MAX_LISTED_IDS)
        return list(await session.scalars(stmt))

    result.newly_eligible_ids = await ids(result.newly_eligible, and_(new, not_(old)))
    result.newly_ineligible_ids = await ids(result.newly_ineligible, and_(old, not_(new)))
    result.ids_truncated = max(result.newly_eligible or 0, result.newly_ineligible or 0) > MAX_LISTED_IDS
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


# --- seeding ------------------------------------------------------------------------------------


async def seed(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> tuple[Program, RuleSet, bool]:
    """Create a program and its rule set from seed data, and activate it; safe to run again."""
    program_data = ProgramCreate.model_validate(data["program"])
    rule_set_data = RuleSetCreate.model_validate(data["rule_set"])
    program = await session.scalar(select(Program).where(Program.code == program_data.code))
    if program is None:
        program = await create_program(session, actor, program_data)
    digest = content_hash(rule_json(rule_set_data.rule))
    rule_set = await session.scalar(
        select(RuleSet)
        .where(RuleSet.program_id == program.id, RuleSet.content_hash == digest)
        .order_by(RuleSet.version.desc())
        .limit(1)
    )
    changed = rule_set is None
    if rule_set is None:
        rule_set = await create_rule_set(session, actor, program.id, rule_set_data)
    if rule_set.status == "draft":
        rule_set = await activate(session, actor, program.id, rule_set.id)
        changed = True
    return program, rule_set, changed

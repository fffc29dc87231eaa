"""Programs and their versioned rule sets: drafts change, an activated set never does.

One person's explained evaluation is app.eligibility.evaluation, recorded runs are
app.eligibility.determinations and what-if counts app.eligibility.simulation. Program and rule
set reads are not audited (`lookup_*`); they hold no personal data.
"""

import hashlib
import json
import uuid
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.conventions import check_version
from app.db import utcnow
from app.eligibility import queries
from app.eligibility.facts import local_today
from app.eligibility.models import Program, RuleSet
from app.eligibility.schemas import (
    ProgramCreate,
    ProgramUpdate,
    RuleSetCreate,
    RuleSetRef,
    RuleSetUpdate,
    rule_json,
)
from app.errors import Conflict, InvalidInput, NotFound
from app.lookups import get_child_or_404
from app.pagination import PageParams, paginate_rows
from app.security.principal import Actor


class ProgramNotFound(NotFound):
    slug, title = "program-not-found", "Program not found"


class RuleSetNotFound(NotFound):
    slug, title = "rule-set-not-found", "Rule set not found"


class RuleSetImmutable(Conflict):
    slug, title = "rule-set-immutable", "Rule set cannot change"


class NoRuleSetInForce(Conflict):
    slug, title = "no-rule-set-in-force", "No rule set in force"


# --- programs -----------------------------------------------------------------------------------


async def lookup_program(session: AsyncSession, program_id: uuid.UUID) -> Program:
    """The program, or 404. Not audited."""
    program = await session.get(Program, program_id)
    if program is None:
        raise ProgramNotFound(resource_type="program", resource_id=program_id)
    return program


# The name app.coordination calls (its owner moves it to lookup_program; then this line goes).
get_program = lookup_program


async def locked_program(session: AsyncSession, program_id: uuid.UUID) -> Program:
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
    await audit.record_change(session, actor, "program.create", program, resource_type="program")
    return program


async def update_program(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, data: ProgramUpdate, expected: int
) -> Program:
    """Change a program's description fields (the code never changes)."""
    program = await lookup_program(session, program_id)
    check_version(expected, program.version)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(program, field, value)
    await audit.record_change(session, actor, "program.update", program, resource_type="program")
    return program


async def list_programs(
    session: AsyncSession, page: PageParams, active: bool | None
) -> tuple[list[Program], str | None]:
    """A page of programs, active or not if asked."""
    stmt = select(Program)
    if active is not None:
        stmt = stmt.where(Program.active.is_(active))
    rows, cursor = await paginate_rows(session, stmt, Program.id, page)
    return [r[0] for r in rows], cursor


async def has_current_eligible_determination(
    session: AsyncSession, person_id: uuid.UUID, program_id: uuid.UUID
) -> bool:
    """Whether the person's latest determination under the program's active rule set is eligible."""
    return bool(await session.scalar(queries.latest_decision(person_id, program_id)))


# --- rule sets ----------------------------------------------------------------------------------


def content_hash(rule: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(rule, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def rule_set_ref(rule_set: RuleSet) -> RuleSetRef:
    """How a response names a rule set: id, version and content hash."""
    return RuleSetRef(id=rule_set.id, version=rule_set.version, hash=rule_set.content_hash)


async def lookup_rule_set(session: AsyncSession, program_id: uuid.UUID, rule_set_id: uuid.UUID) -> RuleSet:
    """A rule set of the program, or 404. Not audited."""
    _, rule_set = await get_child_or_404(
        session,
        lookup_program(session, program_id),
        RuleSet,
        rule_set_id,
        parent_key=RuleSet.program_id,
        not_found=RuleSetNotFound,
        resource_type="rule_set",
    )
    return rule_set


async def create_rule_set(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, data: RuleSetCreate
) -> RuleSet:
    """A new draft; its version is the program's next number."""
    await lookup_program(session, program_id)
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
    await audit.record_change(session, actor, "rule_set.create", rule_set, resource_type="rule_set")
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
    rule_set = await lookup_rule_set(session, program_id, rule_set_id)
    _refuse_unless_draft(rule_set)
    check_version(expected, rule_set.revision)
    changes = data.model_dump(exclude_unset=True, exclude={"rule"})
    if data.rule is not None:
        rule_set.rule = rule_json(data.rule)
        rule_set.content_hash = content_hash(rule_set.rule)
    for field, value in changes.items():
        setattr(rule_set, field, value)
    if rule_set.effective_from and rule_set.effective_to and rule_set.effective_to < rule_set.effective_from:
        raise InvalidInput([(("body", "effective_to"), "is before effective_from")])
    await audit.record_change(session, actor, "rule_set.update", rule_set, resource_type="rule_set")
    return rule_set


async def activate(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, rule_set_id: uuid.UUID
) -> RuleSet:
    """Make a draft the active set and retire the one active before it."""
    await locked_program(session, program_id)
    rule_set = await lookup_rule_set(session, program_id, rule_set_id)
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
    await audit.record_change(session, actor, "rule_set.activate", rule_set, resource_type="rule_set")
    return rule_set


async def list_rule_sets(
    session: AsyncSession, program_id: uuid.UUID, page: PageParams, status: str | None
) -> tuple[list[RuleSet], str | None]:
    """A page of the program's rule sets, of one status if asked."""
    await lookup_program(session, program_id)
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


async def chosen_rule_set(
    session: AsyncSession, program_id: uuid.UUID, rule_set_id: uuid.UUID | None, as_of: date
) -> RuleSet:
    """The rule set named, or else the one in force on `as_of` (409 when there is none)."""
    if rule_set_id is not None:
        return await lookup_rule_set(session, program_id, rule_set_id)
    rule_set = await in_force(session, program_id, as_of)
    if rule_set is None:
        raise NoRuleSetInForce(f"The program has no rule set in force on {as_of.isoformat()}.")
    return rule_set


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

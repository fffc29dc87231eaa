"""Eligibility: programs, versioned rule sets, explained evaluations, determinations, simulation."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.conventions import IfMatchDep, set_etag
from app.db import SessionDep
from app.eligibility import determinations, evaluation, service, simulation
from app.eligibility.facts import FACTS
from app.eligibility.schemas import (
    Change,
    DeterminationRead,
    EligibilityRead,
    FactRead,
    ProgramCreate,
    ProgramRead,
    ProgramUpdate,
    RuleSetCreate,
    RuleSetRead,
    RuleSetStatus,
    RuleSetUpdate,
    RunCreate,
    RunRead,
    SimulationRead,
    SimulationRequest,
)
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted

router = APIRouter(tags=["eligibility"])

AsOf = Annotated[date | None, Query(description="The evaluation date (default: today, WITA).")]


@router.get("/eligibility/facts", response_model=Page[FactRead])
async def list_facts(actor: Permitted("programs:read")) -> Page[FactRead]:
    """The facts a rule may use, with their types and operators."""
    items = [
        FactRead(
            name=fact.name,
            type=fact.type,
            description=fact.description,
            operators=list(fact.operators),
            nullable=fact.nullable,
            values=list(fact.choices) if fact.choices else None,
        )
        for fact in FACTS.values()
    ]
    return Page.of(items, None)


@router.get("/programs", response_model=Page[ProgramRead])
async def list_programs(
    session: SessionDep, actor: Permitted("programs:read"), page: PageDep, active: bool | None = None
) -> Page[ProgramRead]:
    """List programs."""
    items, cursor = await service.list_programs(session, page, active)
    return Page.of(items, cursor, ProgramRead)


@router.post("/programs", status_code=201, response_model=ProgramRead)
async def create_program(
    body: ProgramCreate, session: SessionDep, actor: Permitted("programs:write"), idem: IdempotencyDep
) -> Response:
    """Create a program (e.g. PEM); its rules are rule sets."""
    program = await service.create_program(session, actor, body)
    return await idem.created(
        ProgramRead.model_validate(program), "get_program", program_id=program.id, version=program.version
    )


@router.get("/programs/{program_id}", response_model=ProgramRead)
async def get_program(
    program_id: uuid.UUID, session: SessionDep, actor: Permitted("programs:read"), response: Response
) -> ProgramRead:
    """One program."""
    program = await service.lookup_program(session, program_id)
    set_etag(response, program.version)
    return ProgramRead.model_validate(program)


@router.patch("/programs/{program_id}", response_model=ProgramRead)
async def update_program(
    program_id: uuid.UUID,
    body: ProgramUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("programs:write"),
    response: Response,
) -> ProgramRead:
    """Change a program; needs If-Match."""
    program = await service.update_program(session, actor, program_id, body, expected)
    set_etag(response, program.version)
    return ProgramRead.model_validate(program)


@router.get("/programs/{program_id}/rule-sets", response_model=Page[RuleSetRead])
async def list_rule_sets(
    program_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("programs:read"),
    page: PageDep,
    status: RuleSetStatus | None = None,
) -> Page[RuleSetRead]:
    """List a program's rule sets."""
    items, cursor = await service.list_rule_sets(session, program_id, page, status)
    return Page.of(items, cursor, RuleSetRead)


@router.post("/programs/{program_id}/rule-sets", status_code=201, response_model=RuleSetRead)
async def create_rule_set(
    program_id: uuid.UUID,
    body: RuleSetCreate,
    session: SessionDep,
    actor: Permitted("programs:write"),
    idem: IdempotencyDep,
) -> Response:
    """Create a draft rule set; its version is the program's next number."""
    rule_set = await service.create_rule_set(session, actor, program_id, body)
    return await idem.created(
        RuleSetRead.model_validate(rule_set),
        "get_rule_set",
        program_id=program_id,
        rule_set_id=rule_set.id,
        version=rule_set.revision,
    )


@router.get("/programs/{program_id}/rule-sets/{rule_set_id}", response_model=RuleSetRead)
async def get_rule_set(
    program_id: uuid.UUID,
    rule_set_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("programs:read"),
    response: Response,
) -> RuleSetRead:
    """One rule set; the ETag is its revision."""
    rule_set = await service.lookup_rule_set(session, program_id, rule_set_id)
    set_etag(response, rule_set.revision)
    return RuleSetRead.model_validate(rule_set)


@router.patch("/programs/{program_id}/rule-sets/{rule_set_id}", response_model=RuleSetRead)
async def update_rule_set(
    program_id: uuid.UUID,
    rule_set_id: uuid.UUID,
    body: RuleSetUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("programs:write"),
    response: Response,
) -> RuleSetRead:
    """Edit a draft; active and retired sets never change (409). Needs If-Match."""
    rule_set = await service.update_rule_set(session, actor, program_id, rule_set_id, body, expected)
    set_etag(response, rule_set.revision)
    return RuleSetRead.model_validate(rule_set)


@router.post("/programs/{program_id}/rule-sets/{rule_set_id}/activate", response_model=RuleSetRead)
async def activate_rule_set(
    program_id: uuid.UUID,
    rule_set_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("programs:write"),
    idem: IdempotencyDep,
) -> Response:
    """Make a draft the active rule set; the previously active one is retired."""
    rule_set = await service.activate(session, actor, program_id, rule_set_id)
    return await idem.respond(
        RuleSetRead.model_validate(rule_set),
        "get_rule_set",
        program_id=program_id,
        rule_set_id=rule_set.id,
        version=rule_set.revision,
    )


@router.post("/programs/{program_id}/rule-sets/{rule_set_id}/simulate", response_model=SimulationRead)
async def simulate_rule_set(
    program_id: uuid.UUID,
    rule_set_id: uuid.UUID,
    body: SimulationRequest,
    session: SessionDep,
    actor: Permitted("eligibility:simulate"),
) -> SimulationRead:
    """What a rule set would decide against the set in force: counts (ids for staff); nothing recorded."""
    return await simulation.simulate(session, actor, program_id, rule_set_id, body)


@router.get(
    "/programs/{program_id}/eligibility/{person_id}",
    response_model=EligibilityRead,
    responses={409: {"description": "No rule set in force on `as_of`, or the person was erased."}},
)
async def evaluate_person(
    program_id: uuid.UUID,
    person_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("eligibility:evaluate"),
    as_of: AsOf = None,
    rule_set_id: Annotated[
        uuid.UUID | None, Query(description="Default: the set in force on as_of; a draft is a dry run.")
    ] = None,
) -> EligibilityRead:
    """Whether one person is eligible, with every condition explained. Audited."""
    return await evaluation.evaluate_person_audited(
        session, actor, program_id, person_id, as_of=as_of, rule_set_id=rule_set_id
    )


@router.post("/programs/{program_id}/determinations", status_code=201, response_model=RunRead)
async def run_determinations(
    program_id: uuid.UUID,
    body: RunCreate,
    session: SessionDep,
    actor: Permitted("eligibility:determine"),
    idem: IdempotencyDep,
) -> Response:
    """Record a determination for every person in scope (restricted and erased left out); report changes."""
    report = await determinations.run_determinations(session, actor, program_id, body)
    return await idem.created(report, "get_run", program_id=program_id, run_id=report.id)


@router.get("/programs/{program_id}/determinations", response_model=Page[DeterminationRead])
async def list_determinations(
    program_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("eligibility:determinations"),
    page: PageDep,
    eligible: bool | None = None,
    person_id: uuid.UUID | None = None,
    run_id: uuid.UUID | None = None,
    change: Annotated[Change | None, Query(description="Who flipped in run_id since the run before.")] = None,
) -> Page[DeterminationRead]:
    """List recorded determinations. Audited."""
    items, cursor = await determinations.list_determinations_audited(
        session, actor, program_id, page, eligible=eligible, person_id=person_id, run_id=run_id, change=change
    )
    return Page.of(items, cursor)


@router.get("/programs/{program_id}/determination-runs", response_model=Page[RunRead])
async def list_runs(
    program_id: uuid.UUID, session: SessionDep, actor: Permitted("eligibility:determinations"), page: PageDep
) -> Page[RunRead]:
    """List determination runs with their counts."""
    items, cursor = await determinations.list_runs(session, program_id, page)
    return Page.of(items, cursor)


@router.get("/programs/{program_id}/determination-runs/{run_id}", response_model=RunRead)
async def get_run(
    program_id: uuid.UUID,
    run_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("eligibility:determinations"),
) -> RunRead:
    """One run: counts, and who changed since the run before (ids for officers and admins)."""
    return await determinations.read_run_audited(session, actor, program_id, run_id)

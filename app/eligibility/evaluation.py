"""One person's eligibility, computed in Python with every condition explained; audited."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.censuses.models import CensusObservation, CensusRound
from app.db import utcnow
from app.eligibility import service
from app.eligibility.evaluator import explain, facts_used, mask
from app.eligibility.facts import FACTS, FactContext, local_today
from app.eligibility.queries import hidden_facts
from app.eligibility.schemas import EligibilityRead, ProgramRef
from app.errors import Forbidden
from app.persons import service as person_service
from app.persons.models import Person
from app.security.policy import STAFF
from app.security.principal import Actor


class AsOfStaffOnly(Forbidden):
    slug, title = "as-of-staff-only", "Evaluation date for staff only"


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


async def evaluate_person_audited(
    session: AsyncSession,
    actor: Actor,
    program_id: uuid.UUID,
    ref: uuid.UUID,
    *,
    as_of: date | None,
    rule_set_id: uuid.UUID | None,
) -> EligibilityRead:
    """Evaluate one person with an explanation of every condition (a draft: a dry run). Audited."""
    program = await service.lookup_program(session, program_id)
    person = (await person_service.find(session, actor, ref)).person
    if person.erased_at is not None:
        raise person_service.PersonErased("The record was erased; it is no longer evaluated.")
    if as_of not in (None, local_today()) and actor.role not in STAFF:
        # Stepping the date of an age condition would find the day a result flips: the birthday.
        raise AsOfStaffOnly("Only Dinas Sosial staff may evaluate as of another date than today.")
    as_of = as_of or local_today()
    rule_set = await service.chosen_rule_set(session, program.id, rule_set_id, as_of)
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
        rule_set=service.rule_set_ref(rule_set),
        dry_run=rule_set.status == "draft",
        as_of=as_of,
        evaluated_at=utcnow(),
        explanation=explanation,
    )

"""The eligibility statements the determinations, the simulation and other domains share.

A leaf module (models, the fact registry and the inventory only): no service imports it back.
"""

import uuid
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.eligibility.facts import FACTS
from app.eligibility.models import Determination, DeterminationRun, RuleSet
from app.eligibility.schemas import Change
from app.persons.models import Person
from app.privacy.inventory import may_read
from app.security.policy import Role

# Person ids listed in a run report or a simulation; the full list of a run is GET determinations.
MAX_LISTED_IDS = 1000


def hidden_facts(role: Role) -> set[str]:
    """Facts whose values the role may not read: the inventory does not let it read their column."""
    return {n for n, f in FACTS.items() if f.reveals is not None and not may_read("persons", f.reveals, role)}


def in_scope(site_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    """Persons a bulk evaluation covers: never restricted or erased ones."""
    conditions = [Person.restricted.is_(False), Person.erased_at.is_(None)]
    if site_id is not None:
        conditions.append(Person.site_id == site_id)
    return conditions


def changed(run: DeterminationRun, change: Change) -> Select[Any]:
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


def latest_decision(person_id: uuid.UUID, program_id: uuid.UUID) -> Select[Any]:
    """The person's latest decision under the program's active rule set (eligible or not)."""
    return (
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

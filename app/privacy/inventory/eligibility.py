"""The inventory's tables: eligibility."""

from typing import Any

from sqlalchemy import ColumnElement, Table, select

from app.eligibility.models import DeterminationRun
from app.privacy.inventory.model import (
    ID,
    INTERNAL,
    NOBODY,
    STAMPS,
    Erasure,
    TableEntry,
    plain,
    quasi,
    sensitive,
    staff,
)


def determinations_of(table: Table, person_id: Any) -> ColumnElement[bool]:
    """A person's determinations, found through the runs: the primary key is (run_id, person_id)."""
    return table.c.run_id.in_(select(DeterminationRun.id)) & (table.c.person_id == person_id)


TABLES: dict[str, TableEntry] = {
    "programs": TableEntry(
        "Funds such as dana PEM.",
        columns=ID
        | STAMPS
        | {
            "code": plain(),
            "name": plain(),
            "description": plain(),
            "benefit_kind": plain(),
            "benefit_amount": plain(),
            "funding_source": plain(),
            "active": plain(),
            "created_by": staff(INTERNAL),
            "rule_set_counter": plain(NOBODY),
        },
    ),
    "eligibility_rule_sets": TableEntry(
        "Versioned eligibility rules as typed condition trees.",
        columns=ID
        | {
            "created_at": plain(),
            "updated_at": plain(),
            "program_id": plain(),
            "version": plain(),
            "status": plain(),
            "effective_from": plain(),
            "effective_to": plain(),
            "reference": plain(),
            "note": plain(),
            "rule": plain(),
            "content_hash": plain(),
            "created_by": staff(INTERNAL),
            "activated_at": plain(),
            "activated_by": staff(INTERNAL),
            "retired_at": plain(),
            "revision": plain(),
        },
    ),
    "eligibility_runs": TableEntry(
        "Bulk determinations: which rule set, when, how many eligible.",
        columns=ID
        | {
            "program_id": plain(INTERNAL),
            "number": plain(INTERNAL),
            "rule_set_id": plain(INTERNAL),
            "rule_set_version": plain(INTERNAL),
            "rule_set_hash": plain(INTERNAL),
            "as_of": plain(INTERNAL),
            "site_id": plain(INTERNAL),
            "evaluated_at": plain(INTERNAL),
            "decided_by": staff(INTERNAL),
            "decided_by_kind": plain(INTERNAL),
            "previous_run_id": plain(INTERNAL),
            "total": plain(INTERNAL),
            "eligible": plain(INTERNAL),
            "became_eligible": plain(INTERNAL),
            "became_ineligible": plain(INTERNAL),
        },
    ),
    "eligibility_determinations": TableEntry(
        "Each person's recorded outcome of a run, with the facts it was decided on.",
        link=determinations_of,
        columns={
            "run_id": plain(INTERNAL),
            "person_id": plain(INTERNAL),
            "eligible": sensitive(INTERNAL, note="kept for the runs' counts"),
            "facts": quasi(INTERNAL, Erasure.empty, note="age and NIK region"),
        },
    ),
}

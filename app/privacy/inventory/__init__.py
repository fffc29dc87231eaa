"""The personal-data inventory: every column of every table, classified once.

This is the one list the code follows. For each column it says what kind of data it holds, which
roles may read it as stored (and which get it coarsened), and what erasure does to it; for each
table, how its rows belong to a registered person. Erasure (app/privacy/flows.py), the person
views (app/persons/presenter.py), the data subject's copy and the record of processing
(`GET /api/v1/privacy/inventory`) are derived from it, and a test fails when the migrated schema
has a table or column this package does not classify.

It is also the UU PDP record of processing (Art. 31): the purpose of each table, the legal basis
and retention of each kind of data.
"""

from dataclasses import dataclass, field

from app.privacy.inventory import (
    access,
    coordination,
    eligibility,
    meetings,
    organisations,
    registry,
    webhooks,
)
from app.privacy.inventory.model import (
    NOBODY,
    RECORD_OF_PROCESSING,
    REDACTED,
    STAFF,
    Column,
    Erasure,
    Kind,
    TableEntry,
    free_text,
)
from app.security.policy import Role

# Re-exported: the inventory's vocabulary is imported from the package.
__all__ = [
    "NOBODY",
    "RECORD_OF_PROCESSING",
    "REDACTED",
    "STAFF",
    "Column",
    "Erasure",
    "free_text",
    "Kind",
    "TableEntry",
    "INVENTORY",
    "NOT_APPLICATION_TABLES",
    "Unclassified",
    "column",
    "compare",
    "gets_coarse",
    "may_read",
]

# One table each; a domain group's tables are in the module of its name, in this order.
INVENTORY: dict[str, TableEntry] = {
    **registry.TABLES,
    **coordination.TABLES,
    **eligibility.TABLES,
    **meetings.TABLES,
    **organisations.TABLES,
    **access.TABLES,
    **webhooks.TABLES,
}


# Tables of the migration tool itself.
NOT_APPLICATION_TABLES = frozenset({"alembic_version"})


def column(table: str, name: str) -> Column:
    """The classification of one column (KeyError: not classified, which a test refuses)."""
    return INVENTORY[table].columns[name]


def may_read(table: str, name: str, role: Role) -> bool:
    """Whether the role may read the column's value as stored."""
    return role in INVENTORY[table].columns[name].readers


def gets_coarse(table: str, name: str, role: Role) -> bool:
    """Whether the role gets a coarsened form of the column (masked, a birth year)."""
    return role in INVENTORY[table].columns[name].coarse


@dataclass(frozen=True)
class Unclassified:
    """A table or column of the schema that the inventory does not classify (or the reverse)."""

    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def compare(schema: dict[str, list[str]]) -> Unclassified:
    """Compare a schema (table -> column names) with the inventory."""
    missing, stale = [], []
    for table, columns in schema.items():
        if table in NOT_APPLICATION_TABLES:
            continue
        entry = INVENTORY.get(table)
        if entry is None:
            missing.append(table)
            continue
        missing += [f"{table}.{c}" for c in columns if c not in entry.columns]
        stale += [f"{table}.{c}" for c in entry.columns if c not in columns]
    stale += [t for t in INVENTORY if t not in schema]
    return Unclassified(sorted(missing), sorted(stale))

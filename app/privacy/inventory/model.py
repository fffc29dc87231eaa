"""The inventory's vocabulary: kinds of data, who may read, erasure, and the entry of a table."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table

from app.security.policy import Role


class Kind(StrEnum):
    """What a column holds, from the data subject's side."""

    direct_identifier = "direct_identifier"  # names a person on its own: name, NIK, KK, phone, address
    quasi_identifier = "quasi_identifier"  # identifies in combination: birth date, sex, regions, numbers
    sensitive = "sensitive"  # a registered person's situation: status, restriction, assistance, presence
    free_text = "free_text"  # written by people: may name a person
    staff = "staff"  # personal data of staff and agency contacts, not of registered persons
    credential = "credential"  # credentials and keys: never read back by anyone
    not_personal = "not_personal"


class Erasure(StrEnum):
    """What erasure of a registered person does to a column of the rows that belong to them."""

    keep = "keep"  # kept: not personal, or kept as a statistic of the counted skeleton
    null = "null"  # set to NULL
    redact = "redact"  # free text replaced by REDACTED (columns that may not be NULL, or a visible mark)
    empty = "empty"  # JSON emptied to {}


REDACTED = "[erased]"


@dataclass(frozen=True)
class Basis:
    """Legal basis and retention of one kind of data (UU PDP Art. 20 and 31)."""

    legal_basis: str
    retention: str


RECORD_OF_PROCESSING: dict[Kind, Basis] = {
    Kind.direct_identifier: Basis(
        "UU PDP Art. 20(2)(e): a public task of Dinas Sosial (UU 11/2009 on social welfare); "
        "consent recorded where it is the basis (persons.legal_basis)",
        "while the person's case is open; erased on a data subject's request or when the city's "
        "retention schedule (JRA) ends the case file",
    ),
    Kind.quasi_identifier: Basis(
        "UU PDP Art. 20(2)(e): the public task; needed to plan repatriation and check eligibility",
        "as the direct identifiers; region codes, sex and status are kept after erasure as the "
        "counted skeleton (statistics), without any identifier",
    ),
    Kind.sensitive: Basis(
        "UU PDP Art. 20(2)(e) and Art. 4(2): the public task, with the safeguards of specific data",
        "as the direct identifiers; statuses kept after erasure for counts only",
    ),
    Kind.free_text: Basis(
        "UU PDP Art. 20(2)(e): the public task (case notes and reasons)",
        "as the direct identifiers; redacted at erasure where a row belongs to the person",
    ),
    Kind.staff: Basis(
        "UU PDP Art. 20(2)(b) and (e): the employment or partnership of staff and agency contacts",
        "while the account or contact is active, then as the city's archives schedule says",
    ),
    Kind.credential: Basis(
        "UU PDP Art. 35: security of processing (credentials, keys, digests)",
        "until expiry or revocation; purged by `python -m app purge`",
    ),
    Kind.not_personal: Basis("not personal data", "as the record it belongs to"),
}


# --- who may read -------------------------------------------------------------------------------

NOBODY: frozenset[Role] = frozenset()
STAFF = frozenset({Role.admin, Role.officer})
INTERNAL = STAFF | {Role.auditor}  # Dinas Sosial and its auditors
PARTNERS = INTERNAL | {Role.partner}  # ...and the agency a person is referred to
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Column:
    """One column's classification."""

    kind: Kind
    readers: frozenset[Role]
    erasure: Erasure = Erasure.keep
    coarse: frozenset[Role] = NOBODY  # roles that get a coarsened form instead (masked, a year)
    note: str = ""
    # Rows erasure leaves as they are: (column, values), e.g. history entries that hold statuses.
    erase_unless: tuple[str, tuple[str, ...]] | None = None


def identifier(readers: frozenset[Role], erasure: Erasure = Erasure.null, **kw: Any) -> Column:
    return Column(Kind.direct_identifier, readers, erasure, **kw)


def quasi(readers: frozenset[Role], erasure: Erasure = Erasure.keep, **kw: Any) -> Column:
    return Column(Kind.quasi_identifier, readers, erasure, **kw)


def sensitive(readers: frozenset[Role], erasure: Erasure = Erasure.keep, **kw: Any) -> Column:
    return Column(Kind.sensitive, readers, erasure, **kw)


def free_text(readers: frozenset[Role], erasure: Erasure = Erasure.null, **kw: Any) -> Column:
    return Column(Kind.free_text, readers, erasure, **kw)


def staff(readers: frozenset[Role] = EVERYONE, **kw: Any) -> Column:
    return Column(Kind.staff, readers, **kw)


def secret(**kw: Any) -> Column:
    return Column(Kind.credential, NOBODY, **kw)


def plain(readers: frozenset[Role] = EVERYONE, **kw: Any) -> Column:
    return Column(Kind.not_personal, readers, **kw)


# How a table's rows belong to a registered person: a condition on the table given the person's id.
Link = Callable[[Table, Any], ColumnElement[bool]]


def by_column(name: str) -> Link:
    """Rows whose `name` column holds the person's id."""
    return lambda table, person_id: table.c[name] == person_id


@dataclass(frozen=True)
class TableEntry:
    """One table: why it exists, how its rows belong to a person, and each column."""

    purpose: str
    columns: dict[str, Column]
    link: Link | None = None  # None: no row belongs to a registered person
    export: bool = True  # rows linked to the person go into the data subject's copy
    erasure_note: str = ""


HISTORY_VALUE = "values of the field named: a role reads them as it reads persons.<field>"
# History entries whose values are statuses, agency ids or flags: kept, so the lifecycle stays countable.
COUNTED_KINDS = ("kind", ("status", "referral", "restrict"))
STAMPS = {"version": plain(), "created_at": plain(), "updated_at": plain()}
ID = {"id": plain()}

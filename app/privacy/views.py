"""What a role sees of a registered person, derived from the inventory: one function for every view.

A view (the person record, a case's persons, a batch's members...) names its fields; each field
shows the persons column of the same name, or a derived form (NIK, KK, birth year), and a role
the inventory does not let read that column gets null. No view decides on its own who reads what.
"""

from collections.abc import Callable, Iterable
from typing import Any

from app.persons.models import Person
from app.privacy.inventory import INVENTORY, gets_coarse, may_read
from app.security import crypto
from app.security.policy import Role


def _nik(person: Person, role: Role) -> str | None:
    if may_read("persons", "nik_ciphertext", role):
        return crypto.decrypt(person.nik_ciphertext, person.id, "nik") if person.nik_ciphertext else None
    if gets_coarse("persons", "nik_ciphertext", role):
        return crypto.masked_nik(person.nik_last4)
    return None


def _kk(person: Person, role: Role) -> str | None:
    readable = may_read("persons", "kk_ciphertext", role)
    coarse = gets_coarse("persons", "kk_ciphertext", role)
    if not (readable or coarse) or person.kk_ciphertext is None:
        return None
    kk = crypto.decrypt(person.kk_ciphertext, person.id, "kk_number")
    return kk if readable else crypto.mask(kk)


def _birth_year(person: Person, role: Role) -> int | None:
    shown = may_read("persons", "birth_date", role) or gets_coarse("persons", "birth_date", role)
    return person.birth_date.year if shown and person.birth_date else None


def _erased(person: Person, role: Role) -> bool:
    return person.erased_at is not None


# Fields that are not a column of the same name: the column they come from, and how.
DERIVED: dict[str, Callable[[Person, Role], Any]] = {
    "nik": _nik,
    "kk_number": _kk,
    "birth_year": _birth_year,
    "erased": _erased,
}
# The persons column each derived field shows (for the history, which names fields, not columns).
SOURCE_COLUMN = {"nik": "nik_ciphertext", "kk_number": "kk_ciphertext", "birth_year": "birth_date"}


def person_fields(person: Person, role: Role, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of a person as `role` may see them: the value, a coarsened form, or null."""
    return {name: _field(person, role, name) for name in names}


def _field(person: Person, role: Role, name: str) -> Any:
    derive = DERIVED.get(name)
    if derive is not None:
        return derive(person, role)
    return getattr(person, name) if may_read("persons", name, role) else None


# Fields whose values the history stores masked: shown to the roles that get them masked too.
MASKED_IN_HISTORY = frozenset({"nik", "kk_number"})


def history_value_readable(field: str, role: Role) -> bool:
    """Whether the role may read the old and new values of a history entry about `field`."""
    column = SOURCE_COLUMN.get(field, field)
    if column not in INVENTORY["persons"].columns:
        return True  # not a person field: the history's own entries (referrals...)
    if field in MASKED_IN_HISTORY and gets_coarse("persons", column, role):
        return True
    return may_read("persons", column, role)

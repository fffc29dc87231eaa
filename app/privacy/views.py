"""What a role sees of a registered person, derived from the inventory: one function for every view.

A view (the person record, a case's persons, a batch's members...) names its fields; each field
shows the persons column of the same name, or a derived form (NIK, KK, birth year), and a role
the inventory does not let read that column gets null. No view decides on its own who reads what.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from app.persons.models import Person
from app.privacy.inventory import INVENTORY, gets_coarse, may_read
from app.security import crypto
from app.security.policy import Role


def _nik(role: Role) -> Callable[[Person], str | None]:
    if may_read("persons", "nik_ciphertext", role):
        return lambda p: crypto.decrypt(p.nik_ciphertext, p.id, "nik") if p.nik_ciphertext else None
    if gets_coarse("persons", "nik_ciphertext", role):
        return lambda p: crypto.masked_nik(p.nik_last4)
    return _hidden


def _kk(role: Role) -> Callable[[Person], str | None]:
    if may_read("persons", "kk_ciphertext", role):
        return _plain_kk
    if gets_coarse("persons", "kk_ciphertext", role):
        return lambda p: crypto.mask(kk) if (kk := _plain_kk(p)) else None
    return _hidden


def _plain_kk(person: Person) -> str | None:
    return crypto.decrypt(person.kk_ciphertext, person.id, "kk_number") if person.kk_ciphertext else None


def _birth_year(role: Role) -> Callable[[Person], int | None]:
    if may_read("persons", "birth_date", role) or gets_coarse("persons", "birth_date", role):
        return lambda p: p.birth_date.year if p.birth_date else None
    return _hidden


def _erased(role: Role) -> Callable[[Person], bool]:
    return lambda p: p.erased_at is not None


def _hidden(person: Person) -> None:
    return None


# Fields that are not a column of the same name: given a role, how it reads the field.
DERIVED: dict[str, Callable[[Role], Callable[[Person], Any]]] = {
    "nik": _nik,
    "kk_number": _kk,
    "birth_year": _birth_year,
    "erased": _erased,
}
# The persons column each derived field shows (for the history, which names fields, not columns).
SOURCE_COLUMN = {"nik": "nik_ciphertext", "kk_number": "kk_ciphertext", "birth_year": "birth_date"}


ViewBuilder = Callable[..., dict[str, Any]]


def person_fields(person: Person, role: Role, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a person as `role` may see them: the value, a coarsened form, or null."""
    return view_builder(role, names)(person)


@cache
def view_builder(role: Role, names: tuple[str, ...], given: tuple[str, ...] = ()) -> ViewBuilder:
    """`build(person, *values_of_given)`: the dict of `names`, in their order, as `role` may see it.

    Each name of `given` takes the next argument (the view's own values: its type, a partner's
    pseudonym, the referrals); every other name is what the inventory lets the role read of the
    person: its column, its derived form, or null. Written once per role and view as a single
    dict display, the way `dataclasses` writes `__init__`: the person views are the hottest code
    of the API, and a dict built field by field cost a page of 50 persons ~40% more.
    """
    namespace: dict[str, Any] = {}
    entries = []
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"not a field name: {name!r}")
        entries.append(f"{name!r}: {_source(name, role, given, namespace)}")
    arguments = ", ".join(["person", *(f"given_{i}" for i in range(len(given)))])
    # Nothing from a request reaches this source: only the names of the views' fields (above).
    exec(f"def build({arguments}):\n    return {{{', '.join(entries)}}}\n", namespace)  # noqa: S102
    return namespace["build"]


def _source(name: str, role: Role, given: tuple[str, ...], namespace: dict[str, Any]) -> str:
    """The expression of one field in the built view."""
    if name in given:
        return f"given_{given.index(name)}"
    if name in DERIVED:
        read = DERIVED[name](role)
        if read is _hidden:
            return "None"
        namespace[f"derive_{name}"] = read
        return f"derive_{name}(person)"
    return f"person.{name}" if may_read("persons", name, role) else "None"


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

"""What a role sees of a registered person, derived from the inventory: one function for every view.

A view (the person record, a case's persons, a batch's members...) names its fields; each field
shows the persons column of the same name, or a derived form (NIK, KK, birth year), and a role
the inventory does not let read that column gets null. No view decides on its own who reads what.
"""

from collections.abc import Callable
from functools import cache
from operator import attrgetter, itemgetter
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


FieldsReader = Callable[[Person], tuple[Any, ...]]


def person_fields(person: Person, role: Role, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a person as `role` may see them: the value, a coarsened form, or null."""
    return dict(zip(names, reader(role, names)(person), strict=True))


@cache
def reader(role: Role, names: tuple[str, ...]) -> FieldsReader:
    """`person_fields`' values in the order of `names`, decided once per role and view (hot path).

    The readable columns come in one C call (`attrgetter`), the derived fields one call each,
    and one `itemgetter` puts them in the view's order, with null for what the role may not read.
    """
    derived = {name: DERIVED[name](role) for name in names if name in DERIVED}
    derived = {name: read for name, read in derived.items() if read is not _hidden}
    columns = tuple(n for n in names if n not in DERIVED and may_read("persons", n, role))
    slots = (*columns, *derived)
    read_columns = _tuple_getter(attrgetter, columns)
    derive = tuple(derived.values())
    in_order = _tuple_getter(itemgetter, tuple(slots.index(n) if n in slots else len(slots) for n in names))

    def values(person: Person) -> tuple[Any, ...]:
        return in_order((*read_columns(person), *[field(person) for field in derive], None))

    return values


def _tuple_getter(getter: Callable[..., Any], keys: tuple[Any, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """`attrgetter(*keys)` / `itemgetter(*keys)` that returns a tuple for any number of keys."""
    if len(keys) > 1:
        return getter(*keys)
    if keys:
        one = getter(keys[0])
        return lambda value: (one(value),)
    return lambda value: ()


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

"""The person views' field plans give, field by field, what the inventory lets each role read.

`app.privacy.views.view_builder` writes each view as one function: this holds it to the rule
written out plainly (the column's value, its derived form, or null), for every role and every
view, including views of one field, of fields in another order, and of given values.
"""

import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from app.persons.models import Person
from app.persons.presenter import PARTNER_VIEW_FIELDS, PERSON_VIEW_FIELDS
from app.privacy import views
from app.privacy.inventory import gets_coarse, may_read
from app.security import crypto
from app.security.policy import Role
from tests.persons.support import synthetic_nik

PERSON_ID = uuid.UUID("01900000-0000-7000-8000-000000009101")
KK = "5371020101189101"  # synthetic: serial 9101
VIEWS = {
    "staff": (*PERSON_VIEW_FIELDS, "notes"),
    "partner": PARTNER_VIEW_FIELDS,
    "one column": ("registration_number",),
    "one derived": ("nik",),
    "reordered": ("erased", "notes", "birth_year", "full_name", "kk_number", "id"),
    "none": (),
}


def _person() -> Any:
    """A row with every persons column set (a driver row is read the same way, by attribute)."""
    values: dict[str, Any] = {column.key: f"value of {column.key}" for column in Person.__table__.columns}
    values |= {
        "id": PERSON_ID,
        "birth_date": date(1995, 4, 12),
        "nik_ciphertext": crypto.encrypt(synthetic_nik(9101), PERSON_ID, "nik"),
        "nik_last4": "9101",
        "kk_ciphertext": crypto.encrypt(KK, PERSON_ID, "kk_number"),
        "erased_at": datetime(2026, 1, 2, tzinfo=UTC),
    }
    return SimpleNamespace(**values)


def _shown(role: Role, column: str, plain: Any, coarse: Any) -> Any:
    """The value if the role reads the column, its coarse form if it gets that, else null."""
    if may_read("persons", column, role):
        return plain
    return coarse if gets_coarse("persons", column, role) else None


def _expected(person: Any, role: Role, name: str) -> Any:
    """The rule, one field at a time, written out apart from app.privacy.views."""
    if name == "nik":
        return _shown(role, "nik_ciphertext", synthetic_nik(9101), crypto.masked_nik("9101"))
    if name == "kk_number":
        return _shown(role, "kk_ciphertext", KK, crypto.mask(KK))
    if name == "birth_year":
        return _shown(role, "birth_date", 1995, 1995)
    if name == "erased":
        return True
    return _shown(role, name, getattr(person, name), None)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("role", list(Role))
def test_each_field_is_what_the_inventory_lets_the_role_read(role: Role, view: str) -> None:
    person, names = _person(), VIEWS[view]
    fields = views.person_fields(person, role, names)
    assert list(fields) == list(names)
    assert fields == {name: _expected(person, role, name) for name in names}


def test_the_rule_itself_hides_and_coarsens() -> None:
    """The oracle above is not vacuous: partners get no notes, a masked NIK and a birth year only."""
    person = _person()
    partner = views.person_fields(person, Role.partner, ("notes", "nik", "birth_date", "birth_year"))
    masked = crypto.masked_nik("9101")
    assert partner == {"notes": None, "nik": masked, "birth_date": None, "birth_year": 1995}
    officer = views.person_fields(person, Role.officer, ("nik", "kk_number", "erased"))
    assert officer == {"nik": synthetic_nik(9101), "kk_number": "5371020101189101", "erased": True}


def test_given_fields_take_the_callers_values_in_their_order() -> None:
    build = views.view_builder(Role.officer, ("view", "full_name", "extra", "notes"), ("view", "extra"))
    built = build(_person(), "staff", [1])
    assert built == {
        "view": "staff",
        "full_name": "value of full_name",
        "extra": [1],
        "notes": "value of notes",
    }
    assert list(built) == ["view", "full_name", "extra", "notes"]


def test_a_field_neither_given_nor_in_the_inventory_is_refused_when_the_view_is_built() -> None:
    with pytest.raises(KeyError):
        views.view_builder(Role.officer, ("warnings",))
    with pytest.raises(ValueError, match="not a field name"):
        views.view_builder(Role.officer, ("a, b",), ("a, b",))

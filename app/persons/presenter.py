"""Each role's view of a person, built by app/privacy/views.py from the personal-data inventory."""

import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

from app.persons.access import Found
from app.persons.models import Person, PersonChange, Referral
from app.persons.schemas import ChangeRead, PartnerPersonRead, PersonRead
from app.privacy import views
from app.security.policy import Role
from app.security.principal import Actor

# The fields of each view that show a person's own data; the inventory decides who reads each.
PERSON_VIEW_FIELDS = (
    "registration_number", "site_id", "full_name", "alias", "sex", "birth_date", "birth_year", "nik",
    "nik_region_code", "kk_number", "phone", "domicile_address", "origin_region_code",
    "domicile_region_code", "identity_document", "identity_verified", "identity_verified_at",
    "identity_verified_by", "legal_basis", "consent_at", "status", "status_changed_at", "restricted",
    "erased",
)  # fmt: skip
PARTNER_VIEW_FIELDS = (
    "site_id", "full_name", "alias", "sex", "birth_year", "nik", "origin_region_code", "domicile_region_code",
    "identity_verified", "status", "status_changed_at",
)  # fmt: skip


# The keys of each view, in its model's order: the hot reads serialize the dict as it is
# (app.conventions.plain_json), and tests/persons/test_driver_reads.py holds the bytes to the model's.
_STAFF_KEYS = (
    "view", "id", *PERSON_VIEW_FIELDS, "referrals", "notes",
    "version", "created_at", "updated_at", "warnings",
)  # fmt: skip
_PARTNER_KEYS = ("view", "id", *PARTNER_VIEW_FIELDS, "referral", "version", "updated_at")
if tuple(PersonRead.model_fields) != _STAFF_KEYS or tuple(PartnerPersonRead.model_fields) != _PARTNER_KEYS:
    raise RuntimeError("a person view's keys no longer list its model's fields in order")
# What each view gives itself; the inventory decides every other field (app/privacy/views.py).
_STAFF_GIVEN = ("view", "referrals", "warnings")
_PARTNER_GIVEN = ("view", "id", "referral")


@cache
def _staff_view(role: Role) -> views.ViewBuilder:
    return views.view_builder(role, _STAFF_KEYS, _STAFF_GIVEN)


@cache
def _partner_view() -> views.ViewBuilder:
    return views.view_builder(Role.partner, _PARTNER_KEYS, _PARTNER_GIVEN)


def staff_fields(
    person: Person, actor: Actor, referrals: Sequence[Referral], warnings: list[str] | None = None
) -> dict[str, Any]:
    """`PersonRead`'s fields: what the inventory lets the role read (staff: plaintext NIK, KK, notes)."""
    return _staff_view(actor.role)(person, "staff", [_referral_fields(r) for r in referrals], warnings or [])


def partner_fields(person: Person, referral: Referral) -> dict[str, Any]:
    """`PartnerPersonRead`'s fields: its own pseudonymous id and what the inventory lets partners read."""
    return _partner_view()(person, "partner", referral.pseudonym, _referral_fields(referral))


def _referral_fields(referral: Referral) -> dict[str, Any]:
    return {"agency_id": referral.agency_id, "reason": referral.reason, "referred_at": referral.referred_at}


def for_staff_or_auditor(
    person: Person, actor: Actor, referrals: list[Referral], warnings: list[str] | None = None
) -> PersonRead:
    """The record as Dinas Sosial staff and auditors see it."""
    return PersonRead(**staff_fields(person, actor, referrals, warnings))


def present(
    found: Found, actor: Actor, referrals: dict[uuid.UUID, list[Referral]], warnings: list[str] | None = None
) -> PersonRead | PartnerPersonRead:
    """The role's view of one person."""
    model = PartnerPersonRead if actor.is_partner else PersonRead
    return model(**fields(found, actor, referrals, warnings))


def fields(
    found: Found, actor: Actor, referrals: dict[uuid.UUID, list[Referral]], warnings: list[str] | None = None
) -> dict[str, Any]:
    """The role's view of one person as the fields of its model, unvalidated.

    The hot reads serialize these directly (app.conventions.plain_json): the values come from the
    database's typed columns, and tests/persons/test_driver_reads.py holds the bytes to the models'.
    """
    if actor.is_partner:
        assert found.referral is not None  # partners reach persons only through a referral
        return partner_fields(found.person, found.referral)
    return staff_fields(found.person, actor, referrals.get(found.person.id, []), warnings)


def page_fields(
    found: Sequence[Found], actor: Actor, referrals: dict[uuid.UUID, list[Referral]]
) -> list[dict[str, Any]]:
    """`fields` of each person of a page (the role's view chosen once for the page: hot path)."""
    if actor.is_partner:
        return [partner_fields(f.person, f.referral) for f in found]
    return [staff_fields(f.person, actor, referrals.get(f.person.id, ())) for f in found]


def change(entry: PersonChange, actor: Actor) -> ChangeRead:
    """One history entry as the role may see it (auditors: staff-only values left out)."""
    read = ChangeRead.model_validate(entry)
    if read.field is not None and not views.history_value_readable(read.field, actor.role):
        return read.model_copy(update={"old_value": None, "new_value": None})
    return read

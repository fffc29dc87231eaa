"""What each role sees of a person: full for Dinas Sosial staff, masked for auditors and partners."""

import uuid
from typing import Any

from app.persons.models import Person, PersonChange, Referral
from app.persons.schemas import ChangeRead, PartnerPersonRead, PersonRead
from app.persons.service import Found, decrypt_nik
from app.security import crypto
from app.security.policy import STAFF
from app.security.principal import Actor

# Fields only Dinas Sosial staff may read: others see that they changed, not their values.
STAFF_ONLY_FIELDS = {"notes"}


def _kk(person: Person) -> str | None:
    return crypto.decrypt(person.kk_ciphertext, person.id, "kk_number") if person.kk_ciphertext else None


def staff_fields(
    person: Person, actor: Actor, referrals: list[Referral], warnings: list[str] | None = None
) -> dict[str, Any]:
    """`PersonRead`'s fields: staff see plaintext NIK, KK and notes; auditors see the rest, masked."""
    staff = actor.role in STAFF
    nik = decrypt_nik(person) if staff else crypto.masked_nik(person.nik_last4)
    kk = _kk(person)
    return {
        "id": person.id,
        "registration_number": person.registration_number,
        "site_id": person.site_id,
        "full_name": person.full_name,
        "alias": person.alias,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "nik": nik,
        "nik_region_code": person.nik_region_code,
        "kk_number": kk if staff else crypto.mask(kk),
        "phone": person.phone,
        "domicile_address": person.domicile_address,
        "origin_region_code": person.origin_region_code,
        "domicile_region_code": person.domicile_region_code,
        "identity_document": person.identity_document,
        "identity_verified": person.identity_verified,
        "identity_verified_at": person.identity_verified_at,
        "identity_verified_by": person.identity_verified_by,
        "legal_basis": person.legal_basis,
        "consent_at": person.consent_at,
        "status": person.status,
        "status_changed_at": person.status_changed_at,
        "restricted": person.restricted,
        "erased": person.erased_at is not None,
        "referrals": [_referral_fields(r) for r in referrals],
        "notes": person.notes if staff else None,
        "version": person.version,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
        "warnings": warnings or [],
    }


def partner_fields(person: Person, referral: Referral) -> dict[str, Any]:
    """`PartnerPersonRead`'s fields: its own pseudonymous id, NIK masked, no phone, KK, address or notes."""
    return {
        "id": referral.pseudonym,
        "registration_number": person.registration_number,
        "site_id": person.site_id,
        "full_name": person.full_name,
        "alias": person.alias,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "nik": crypto.masked_nik(person.nik_last4),
        "origin_region_code": person.origin_region_code,
        "domicile_region_code": person.domicile_region_code,
        "identity_verified": person.identity_verified,
        "status": person.status,
        "status_changed_at": person.status_changed_at,
        "referral": _referral_fields(referral),
        "version": person.version,
        "updated_at": person.updated_at,
    }


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


def change(entry: PersonChange, actor: Actor) -> ChangeRead:
    """One history entry as the role may see it (auditors: staff-only values left out)."""
    read = ChangeRead.model_validate(entry)
    if actor.role not in STAFF and read.field in STAFF_ONLY_FIELDS:
        return read.model_copy(update={"old_value": None, "new_value": None})
    return read

"""The inventory's tables: the registry."""

from app.privacy.inventory.model import (
    COUNTED_KINDS,
    HISTORY_VALUE,
    ID,
    INTERNAL,
    NOBODY,
    PARTNERS,
    STAFF,
    STAMPS,
    Erasure,
    TableEntry,
    by_column,
    free_text,
    identifier,
    plain,
    quasi,
    sensitive,
    staff,
)
from app.security.policy import Role

TABLES: dict[str, TableEntry] = {
    "persons": TableEntry(
        "The registry of persons who worked at the site: identity, origin, status, consent.",
        link=by_column("id"),
        columns=ID
        | STAMPS
        | {
            "site_id": plain(PARTNERS),
            "registration_seq": quasi(INTERNAL),
            "registration_number": quasi(
                INTERNAL, note="joins data sets: partners get their agency's pseudonymous id instead"
            ),
            "full_name": identifier(PARTNERS),
            "alias": identifier(PARTNERS),
            "sex": quasi(PARTNERS, note="kept after erasure for counts"),
            "birth_date": quasi(
                STAFF, Erasure.null, coarse=frozenset({Role.auditor, Role.partner}), note="others: birth year"
            ),
            "nik_ciphertext": identifier(
                STAFF,
                coarse=frozenset({Role.auditor, Role.partner}),
                note="AES-GCM; others: last 4",
            ),
            "nik_blind_index": identifier(NOBODY, note="keyed HMAC for exact lookup"),
            "nik_last4": identifier(PARTNERS, note="shown as the masked NIK"),
            "nik_region_code": quasi(
                STAFF, Erasure.null, note="with birth date, sex and last4 it rebuilds the NIK"
            ),
            "kk_ciphertext": identifier(STAFF, coarse=frozenset({Role.auditor}), note="auditors: masked"),
            "phone": identifier(INTERNAL),
            "domicile_address": identifier(INTERNAL),
            "origin_region_code": quasi(PARTNERS, note="kept after erasure for counts"),
            "domicile_region_code": quasi(PARTNERS, note="kept after erasure for counts"),
            "identity_document": quasi(INTERNAL),
            "identity_verified": quasi(PARTNERS),
            "identity_verified_at": plain(INTERNAL),
            "identity_verified_by": staff(INTERNAL),
            "legal_basis": plain(INTERNAL),
            "consent_at": plain(INTERNAL),
            "status": sensitive(PARTNERS, note="kept after erasure for counts"),
            "status_changed_at": plain(PARTNERS),
            "restricted": sensitive(INTERNAL),
            "restricted_at": plain(INTERNAL),
            "erased_at": plain(INTERNAL),
            "notes": free_text(STAFF),
            "created_by": staff(INTERNAL),
        },
    ),
    "person_changes": TableEntry(
        "Each person's history: status changes and field changes, with reasons.",
        link=by_column("person_id"),
        columns=ID
        | {
            "person_id": plain(INTERNAL),
            "occurred_at": plain(INTERNAL),
            "kind": plain(INTERNAL),
            "field": plain(INTERNAL),
            "old_value": sensitive(INTERNAL, Erasure.null, note=HISTORY_VALUE, erase_unless=COUNTED_KINDS),
            "new_value": sensitive(INTERNAL, Erasure.null, note=HISTORY_VALUE, erase_unless=COUNTED_KINDS),
            "reason": free_text(INTERNAL, Erasure.redact),
            "occurred_on": plain(INTERNAL),
            "actor_kind": plain(INTERNAL),
            "actor_id": staff(INTERNAL),
            "source": plain(INTERNAL),
        },
        erasure_note="statuses stay countable: only the values of field changes are emptied",
    ),
    "referrals": TableEntry(
        "Which agency a person is referred to; its partners see the person under their own id.",
        link=by_column("person_id"),
        columns={
            "person_id": plain(INTERNAL),
            "agency_id": plain(PARTNERS),
            "pseudonym": quasi(PARTNERS, note="the agency's own id of the person"),
            "reason": free_text(PARTNERS, Erasure.redact),
            "referred_at": plain(PARTNERS),
            "referred_by": staff(INTERNAL),
            "ended_at": plain(INTERNAL),
        },
    ),
    "census_rounds": TableEntry(
        "The counts (pendataan) held at a site.",
        columns=ID
        | STAMPS
        | {"site_id": plain(), "name": plain(), "held_on": plain(), "meeting_id": plain()},
    ),
    "census_observations": TableEntry(
        "Who was present or absent at each count.",
        link=by_column("person_id"),
        columns={
            "census_id": plain(INTERNAL),
            "person_id": plain(INTERNAL),
            "presence": sensitive(INTERNAL),
            "observed_at": plain(INTERNAL),
            "recorded_by": staff(INTERNAL),
        },
    ),
    "change_requests": TableEntry(
        "Partners' proposals (status changes, corrections) and the officer's decision.",
        link=by_column("person_id"),
        columns=ID
        | STAMPS
        | {
            "reference": plain(PARTNERS),
            "person_id": plain(PARTNERS, note="partners see their pseudonymous id"),
            "agency_id": plain(PARTNERS),
            "requested_by": staff(PARTNERS),
            "requested_by_kind": plain(PARTNERS),
            "kind": plain(PARTNERS),
            "payload": sensitive(PARTNERS, Erasure.empty, note="a correction holds names and dates"),
            "note": free_text(PARTNERS),
            "status": plain(PARTNERS),
            "decided_by": staff(PARTNERS),
            "decided_at": plain(PARTNERS),
            "decision_reason": free_text(PARTNERS, Erasure.redact),
        },
    ),
    "change_request_counters": TableEntry(
        "The yearly numbering of change requests.", columns={"year": plain(NOBODY), "last_seq": plain(NOBODY)}
    ),
}

"""The personal-data inventory: every column of every table, classified once.

This is the one list the code follows. For each column it says what kind of data it holds, which
roles may read it as stored (and which get it coarsened), and what erasure does to it; for each
table, how its rows belong to a registered person. Erasure (app/privacy/erasure.py), the person
views (app/persons/presenter.py), the data subject's copy and the record of processing
(`GET /api/v1/privacy/inventory`) are derived from it, and a test fails when the migrated schema
has a table or column this file does not classify.

It is also the UU PDP record of processing (Art. 31): the purpose of each table, the legal basis
and retention of each kind of data.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from app.coordination.models import RepatriationMember
from app.eligibility.models import DeterminationRun
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


def through_batches(table: Table, person_id: Any) -> ColumnElement[bool]:
    """Repatriation batches the person was ever a member of (their free text may name them)."""
    members = select(RepatriationMember.repatriation_id).where(RepatriationMember.person_id == person_id)
    return table.c.id.in_(members)


def determinations_of(table: Table, person_id: Any) -> ColumnElement[bool]:
    """A person's determinations, found through the runs: the primary key is (run_id, person_id)."""
    return table.c.run_id.in_(select(DeterminationRun.id)) & (table.c.person_id == person_id)


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

INVENTORY: dict[str, TableEntry] = {
    # --- the registry -------------------------------------------------------------------------
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
    # --- coordination and repatriation --------------------------------------------------------
    "coordinations": TableEntry(
        "One case per region of origin, with its counterpart agency.",
        columns=ID
        | STAMPS
        | {
            "site_id": plain(PARTNERS),
            "region_code": plain(PARTNERS),
            "counterpart_agency_id": plain(PARTNERS),
            "status": plain(PARTNERS),
            "notes": free_text(PARTNERS, Erasure.keep, note="about the case; must not name a person"),
            "created_by": staff(INTERNAL),
        },
    ),
    "coordination_correspondence": TableEntry(
        "Letters and calls with the origin region's social office.",
        columns=ID
        | STAMPS
        | {
            "coordination_id": plain(PARTNERS),
            "direction": plain(PARTNERS),
            "channel": plain(PARTNERS),
            "reference_number": plain(PARTNERS),
            "dated_on": plain(PARTNERS),
            "subject": free_text(PARTNERS, Erasure.keep, note="official correspondence kept as archive"),
            "summary": free_text(PARTNERS, Erasure.keep, note="official correspondence kept as archive"),
            "recorded_by": staff(INTERNAL),
        },
    ),
    "repatriations": TableEntry(
        "Travel batches home: transport, escort, handover.",
        link=through_batches,
        export=False,
        columns=ID
        | STAMPS
        | {
            "coordination_id": plain(PARTNERS),
            "leg": plain(PARTNERS),
            "planned_departure_on": plain(PARTNERS),
            "departed_at": plain(PARTNERS),
            "arrived_at": plain(PARTNERS),
            "transport_mode": plain(PARTNERS),
            "carrier": plain(PARTNERS),
            "booking_reference": plain(PARTNERS),
            "escort_agency_id": plain(PARTNERS),
            "cost_amount": plain(PARTNERS),
            "funding_source": plain(PARTNERS),
            "status": plain(PARTNERS),
            "received_by_agency_id": plain(PARTNERS),
            "received_by_name": staff(PARTNERS),
            "handed_over_at": plain(PARTNERS),
            "handover_document_number": plain(PARTNERS),
            "cancelled_at": plain(PARTNERS),
            "cancel_reason": free_text(PARTNERS, Erasure.redact, note="may name a member"),
            "notes": free_text(STAFF, Erasure.redact, note="may name a member"),
            "created_by": staff(INTERNAL),
        },
        erasure_note="a batch's free text may name any member: redacted when one member is erased",
    ),
    "repatriation_members": TableEntry(
        "Who travels in which batch.",
        link=by_column("person_id"),
        columns=ID
        | {
            "repatriation_id": plain(PARTNERS),
            "person_id": plain(PARTNERS, note="partners see their pseudonymous id"),
            "active": plain(PARTNERS),
            "override_reason": free_text(INTERNAL, Erasure.redact),
            "added_at": plain(PARTNERS),
            "added_by": staff(INTERNAL),
        },
    ),
    "assistance_records": TableEntry(
        "Assistance given to a person (cash, transport, training).",
        link=by_column("person_id"),
        columns=ID
        | STAMPS
        | {
            "person_id": plain(INTERNAL),
            "type": sensitive(INTERNAL),
            "amount": sensitive(INTERNAL, note="kept for the fund's accounts"),
            "funding_source": plain(INTERNAL),
            "program_id": plain(INTERNAL),
            "status": plain(INTERNAL),
            "paid_on": plain(INTERNAL),
            "reference": free_text(INTERNAL, Erasure.redact, note="receipt numbers may carry a name"),
            "notes": free_text(INTERNAL),
            "created_by": staff(INTERNAL),
        },
    ),
    # --- eligibility --------------------------------------------------------------------------
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
    # --- meetings -----------------------------------------------------------------------------
    "meetings": TableEntry(
        "Coordination meetings, outreach and census sessions.",
        columns=ID
        | STAMPS
        | {
            "kind": plain(),
            "title": plain(),
            "description": free_text(EVERYONE, Erasure.keep, note="about the closure; not about a person"),
            "site_id": plain(),
            "starts_at": plain(),
            "ends_at": plain(),
            "timezone": plain(),
            "location": plain(),
            "organizer_agency_id": plain(),
            "status": plain(),
            "minutes": free_text(EVERYONE, Erasure.keep, note="about the closure; not about a person"),
        },
    ),
    "meeting_participants": TableEntry(
        "Agencies taking part in a meeting and who represented them.",
        columns=ID
        | STAMPS
        | {
            "meeting_id": plain(),
            "agency_id": plain(),
            "response": plain(),
            "attended": plain(),
            "representative_name": staff(),
            "representative_title": staff(),
        },
    ),
    "meeting_agenda_items": TableEntry(
        "A meeting's agenda.",
        columns=ID
        | STAMPS
        | {
            "meeting_id": plain(),
            "number": plain(),
            "title": plain(),
            "public": plain(),
            "outcome": free_text(EVERYONE, Erasure.keep, note="decisions of the meeting"),
        },
    ),
    "meeting_action_items": TableEntry(
        "What each agency agreed to do.",
        columns=ID
        | STAMPS
        | {
            "meeting_id": plain(),
            "agenda_item_id": plain(),
            "title": plain(),
            "description": free_text(EVERYONE, Erasure.keep, note="tasks of agencies"),
            "assignee_agency_id": plain(),
            "due_on": plain(),
            "status": plain(),
            "completed_at": plain(),
        },
    ),
    "meeting_changes": TableEntry(
        "A meeting's history.",
        columns=ID
        | {
            "meeting_id": plain(),
            "occurred_at": plain(),
            "action": plain(),
            "subject_type": plain(),
            "subject_id": plain(),
            "changes": staff(note="old and new values of meeting fields, representatives' names"),
            "actor_kind": plain(),
            "actor_id": staff(),
            "actor_role": plain(),
        },
    ),
    # --- reference data and organisations -----------------------------------------------------
    "regions": TableEntry(
        "The Kemendagri list of provinces and regencies.",
        columns={"code": plain(), "name": plain(), "level": plain(), "parent_code": plain()},
    ),
    "sites": TableEntry(
        "The lokalisasi being closed and its timeline.",
        columns=ID
        | STAMPS
        | {
            "name": plain(),
            "code": plain(),
            "region_code": plain(),
            "address": plain(),
            "status": plain(),
            "closure_announced_on": plain(),
            "closed_on": plain(),
            "notes": plain(),
            "registration_counter": plain(NOBODY),
        },
    ),
    "agencies": TableEntry(
        "City offices (OPD), NGOs, police, and origin regions' social offices.",
        columns=ID
        | STAMPS
        | {
            "name": plain(),
            "name_key": plain(NOBODY),
            "acronym": plain(),
            "kind": plain(),
            "region_code": plain(),
            "address": plain(),
            "contact_name": staff(),
            "contact_phone": staff(),
            "contact_email": staff(),
            "active": plain(),
        },
    ),
    # --- identity and access ------------------------------------------------------------------
    "users": TableEntry(
        "Staff and partner accounts.",
        columns=ID
        | STAMPS
        | {
            "username": staff(frozenset({Role.admin})),
            "full_name": staff(frozenset({Role.admin})),
            "password_hash": secret(),
            "role": plain(frozenset({Role.admin})),
            "agency_id": plain(frozenset({Role.admin})),
            "active": plain(frozenset({Role.admin})),
            "password_changed_at": plain(frozenset({Role.admin})),
        },
    ),
    "api_clients": TableEntry(
        "Partner systems and scripts signing in with client credentials.",
        columns=ID
        | STAMPS
        | {
            "client_id": plain(frozenset({Role.admin})),
            "name": plain(frozenset({Role.admin})),
            "secret_hash": secret(),
            "role": plain(frozenset({Role.admin})),
            "agency_id": plain(frozenset({Role.admin})),
            "active": plain(frozenset({Role.admin})),
        },
    ),
    "access_tokens": TableEntry(
        "Issued access tokens, stored as digests.",
        columns=ID
        | {
            "token_digest": secret(),
            "user_id": plain(NOBODY),
            "api_client_id": plain(NOBODY),
            "created_at": plain(NOBODY),
            "expires_at": plain(NOBODY),
            "revoked_at": plain(NOBODY),
        },
    ),
    "calendar_feeds": TableEntry(
        "Calendar feed URLs of users, the token stored as a digest.",
        columns=ID
        | {
            "user_id": staff(NOBODY, note="shown to the feed's user and to admins"),
            "agency_id": plain(NOBODY),
            "name": plain(NOBODY, note="the user's own label for the feed"),
            "token_digest": secret(),
            "created_at": plain(NOBODY),
            "revoked_at": plain(NOBODY),
        },
    ),
    "login_failures": TableEntry(
        "Failed sign-ins, for throttling.",
        columns=ID
        | {"subject_digest": secret(note="keyed digest of the username"), "occurred_at": plain(NOBODY)},
    ),
    "audit_events": TableEntry(
        "The append-only trail of who read or changed what.",
        export=False,
        columns=ID
        | {
            "occurred_at": plain(INTERNAL),
            "actor_kind": plain(INTERNAL),
            "actor_id": staff(INTERNAL),
            "actor_role": plain(INTERNAL),
            "agency_id": plain(INTERNAL),
            "action": plain(INTERNAL),
            "resource_type": plain(INTERNAL),
            "resource_id": plain(INTERNAL),
            "person_ids": quasi(INTERNAL, note="ids only; the data subject's copy lists these events"),
            "request_id": plain(INTERNAL),
            "correlation_id": plain(INTERNAL, note="the caller's own request id, charset-limited"),
            "client_ip": staff(INTERNAL),
            "peer_ip": staff(INTERNAL),
            "outcome": plain(INTERNAL),
            "status_code": plain(INTERNAL),
            "reason": plain(INTERNAL, note="a purpose code from a closed list, never free text"),
            "row_hash": plain(INTERNAL, note="HMAC of the row, for the hash chain"),
        },
        erasure_note="append-only: holds ids and codes only, so erasure has nothing to reach here",
    ),
    "audit_denial_counts": TableEntry(
        "Unauthenticated denials counted per address and time bucket (so they cannot flood the trail).",
        columns={
            "bucket_start": plain(INTERNAL),
            "client_ip": staff(INTERNAL, note="the address of an anonymous caller"),
            "count": plain(INTERNAL),
            "last_at": plain(INTERNAL),
        },
    ),
    "audit_seals": TableEntry(
        "The hash chain over the audit trail: each seal hashes a batch of events and the previous seal.",
        columns={
            "id": plain(INTERNAL),
            "first_event_id": plain(INTERNAL),
            "last_event_id": plain(INTERNAL),
            "event_count": plain(INTERNAL),
            "events_digest": plain(INTERNAL),
            "previous_hash": plain(INTERNAL),
            "seal_hash": plain(INTERNAL),
            "sealed_at": plain(INTERNAL),
        },
    ),
    "idempotency_keys": TableEntry(
        "Keys of POST requests, so a retry does not act twice.",
        columns={
            "owner": plain(NOBODY),
            "key": plain(NOBODY),
            "request_digest": secret(),
            "status_code": plain(NOBODY),
            "location": plain(NOBODY, note="the path a replay reads again; never a body"),
            "resource_id": plain(NOBODY),
            "created_at": plain(NOBODY),
            "expires_at": plain(NOBODY),
        },
    ),
    # --- webhooks -----------------------------------------------------------------------------
    "webhook_subscriptions": TableEntry(
        "Partner systems' subscriptions to events.",
        columns=ID
        | STAMPS
        | {
            "agency_id": plain(frozenset({Role.admin, Role.partner})),
            "url": secret(note="receivers often carry a key in the URL; shown to the owner only"),
            "event_types": plain(frozenset({Role.admin, Role.partner})),
            "description": plain(frozenset({Role.admin, Role.partner})),
            "secret_ciphertext": secret(),
            "active": plain(frozenset({Role.admin, Role.partner})),
            "created_by": staff(frozenset({Role.admin})),
        },
    ),
    "webhook_deliveries": TableEntry(
        "The outbox of events to send, and what was sent.",
        columns=ID
        | {
            "subscription_id": plain(frozenset({Role.admin, Role.partner})),
            "event_type": plain(frozenset({Role.admin, Role.partner})),
            "occurred_at": plain(frozenset({Role.admin, Role.partner})),
            "payload": sensitive(
                frozenset({Role.admin, Role.partner}),
                note="ids and statuses only, the agency's pseudonyms; checked again when sent",
            ),
            "status": plain(frozenset({Role.admin, Role.partner})),
            "attempt_count": plain(frozenset({Role.admin, Role.partner})),
            "next_attempt_at": plain(frozenset({Role.admin, Role.partner})),
            "expires_at": plain(frozenset({Role.admin, Role.partner})),
            "last_attempt_at": plain(frozenset({Role.admin, Role.partner})),
            "last_status_code": plain(frozenset({Role.admin, Role.partner})),
            "last_error": plain(frozenset({Role.admin, Role.partner})),
            "delivered_at": plain(frozenset({Role.admin, Role.partner})),
            "created_at": plain(frozenset({Role.admin, Role.partner})),
        },
    ),
    "webhook_attempts": TableEntry(
        "Each try of a delivery.",
        columns=ID
        | {
            "delivery_id": plain(frozenset({Role.admin, Role.partner})),
            "attempted_at": plain(frozenset({Role.admin, Role.partner})),
            "status_code": plain(frozenset({Role.admin, Role.partner})),
            "duration_ms": plain(frozenset({Role.admin, Role.partner})),
            "error": plain(frozenset({Role.admin, Role.partner})),
        },
    ),
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

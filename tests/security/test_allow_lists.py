"""Property-level access: what each role reads of an object, and what it may write.

Reading: for every role that may read them, the keys of person, meeting and coordination objects
(single and listed, nested objects included) are within that role's declared allow-list. The lists
are written out here, not derived from the schemas: a field added to a response fails this test
until someone decides who may see it. Partners never get a full NIK, a phone, a KK number, an
address or notes, and wherever a person is embedded (case persons, batch members, evaluations) they
see only their agency's pseudonymous id and masked data, as in their person reads.

Writing: a field a role may not change is refused (403 when the role may write the object but not
that field, 422 when no role may send it) and the object is left exactly as it was.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from app.eligibility.facts import FACTS
from app.persons.transitions import Status
from app.privacy.inventory import INVENTORY, gets_coarse, may_read
from app.privacy.views import SOURCE_COLUMN
from app.security.crypto import pseudonym
from app.security.policy import Role
from tests.coordination.helpers import ALOR, ROTE, make_batch, verified_person
from tests.eligibility.helpers import active_program
from tests.factories import Callers
from tests.meetings import add_action_item, add_participant, create_meeting
from tests.persons.helpers import make_site
from tests.persons.support import refer, synthetic_nik

API = "/api/v1"
ANY = None  # a leaf: a scalar, or a list of scalars


@dataclass(frozen=True)
class Map:
    """A JSON object keyed by data (statuses, fact names...), not by field names."""

    keys: frozenset[str]
    value: Any = ANY


def page(item: Any) -> dict[str, Any]:
    return {"items": item, "next_cursor": ANY}


def keys(*names: str, **nested: Any) -> dict[str, Any]:
    return dict.fromkeys(names, ANY) | nested


# --- the allow-lists ------------------------------------------------------------------------

STAMPS = ("version", "created_at", "updated_at")
MEETING = keys(
    "id", "kind", "title", "description", "site_id", "starts_at", "ends_at", "timezone", "location",
    "organizer_agency_id", "status", "minutes", *STAMPS,
)  # fmt: skip
PARTICIPANT = keys(
    "id", "meeting_id", "agency_id", "response", "attended", "representative_name",
    "representative_title", *STAMPS,
)  # fmt: skip
AGENDA_ITEM = keys("id", "meeting_id", "number", "title", "public", "outcome", *STAMPS)
ACTION_ITEM = keys(
    "id", "meeting_id", "agenda_item_id", "title", "description", "assignee_agency_id", "due_on",
    "status", "completed_at", *STAMPS,
)  # fmt: skip
CHANGED_FIELDS = frozenset(MEETING) | frozenset(PARTICIPANT) | frozenset(AGENDA_ITEM) | frozenset(ACTION_ITEM)
MEETING_CHANGE = keys(
    "id", "meeting_id", "occurred_at", "action", "subject_type", "subject_id", "actor_kind",
    "actor_id", "actor_role", changes=Map(CHANGED_FIELDS, keys("old", "new")),
)  # fmt: skip

ALL_STATUSES = frozenset(Status)
# What a counterpart agency may count: the persons on their way home (see coordination.queries).
SHARED_STATUSES = frozenset({Status.awaiting_return, Status.repatriated, Status.handed_over})


def coordination(statuses: frozenset[str]) -> dict[str, Any]:
    return keys(
        "id", "site_id", "region_code", "province_code", "counterpart_agency_id", "status", "notes",
        "person_total", *STAMPS, person_counts=Map(statuses),
    )  # fmt: skip


CORRESPONDENCE = keys(
    "id", "coordination_id", "direction", "channel", "reference_number", "dated_on", "subject",
    "summary", *STAMPS,
)  # fmt: skip
CASE_PERSON = keys(
    "id", "registration_number", "full_name", "alias", "sex", "birth_date", "birth_year", "nik",
    "origin_region_code", "domicile_region_code", "identity_verified", "status", "status_changed_at",
    "repatriation_id",
)  # fmt: skip
REPATRIATION = keys(
    "id", "coordination_id", "region_code", "leg", "status", "planned_departure_on", "departed_at",
    "arrived_at", "transport_mode", "carrier", "booking_reference", "escort_agency_id", "cost_amount",
    "funding_source", "received_by_agency_id", "received_by_name", "handed_over_at",
    "handover_document_number", "cancelled_at", "cancel_reason", "members", "notes", *STAMPS,
)  # fmt: skip
MEMBER = keys("person_id", "registration_number", "status", "override_reason", "added_at")
ASSISTANCE = keys(
    "id", "person_id", "type", "amount", "funding_source", "program_id", "status", "paid_on",
    "reference", "notes", *STAMPS,
)  # fmt: skip
REFERRAL = keys("agency_id", "reason", "referred_at")
# `view` says which of the two a person read is (the document's discriminator): no personal data.
PERSON = keys(
    "view", "id", "registration_number", "site_id", "full_name", "alias", "sex", "birth_date",
    "birth_year", "nik", "nik_region_code", "kk_number", "phone", "domicile_address", "origin_region_code",
    "domicile_region_code", "identity_document", "identity_verified", "identity_verified_at",
    "identity_verified_by", "legal_basis", "consent_at", "status", "status_changed_at", "restricted",
    "erased", "notes", *STAMPS, "warnings", referrals=REFERRAL,
)  # fmt: skip
PARTNER_PERSON = keys(
    "view", "id", "registration_number", "site_id", "full_name", "alias", "sex", "birth_date",
    "birth_year", "nik", "origin_region_code", "domicile_region_code", "identity_verified", "status",
    "status_changed_at", "version", "updated_at", referral=REFERRAL,
)  # fmt: skip
PERSON_CHANGE = keys(
    "id", "occurred_at", "kind", "field", "old_value", "new_value", "reason", "occurred_on",
    "actor_kind", "actor_id", "source",
)  # fmt: skip
ACCESS_EVENT = keys(
    "id", "occurred_at", "actor_kind", "actor_id", "actor_role", "agency_id", "action", "resource_type",
    "resource_id", "person_ids", "request_id", "correlation_id", "client_ip", "peer_ip", "outcome",
    "status_code", "reason",
)  # fmt: skip
EXPLAINED: dict[str, Any] = keys("result", "fact", "op", "expected", "actual", "masked")
EXPLAINED |= {"all": EXPLAINED, "any": EXPLAINED, "not": EXPLAINED}  # the condition tree nests
EVALUATION = keys(
    "eligible", "person_id", "dry_run", "as_of", "evaluated_at",
    program=keys("id", "code", "name"), rule_set=keys("id", "version", "hash"), explanation=EXPLAINED,
)  # fmt: skip
DETERMINATION = keys(
    "run_id", "person_id", "program_id", "eligible", "as_of", "evaluated_at", "decided_by",
    rule_set=keys("id", "version", "hash"), facts=Map(frozenset(FACTS)),
)  # fmt: skip

STAFF_ROLES = ("admin", "officer")
# The readers of each kind of object (by the policy) and each one's allow-list.
READERS: dict[str, dict[str, Any]] = {
    "meeting": dict.fromkeys(("admin", "officer", "partner_b", "auditor", "viewer"), MEETING),
    "participant": dict.fromkeys(("admin", "officer", "partner_b", "auditor", "viewer"), PARTICIPANT),
    "agenda_item": dict.fromkeys(("admin", "officer", "partner_b", "auditor", "viewer"), AGENDA_ITEM),
    "action_item": dict.fromkeys(("admin", "officer", "partner_b", "auditor", "viewer"), ACTION_ITEM),
    "meeting_change": dict.fromkeys(("admin", "officer", "partner_b", "auditor", "viewer"), MEETING_CHANGE),
    "coordination": dict.fromkeys(("admin", "officer", "auditor"), coordination(ALL_STATUSES))
    | {"partner_b": coordination(SHARED_STATUSES)},
    "correspondence": dict.fromkeys(("admin", "officer", "partner_b", "auditor"), CORRESPONDENCE),
    "case_person": dict.fromkeys(("admin", "officer", "partner_b", "auditor"), CASE_PERSON),
    "repatriation": dict.fromkeys(("admin", "officer", "partner_b", "auditor"), REPATRIATION),
    "member": dict.fromkeys(("admin", "officer", "partner_b", "auditor"), MEMBER),
    "assistance": dict.fromkeys(("admin", "officer", "auditor"), ASSISTANCE),
    "person": dict.fromkeys(("admin", "officer", "auditor"), PERSON) | {"partner_b": PARTNER_PERSON},
    "person_change": dict.fromkeys(("admin", "officer", "auditor"), PERSON_CHANGE),
    "access_event": dict.fromkeys(("admin", "officer", "auditor"), ACCESS_EVENT),
    "evaluation": dict.fromkeys(("admin", "officer", "partner_b", "auditor"), EVALUATION),
    "determination": dict.fromkeys(("admin", "officer", "auditor"), DETERMINATION),
}
# Keys a partner may receive only as null: internal to the city.
NULL_FOR_PARTNERS = {"notes", "override_reason"}
# Keys that carry personal contact or identity data: never in a partner's answer.
PERSONAL_KEYS = {"phone", "kk_number", "domicile_address", "nik_region_code"}


def stray_keys(value: Any, spec: Any, where: str = "$") -> list[str]:
    """Every key of `value` (recursively) that `spec` does not allow, as a JSON path."""
    if isinstance(value, list):
        return [stray for i, item in enumerate(value) for stray in stray_keys(item, spec, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return []
    if spec is ANY:
        return [f"{where}: an object where a plain value is declared"]
    if isinstance(spec, Map):
        allowed, nested = spec.keys, lambda _: spec.value
    else:
        allowed, nested = spec.keys(), spec.get
    strays = [f"{where}.{key}" for key in value if key not in allowed]
    for key, item in value.items():
        if key in allowed:
            strays += stray_keys(item, nested(key), f"{where}.{key}")
    return strays


def walk(value: Any, where: str = "$"):  # a generator of (path, key, value)
    """Every (path, key, value) of a JSON document."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}", key, item
            yield from walk(item, f"{where}.{key}")


# --- the world ------------------------------------------------------------------------------

# Synthetic personal data of the person referred to agency B (serial 93xx: made up).
NIK = synthetic_nik(9311)
KK = "5371020101189311"
PHONE = "+62 812 0000 9311"
ADDRESS = "Jl. Uji Daftar No. 7, Kupang"
NOTES = "catatan petugas uji 9311"
OVERRIDE = "keluarga uji di Alor"
INTERNAL = "catatan internal kota uji"


async def _post(client, caller, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=caller.headers)
    assert response.status_code == status, response.text
    return response.json()


async def _world(client, callers: Callers) -> dict[str, Any]:
    """Agency B's meeting and coordination case, a person with every personal field, in a batch."""
    staff, a, b = callers.officer, callers.agency_a.id, callers.agency_b.id
    site = await make_site(client, callers)
    person = await verified_person(
        client,
        callers,
        site["id"],
        full_name="Warga Uji Daftar Izin",
        nik=NIK,
        kk_number=KK,
        phone=PHONE,
        domicile_address=ADDRESS,
        domicile_region_code="53.71",
        identity_document="ktp",
        identity_verified=True,
        notes=NOTES,
    )
    other = await verified_person(client, callers, site["id"], origin=ROTE, full_name="Warga Uji Rote")
    await refer(client, callers, person["id"], callers.agency_b)

    meeting = await create_meeting(client, staff.headers, b, title="Rakor Uji Izin", minutes="Notulen uji")
    own = await add_participant(client, staff.headers, meeting["id"], b, representative_name="Wakil Uji B")
    theirs = await add_participant(client, staff.headers, meeting["id"], a, representative_name="Wakil Uji A")
    meetings = f"{API}/meetings/{meeting['id']}"
    agenda = await _post(client, staff, f"{meetings}/agenda-items", {"title": "Agenda Uji", "public": False})
    action = await add_action_item(client, staff.headers, meeting["id"], b, agenda_item_id=agenda["id"])
    their_action = await add_action_item(client, staff.headers, meeting["id"], a, title="Tugas Uji A")

    case = await _post(
        client,
        staff,
        f"{API}/coordinations",
        {"site_id": site["id"], "region_code": ALOR, "counterpart_agency_id": str(b), "notes": INTERNAL},
    )
    letter = await _post(
        client,
        staff,
        f"{API}/coordinations/{case['id']}/correspondence",
        {"direction": "outgoing", "channel": "letter", "dated_on": "2018-10-31", "subject": "Surat Uji"},
    )
    batch = await make_batch(client, callers, case["id"], [person["id"]], notes=INTERNAL, carrier="KM Uji")
    await _post(
        client,
        staff,
        f"{API}/repatriations/{batch['id']}/members",
        {"person_id": other["id"], "override_reason": OVERRIDE},
    )
    aid = await _post(
        client,
        staff,
        f"{API}/persons/{person['id']}/assistance",
        {"type": "transport", "amount": 750_000, "funding_source": "apbd_kota", "notes": INTERNAL},
    )
    program, _ = await active_program(client, callers)
    await _post(client, staff, f"{API}/programs/{program['id']}/determinations", {})
    return {
        "site": site,
        "person": person,
        "other": other,
        "meeting": meeting,
        "own_participant": own,
        "their_participant": theirs,
        "agenda": agenda,
        "action": action,
        "their_action": their_action,
        "case": case,
        "letter": letter,
        "batch": batch,
        "assistance": aid,
        "program": program,
    }


def _reads(w: dict[str, Any], person_ref: str) -> list[tuple[str, str, bool]]:
    """(kind, url, is a list) of every read of the world's objects; `person_ref` as the caller names P."""
    meeting = f"{API}/meetings/{w['meeting']['id']}"
    case = f"{API}/coordinations/{w['case']['id']}"
    batch = f"{API}/repatriations/{w['batch']['id']}"
    program = f"{API}/programs/{w['program']['id']}"
    return [
        ("meeting", meeting, False),
        ("meeting", f"{API}/meetings", True),
        ("participant", f"{meeting}/participants/{w['own_participant']['id']}", False),
        ("participant", f"{meeting}/participants", True),
        ("agenda_item", f"{meeting}/agenda-items/{w['agenda']['id']}", False),
        ("agenda_item", f"{meeting}/agenda-items", True),
        ("action_item", f"{meeting}/action-items/{w['action']['id']}", False),
        ("action_item", f"{meeting}/action-items", True),
        ("action_item", f"{API}/action-items", True),
        ("meeting_change", f"{meeting}/history", True),
        ("coordination", case, False),
        ("coordination", f"{API}/coordinations", True),
        ("correspondence", f"{case}/correspondence/{w['letter']['id']}", False),
        ("correspondence", f"{case}/correspondence", True),
        ("case_person", f"{case}/persons/{person_ref}", False),
        ("case_person", f"{case}/persons", True),
        ("repatriation", batch, False),
        ("repatriation", f"{API}/repatriations", True),
        ("member", f"{batch}/members", True),
        ("assistance", f"{API}/assistance/{w['assistance']['id']}", False),
        ("assistance", f"{API}/assistance", True),
        ("assistance", f"{API}/persons/{person_ref}/assistance", True),
        ("person", f"{API}/persons/{person_ref}", False),
        ("person", f"{API}/persons", True),
        ("person_change", f"{API}/persons/{person_ref}/history", False),
        ("access_event", f"{API}/persons/{person_ref}/access-log", True),
        ("evaluation", f"{program}/eligibility/{person_ref}", False),
        ("determination", f"{program}/determinations", True),
    ]


def _person_ref(w: dict[str, Any], name: str, callers: Callers) -> str:
    """How `name` names the person P: partners by their agency's pseudonym."""
    real = uuid.UUID(w["person"]["id"])
    return str(pseudonym(real, callers.agency_b.id)) if name == "partner_b" else str(real)


# --- reading --------------------------------------------------------------------------------


async def test_every_role_reads_only_its_allow_list_of_each_object(client, callers):
    w = await _world(client, callers)
    strays: list[str] = []
    checked: dict[str, int] = {}
    for name in ("admin", "officer", "partner_b", "auditor", "viewer"):
        caller = getattr(callers, name)
        for kind, url, listed in _reads(w, _person_ref(w, name, callers)):
            spec = READERS[kind].get(name)
            if spec is None:
                continue  # not a reader of this kind: the authorization matrix checks the 403
            response = await client.get(url, headers=caller.headers)
            assert response.status_code == 200, f"{name} GET {url}: {response.text}"
            body = response.json()
            items = body["items"] if listed else body
            assert items, f"{name} GET {url} is empty: the check would be too"
            strays += [f"{name} GET {url}: {s}" for s in stray_keys(body, page(spec) if listed else spec)]
            checked[name] = checked.get(name, 0) + 1
    print(f"\nallow-list reads checked per role: {checked}, stray keys: {len(strays)}")
    assert checked == {"admin": 28, "officer": 28, "partner_b": 22, "auditor": 28, "viewer": 10}
    assert strays == []


# The kinds of object that show a registered person's own fields.
PERSON_KINDS = ("person", "case_person", "member")


def _unreadable(document: Any, role: Role, where: str = "$") -> list[str]:
    """Person fields holding a value the inventory does not let `role` read (nor read coarsened)."""
    found = []
    rows = document if isinstance(document, list) else [document]
    for i, row in enumerate(rows):
        for key, value in row.items():
            column = SOURCE_COLUMN.get(key, key)
            if value is None or column not in INVENTORY["persons"].columns or key == "id":
                continue
            if not (may_read("persons", column, role) or gets_coarse("persons", column, role)):
                found.append(f"{where}[{i}].{key}")
    return found


async def test_every_person_value_a_role_receives_is_one_the_inventory_lets_it_read(client, callers):
    """The allow-lists above, checked once more against the inventory itself (values, not keys)."""
    w = await _world(client, callers)
    problems, checked = [], 0
    for name in ("admin", "officer", "partner_b", "auditor"):
        role = Role.partner if name == "partner_b" else Role(name)
        for kind, url, listed in _reads(w, _person_ref(w, name, callers)):
            if kind not in PERSON_KINDS or name not in READERS[kind]:
                continue
            body = (await client.get(url, headers=getattr(callers, name).headers)).json()
            problems += [
                f"{name} GET {url}: {p}" for p in _unreadable(body["items"] if listed else body, role)
            ]
            checked += 1
    assert checked == 4 * 5
    assert problems == []


async def test_partners_get_no_personal_fields_and_only_pseudonymous_masked_persons(client, callers):
    w = await _world(client, callers)
    real_ids = {w["person"]["id"], w["other"]["id"]}
    pseudonyms = {str(pseudonym(uuid.UUID(i), callers.agency_b.id)) for i in real_ids}
    secrets = [NIK, KK, PHONE, ADDRESS, NOTES, OVERRIDE, INTERNAL, *real_ids]
    problems: list[str] = []
    seen_pseudonyms: set[str] = set()
    reads = 0
    for kind, url, _ in _reads(w, _person_ref(w, "partner_b", callers)):
        if "partner_b" not in READERS[kind]:
            continue
        response = await client.get(url, headers=callers.partner_b.headers)
        assert response.status_code == 200, f"GET {url}: {response.text}"
        reads += 1
        problems += [f"GET {url} shows {secret!r}" for secret in secrets if secret in response.text]
        for path, key, value in walk(response.json()):
            if key in PERSONAL_KEYS:
                problems.append(f"GET {url}: {path} is personal data")
            if key in NULL_FOR_PARTNERS and value is not None:
                problems.append(f"GET {url}: {path} = {value!r}, internal to the city")
            if key == "nik" and value is not None and not _masked(value):
                problems.append(f"GET {url}: {path} is not masked")
            if isinstance(value, str) and value in pseudonyms:
                seen_pseudonyms.add(value)
    print(f"\npartner reads checked: {reads}, problems: {len(problems)}")
    assert reads == 22
    # Both persons of the batch appear under B's pseudonyms (members, case persons, evaluation).
    assert seen_pseudonyms == pseudonyms
    assert problems == []


def _masked(value: str) -> bool:
    return len(value) == 16 and value[:12] == "*" * 12 and value[12:].isdigit()


async def test_auditors_never_get_a_plaintext_nik_or_kk(client, callers):
    w = await _world(client, callers)
    for kind, url, _ in _reads(w, w["person"]["id"]):
        if "auditor" not in READERS[kind]:
            continue
        response = await client.get(url, headers=callers.auditor.headers)
        assert response.status_code == 200, f"GET {url}: {response.text}"
        assert NIK not in response.text and KK not in response.text, url
    person = await client.get(f"{API}/persons/{w['person']['id']}", headers=callers.auditor.headers)
    assert person.json()["nik"] == "*" * 12 + NIK[-4:]
    assert person.json()["notes"] is None  # a caseworker's notes are for Dinas Sosial staff


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A write `caller` must not make: the expected status and the object (read by staff) it targets."""

    caller: str
    method: str
    url: str
    body: dict[str, Any]
    status: int
    witness: str  # the URL whose staff view must not change


def _attempts(w: dict[str, Any], callers: Callers) -> list[Attempt]:
    meeting = f"{API}/meetings/{w['meeting']['id']}"
    own = f"{meeting}/participants/{w['own_participant']['id']}"
    theirs = f"{meeting}/participants/{w['their_participant']['id']}"
    action = f"{meeting}/action-items/{w['action']['id']}"
    their_action = f"{meeting}/action-items/{w['their_action']['id']}"
    agenda = f"{meeting}/agenda-items/{w['agenda']['id']}"
    case = f"{API}/coordinations/{w['case']['id']}"
    letter = f"{case}/correspondence/{w['letter']['id']}"
    batch = f"{API}/repatriations/{w['batch']['id']}"
    aid = f"{API}/assistance/{w['assistance']['id']}"
    person = f"{API}/persons/{w['person']['id']}"
    as_partner = f"{API}/persons/{pseudonym(uuid.UUID(w['person']['id']), callers.agency_b.id)}"
    a, b = str(callers.agency_a.id), str(callers.agency_b.id)
    P, S = "partner_b", "officer"  # short names keep the table readable
    return [
        # Partner B's own participation: only response, attendance and representative.
        Attempt(P, "PATCH", own, {"agency_id": a}, 422, own),
        Attempt(P, "PATCH", own, {"meeting_id": w["meeting"]["id"]}, 422, own),
        Attempt(P, "PATCH", own, {"response": "confirmed", "version": 9}, 422, own),
        # Another agency's participation in B's own meeting.
        Attempt(P, "PATCH", theirs, {"response": "declined"}, 403, theirs),
        Attempt(P, "PATCH", theirs, {"representative_name": "Wakil Palsu"}, 403, theirs),
        # B's own action item: the status and nothing else, and never the server's fields.
        Attempt(P, "PATCH", action, {"title": "Diubah mitra"}, 403, action),
        Attempt(P, "PATCH", action, {"due_on": "2099-01-01"}, 403, action),
        Attempt(P, "PATCH", action, {"assignee_agency_id": a}, 403, action),
        Attempt(P, "PATCH", action, {"agenda_item_id": None}, 403, action),
        Attempt(P, "PATCH", action, {"status": "done", "description": "x"}, 403, action),
        Attempt(P, "PATCH", action, {"completed_at": "2018-11-01T00:00:00Z"}, 422, action),
        Attempt(P, "PATCH", their_action, {"status": "done"}, 403, their_action),
        # Objects a partner reads but never writes.
        Attempt(P, "PATCH", meeting, {"title": "Diubah mitra"}, 403, meeting),
        Attempt(P, "PATCH", agenda, {"outcome": "Diubah mitra"}, 403, agenda),
        Attempt(P, "PATCH", case, {"notes": "Diubah mitra"}, 403, case),
        Attempt(P, "PATCH", letter, {"subject": "Diubah mitra"}, 403, letter),
        Attempt(P, "PATCH", batch, {"carrier": "Diubah mitra"}, 403, batch),
        Attempt(P, "PATCH", as_partner, {"phone": "+62 812 0000 9399"}, 403, person),
        Attempt(P, "POST", f"{batch}/arrive", {"status": "handed_over"}, 422, batch),
        Attempt(
            P,
            "POST",
            f"{batch}/handover",
            {"received_by_agency_id": b, "received_by_name": "Uji", "document_number": "BA-1", "status": "x"},
            422,
            batch,
        ),
        # Auditors read everything and write nothing.
        Attempt("auditor", "PATCH", own, {"response": "declined"}, 403, own),
        Attempt("auditor", "PATCH", action, {"status": "done"}, 403, action),
        Attempt("auditor", "PATCH", person, {"alias": "Diubah auditor"}, 403, person),
        Attempt("auditor", "PATCH", aid, {"status": "cancelled"}, 403, aid),
        # Staff: fields that only the server sets, or that have their own action.
        Attempt(S, "PATCH", meeting, {"version": 7}, 422, meeting),
        Attempt(S, "PATCH", meeting, {"created_at": "2018-01-01T00:00:00Z"}, 422, meeting),
        Attempt(S, "PATCH", action, {"completed_at": "2018-11-01T00:00:00Z"}, 422, action),
        Attempt(S, "PATCH", action, {"meeting_id": str(uuid.uuid4())}, 422, action),
        Attempt(S, "PATCH", own, {"agency_id": a}, 422, own),
        Attempt(S, "PATCH", case, {"region_code": ROTE}, 422, case),
        Attempt(S, "PATCH", case, {"site_id": str(uuid.uuid4())}, 422, case),
        Attempt(S, "PATCH", batch, {"status": "handed_over"}, 422, batch),
        Attempt(S, "PATCH", batch, {"members": []}, 422, batch),
        Attempt(S, "PATCH", batch, {"coordination_id": str(uuid.uuid4())}, 422, batch),
        Attempt(S, "PATCH", batch, {"received_by_agency_id": b}, 422, batch),
        Attempt(S, "PATCH", aid, {"person_id": w["other"]["id"]}, 422, aid),
        Attempt(S, "PATCH", aid, {"type": "pem_fund"}, 422, aid),
        Attempt(S, "PATCH", person, {"status": "staying"}, 422, person),
        Attempt(S, "PATCH", person, {"registration_number": "KD-0000"}, 422, person),
        Attempt(S, "PATCH", person, {"restricted": True}, 422, person),
        Attempt(S, "PATCH", person, {"erased": True}, 422, person),
        Attempt(S, "PATCH", person, {"site_id": str(uuid.uuid4())}, 422, person),
    ]


async def _staff_view(client, callers: Callers, url: str) -> str:
    response = await client.get(url, headers=callers.admin.headers)
    assert response.status_code == 200, f"GET {url}: {response.text}"
    return response.text


async def test_fields_a_role_may_not_write_are_refused_and_change_nothing(client, callers):
    w = await _world(client, callers)
    attempts = _attempts(w, callers)
    witnesses = {attempt.witness for attempt in attempts} | {f"{API}/meetings/{w['meeting']['id']}/history"}
    before = {url: await _staff_view(client, callers, url) for url in sorted(witnesses)}
    wrong: list[str] = []
    for attempt in attempts:
        caller = getattr(callers, attempt.caller)
        headers = caller.headers | {"If-Match": '"1"'}
        response = await client.request(attempt.method, attempt.url, json=attempt.body, headers=headers)
        if response.status_code != attempt.status:
            wrong.append(f"{attempt}: {response.status_code} {response.text[:200]}")
    after = {url: await _staff_view(client, callers, url) for url in sorted(witnesses)}
    changed = [url for url in before if before[url] != after[url]]
    print(f"\nrefused writes: {len(attempts)}, wrong answers: {len(wrong)}, objects changed: {len(changed)}")
    assert wrong == []
    assert changed == []

    # The control: what a partner may change, it can (so the refusals above are about the fields).
    own = f"{API}/meetings/{w['meeting']['id']}/participants/{w['own_participant']['id']}"
    confirmed = await client.patch(
        own, json={"response": "confirmed"}, headers=callers.partner_b.headers | {"If-Match": '"1"'}
    )
    assert confirmed.status_code == 200, confirmed.text
    action = f"{API}/meetings/{w['meeting']['id']}/action-items/{w['action']['id']}"
    started = await client.patch(
        action, json={"status": "in_progress"}, headers=callers.partner_b.headers | {"If-Match": '"1"'}
    )
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_progress" and started.json()["title"] == w["action"]["title"]

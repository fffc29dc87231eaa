"""Examples of every request body (and of the main responses), from the seed story, in the document.

The story is the Pos Kupang report of 26 Oct 2018: the rakor of 30 Oct 2018 at Ruang Garuda, Balai
Kota Kupang, on closing Karang Dempel (145 persons), and the PEM fund for city residents. Persons
are synthetic (`Warga Contoh ...`, NIKs of Kota Kupang's non-existent district 99). Ids are
placeholders named in `REFS`: an example's `site_id` is the id the site of the `POST /sites`
example gets. The examples test (tests/contract/test_examples.py) sends each example in story
order, with those placeholders replaced by the ids created, and expects 2xx: an example that
stops working fails it.

Kept per operation, not per schema: one schema serves several operations (a restriction's reason
and an erasure's), and a generator shows a media type's examples next to the operation.
"""

import uuid
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from app.calendars.schemas import CalendarFeedCreated
from app.eligibility.schemas import RunRead
from app.meetings.schemas import MeetingRead
from app.persons import csv_io
from app.persons.schemas import ImportReport, PersonRead

API = "/api/v1"


def ref(name: str) -> str:
    """The placeholder id of the story's object `name` (a fixed, recognizable UUID)."""
    return str(uuid.UUID(f"00000000-0000-4000-8000-{REFS.index(name) + 1:012d}"))


# The story's objects, in the order they come up; each placeholder id is made from the position.
REFS = [
    "site", "dinsos", "dinsos_kab", "ngo", "user", "api_client", "meeting", "participant", "agenda_item",
    "action_item", "person", "imported_person", "coordination", "correspondence", "repatriation",
    "program", "rule_set", "assistance", "census", "change_request", "webhook",
]  # fmt: skip
# A token value an example names: the test puts a real one in its place.
ACCESS_TOKEN = "access-token-from-POST-auth-token"  # noqa: S105 - a placeholder
PASSWORD = "kata-sandi-contoh-2018-panjang"  # noqa: S105 - an example; no account has it
NEW_PASSWORD = "kata-sandi-contoh-2018-baru"  # noqa: S105 - likewise
# Synthetic NIK of a woman of Kota Kupang born 6 Sep 1988, issued in district 99, which the city
# does not have (it has six): it cannot be anyone's.
NIK = "5371994609889902"

PEM_RULE = {
    "all": [
        {"fact": "domicile_region_code", "op": "eq", "value": "53.71"},
        {"fact": "identity_verified", "op": "eq", "value": True},
        {"fact": "status", "op": "not_in", "value": ["not_located", "declined"]},
    ]
}

# (method, path) -> {media type: (summary, value)}
REQUEST_EXAMPLES: dict[tuple[str, str], dict[str, tuple[str, Any]]] = {}


def _body(method: str, path: str, summary: str, value: Any, media: str = "application/json") -> None:
    REQUEST_EXAMPLES.setdefault((method, API + path), {})[media] = (summary, value)


FORM = "application/x-www-form-urlencoded"

# --- identity -------------------------------------------------------------------------------------
_body(
    "POST",
    "/users",
    "An officer of Dinas Sosial",
    {
        "username": "petugas.contoh",
        "full_name": "Petugas Contoh Dinsos",
        "password": PASSWORD,
        "role": "officer",
    },
)
_body("PATCH", "/users/{user_id}", "Correct the name", {"full_name": "Petugas Contoh Dinas Sosial"})
_body(
    "POST",
    "/auth/token",
    "A person signs in (password grant)",
    {"grant_type": "password", "username": "petugas.contoh", "password": PASSWORD},
    FORM,
)
_body(
    "POST",
    "/me/password",
    "Change one's password",
    {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
)
_body("POST", "/auth/revoke", "Sign out: revoke a token (RFC 7009)", {"token": ACCESS_TOKEN}, FORM)
_body(
    "POST",
    "/api-clients",
    "The NGO's case-management system",
    {"name": "Sistem Kasus LSM Contoh", "role": "partner", "agency_id": ref("ngo")},
)
_body("PATCH", "/api-clients/{client_pk}", "Rename it", {"name": "Sistem Kasus LSM Contoh v2"})

# --- agencies and the site ------------------------------------------------------------------------
_body(
    "POST",
    "/agencies",
    "The city's social office",
    {
        "name": "Dinas Sosial Kota Kupang (Contoh)",
        "acronym": "Dinsos",
        "kind": "government",
        "region_code": "53.71",
    },
)
_body("PATCH", "/agencies/{agency_id}", "Add the office address", {"address": "Jl. Contoh No. 1, Kupang"})
_body(
    "POST",
    "/sites",
    "Karang Dempel, closure announced on 26 Oct 2018",
    {
        "name": "Karang Dempel",
        "code": "KD",
        "region_code": "53.71",
        "status": "closing",
        "closure_announced_on": "2018-10-26",
    },
)
_body(
    "PATCH",
    "/sites/{site_id}",
    "A note on the closure",
    {"notes": "Penutupan diumumkan Pemkot, 26 Okt 2018."},
)

# --- the rakor of 30 Oct 2018 ---------------------------------------------------------------------
_body(
    "POST",
    "/meetings",
    "The rakor of 30 Oct 2018 at Ruang Garuda",
    {
        "kind": "coordination",
        "title": "Rapat koordinasi penutupan lokalisasi Karang Dempel",
        "starts_at": "2018-10-30T09:00:00+08:00",
        "ends_at": "2018-10-30T12:00:00+08:00",
        "timezone": "Asia/Makassar",
        "location": "Ruang Garuda, Balai Kota Kupang",
        "organizer_agency_id": ref("dinsos"),
        "site_id": ref("site"),
    },
)
_body(
    "PATCH",
    "/meetings/{meeting_id}",
    "Held, with minutes",
    {"status": "held", "minutes": "Penutupan disepakati; dana PEM hanya untuk warga Kota Kupang."},
)
_body(
    "POST",
    "/meetings/{meeting_id}/participants",
    "The NGO is invited",
    {"agency_id": ref("ngo"), "response": "confirmed"},
)
_body(
    "PATCH",
    "/meetings/{meeting_id}/participants/{participant_id}",
    "It attended",
    {"attended": True, "representative_title": "Koordinator lapangan"},
)
_body(
    "POST",
    "/meetings/{meeting_id}/agenda-items",
    "The PEM fund on the agenda",
    {"title": "Dana PEM bagi warga Kota Kupang"},
)
_body(
    "PATCH",
    "/meetings/{meeting_id}/agenda-items/{item_id}",
    "Its outcome",
    {"outcome": "Dana PEM hanya untuk warga kota; identitas diperiksa."},
)
_body(
    "POST",
    "/meetings/{meeting_id}/action-items",
    "The NGO accompanies the persons until they go home",
    {
        "title": "Pendampingan warga menjelang pemulangan",
        "assignee_agency_id": ref("ngo"),
        "due_on": "2018-11-30",
        "agenda_item_id": ref("agenda_item"),
    },
)
_body("PATCH", "/meetings/{meeting_id}/action-items/{item_id}", "Under way", {"status": "in_progress"})
_body("POST", "/calendar-feeds", "Subscribe a phone's calendar", {"name": "Rapat Dinsos di ponsel"})

# --- persons --------------------------------------------------------------------------------------
_body(
    "POST",
    "/persons",
    "A city resident with a checked KTP (synthetic)",
    {
        "site_id": ref("site"),
        "full_name": "Warga Contoh Dua",
        "alias": "Contoh-02",
        "sex": "female",
        "birth_date": "1988-09-06",
        "nik": NIK,
        "origin_region_code": "53.01",
        "domicile_region_code": "53.71",
        "identity_document": "ktp",
        "identity_verified": True,
        "legal_basis": "public_task",
    },
)
_body(
    "POST",
    "/persons/import",
    "The template: every column, one synthetic person",
    csv_io.template().lstrip("\ufeff"),
    "text/csv",
)
_body(
    "POST",
    "/persons/search",
    "City residents with a checked identity",
    {"domicile_region_code": "53.71", "identity_verified": True},
)
_body(
    "POST",
    "/export-requests",
    "The site's persons with plain NIK, for the region-of-origin letters (X-Purpose: legal_obligation)",
    {"site_id": ref("site")},
)
_body("PATCH", "/persons/{person_id}", "Correct the alias", {"alias": "Contoh-02b"})
_body(
    "POST",
    "/persons/{person_id}/status-changes",
    "Identity checked at the census",
    {"to_status": "verified", "reason": "KTP diperiksa saat pendataan awal", "occurred_on": "2018-10-30"},
)
_body(
    "POST",
    "/persons/{person_id}/referrals",
    "Referred to the NGO for support",
    {"agency_id": ref("ngo"), "reason": "pendampingan menjelang pemulangan"},
)
_body(
    "POST",
    "/persons/{person_id}/change-requests",
    "The NGO corrects an alias it knows better",
    {"kind": "correction", "payload": {"alias": "Contoh-02c"}, "note": "Nama panggilan menurut pendamping."},
)
_body("POST", "/change-requests/{request_id}/approve", "Approved", {"reason": "Sesuai catatan pendamping."})
_body("POST", "/change-requests/{request_id}/reject", "Rejected", {"reason": "Tidak sesuai KTP."})
_body(
    "POST",
    "/persons/{person_id}/restriction",
    "The person objects to processing",
    {"reason": "Permintaan pembatasan dari yang bersangkutan"},
)
_body(
    "POST",
    "/persons/{person_id}/erasure",
    "The person asks for erasure",
    {"reason": "Permintaan penghapusan dari yang bersangkutan"},
)

# --- censuses -------------------------------------------------------------------------------------
_body(
    "POST",
    "/sites/{site_id}/censuses",
    "The first count, on the day of the rakor",
    {"name": "Pendataan awal", "held_on": "2018-10-30", "meeting_id": ref("meeting")},
)
_body(
    "POST",
    "/sites/{site_id}/censuses/{census_id}/observations",
    "Who was found",
    {"observations": [{"person_id": ref("person"), "presence": "present"}]},
)

# --- coordination with the region of origin, and the journey home ---------------------------------
_body(
    "POST",
    "/coordinations",
    "Kabupaten Kupang's case",
    {"site_id": ref("site"), "region_code": "53.01", "counterpart_agency_id": ref("dinsos_kab")},
)
_body("POST", "/coordinations/generate", "A case per region of origin", {"site_id": ref("site")})
_body("PATCH", "/coordinations/{coordination_id}", "A note", {"notes": "Kontak: bidang rehabilitasi sosial."})
_body(
    "POST",
    "/coordinations/{coordination_id}/correspondence",
    "The outgoing letter (the case becomes contacted)",
    {
        "direction": "outgoing",
        "channel": "letter",
        "reference_number": "460/CONTOH/DINSOS/XI/2018",
        "dated_on": "2018-11-08",
        "subject": "Koordinasi pemulangan warga asal Kabupaten Kupang",
    },
)
_body(
    "PATCH",
    "/coordinations/{coordination_id}/correspondence/{correspondence_id}",
    "Its summary",
    {"summary": "Mohon penjemputan di Kupang."},
)
_body(
    "POST",
    "/repatriations",
    "A batch home by land",
    {
        "coordination_id": ref("coordination"),
        "leg": "direct",
        "planned_departure_on": "2018-11-20",
        "transport_mode": "land",
        "funding_source": "apbd_kota",
        "escort_agency_id": ref("dinsos"),
        "members": [ref("person")],
    },
)
_body("POST", "/repatriations/{repatriation_id}/cancel", "Cancelled", {"reason": "Jadwal kendaraan berubah."})
_body("PATCH", "/repatriations/{repatriation_id}", "The carrier", {"carrier": "Bus Contoh Kupang"})
_body(
    "POST",
    "/repatriations/{repatriation_id}/members",
    "One more traveller",
    {"person_id": ref("imported_person")},
)
_body(
    "POST",
    "/repatriations/{repatriation_id}/depart",
    "Left Kupang",
    {"departed_at": "2018-11-20T07:00:00+08:00"},
)
_body(
    "POST", "/repatriations/{repatriation_id}/arrive", "Arrived", {"arrived_at": "2018-11-20T10:00:00+08:00"}
)
_body(
    "POST",
    "/repatriations/{repatriation_id}/handover",
    "Handed over with the berita acara",
    {
        "received_by_agency_id": ref("dinsos_kab"),
        "received_by_name": "Petugas Contoh Kabupaten",
        "handed_over_at": "2018-11-20T11:00:00+08:00",
        "document_number": "BA/CONTOH/2018/001",
    },
)

# --- the PEM fund ---------------------------------------------------------------------------------
_body(
    "POST",
    "/programs",
    "The PEM fund",
    {
        "code": "PEM",
        "name": "Dana Pemberdayaan Ekonomi Masyarakat (PEM) Kota Kupang",
        "benefit_kind": "grant",
        "funding_source": "APBD Kota Kupang",
    },
)
_body("PATCH", "/programs/{program_id}", "Its description", {"description": "Hanya untuk warga Kota Kupang."})
_body(
    "POST",
    "/programs/{program_id}/rule-sets",
    "City residents with a checked identity",
    {
        "effective_from": "2018-10-26",
        "reference": "Dana PEM: hanya untuk warga Kota Kupang",
        "rule": PEM_RULE,
    },
)
_body(
    "PATCH",
    "/programs/{program_id}/rule-sets/{rule_set_id}",
    "A note on the draft",
    {"note": "Domisili menurut KTP/KK, bukan digit NIK."},
)
_body("POST", "/programs/{program_id}/rule-sets/{rule_set_id}/simulate", "Today, every site", {})
_body("POST", "/programs/{program_id}/determinations", "Record today's decisions", {"site_id": ref("site")})
_body(
    "POST",
    "/persons/{person_id}/assistance",
    "The PEM grant paid",
    {
        "type": "pem_fund",
        "amount": 5_000_000,
        "funding_source": "apbd_kota",
        "program_id": ref("program"),
        "status": "paid",
        "paid_on": "2018-12-03",
    },
)
_body("PATCH", "/assistance/{assistance_id}", "Its transfer reference", {"reference": "TRF/CONTOH/2018/001"})

# --- webhooks -------------------------------------------------------------------------------------
_body(
    "POST",
    "/webhooks",
    "The NGO's system hears of status changes",
    {
        "url": "https://partner.example/hooks/reintegrasi",
        "event_types": ["person.status_changed", "person.referred", "meeting.created"],
        "agency_id": ref("ngo"),
    },
)
_body("PATCH", "/webhooks/{webhook_id}", "Paused", {"active": False})


# --- the main responses ----------------------------------------------------------------------------
# (method, path, status) -> (summary, model, value); the examples test checks each against its model
# and against the keys of the real answer.
RESPONSE_EXAMPLES: dict[tuple[str, str, str], tuple[str, type[BaseModel], dict[str, Any]]] = {}

_AT = "2018-10-30T02:15:00Z"
RESPONSE_EXAMPLES[("POST", f"{API}/persons", "201")] = (
    "The registered person, as Dinas Sosial staff see it",
    PersonRead,
    {
        "id": ref("person"),
        "registration_number": "KD-0001",
        "site_id": ref("site"),
        "full_name": "Warga Contoh Dua",
        "alias": "Contoh-02",
        "sex": "female",
        "birth_date": "1988-09-06",
        "birth_year": 1988,
        "nik": NIK,
        "nik_region_code": "53.71",
        "kk_number": None,
        "phone": None,
        "domicile_address": None,
        "origin_region_code": "53.01",
        "domicile_region_code": "53.71",
        "identity_document": "ktp",
        "identity_verified": True,
        "identity_verified_at": _AT,
        "identity_verified_by": ref("user"),
        "legal_basis": "public_task",
        "consent_at": None,
        "status": "registered",
        "status_changed_at": _AT,
        "restricted": False,
        "erased": False,
        "referrals": [],
        "notes": None,
        "version": 1,
        "created_at": _AT,
        "updated_at": _AT,
        "warnings": [],
    },
)
RESPONSE_EXAMPLES[("POST", f"{API}/persons/import", "200")] = (
    "Two rows imported: who was created, by row",
    ImportReport,
    {
        "dry_run": False,
        "rows": 2,
        "created": 2,
        "persons": [
            {"row": 2, "id": ref("imported_person"), "registration_number": "KD-0002"},
            {"row": 3, "id": "00000000-0000-4000-8000-000000000099", "registration_number": "KD-0003"},
        ],
        "persons_truncated": False,
        "errors": [],
    },
)
RESPONSE_EXAMPLES[("POST", f"{API}/meetings", "201")] = (
    "The rakor, in its own timezone (WITA)",
    MeetingRead,
    {
        "id": ref("meeting"),
        "kind": "coordination",
        "title": "Rapat koordinasi penutupan lokalisasi Karang Dempel",
        "description": None,
        "site_id": ref("site"),
        "starts_at": "2018-10-30T09:00:00+08:00",
        "ends_at": "2018-10-30T12:00:00+08:00",
        "timezone": "Asia/Makassar",
        "location": "Ruang Garuda, Balai Kota Kupang",
        "organizer_agency_id": ref("dinsos"),
        "status": "planned",
        "minutes": None,
        "version": 1,
        "created_at": "2018-10-29T01:00:00Z",
        "updated_at": "2018-10-29T01:00:00Z",
    },
)
RESPONSE_EXAMPLES[("POST", f"{API}/calendar-feeds", "201")] = (
    "The feed URL, shown this once",
    CalendarFeedCreated,
    {
        "id": "00000000-0000-4000-8000-000000000098",
        "user_id": ref("user"),
        "agency_id": ref("ngo"),
        "name": "Rapat Dinsos di ponsel",
        "created_at": _AT,
        "revoked_at": None,
        "url": "https://reintegrasi.example/api/v1/calendar-feeds/3q2-example-secret-token/meetings.ics",
    },
)
RESPONSE_EXAMPLES[("POST", f"{API}/programs/{{program_id}}/determinations", "201")] = (
    "The first run: nothing to compare with, so no changes counted",
    RunRead,
    {
        "id": "00000000-0000-4000-8000-000000000097",
        "number": 1,
        "program_id": ref("program"),
        "rule_set": {"id": ref("rule_set"), "version": 1, "hash": "5f0c" + "0" * 60},
        "as_of": "2018-12-01",
        "site_id": ref("site"),
        "evaluated_at": "2018-12-01T01:00:00Z",
        "decided_by": ref("user"),
        "previous_run_id": None,
        "total": 145,
        "eligible": 3,
        "ineligible": 142,
        "became_eligible": 0,
        "became_ineligible": 0,
        "became_eligible_ids": None,
        "became_ineligible_ids": None,
        "ids_truncated": False,
    },
)


# The import's 422: its errors name a row and a column (the test of the import checks it is real).
IMPORT_REJECTED_EXAMPLE = {
    "type": "/problems/import-rejected",
    "title": "Import rejected",
    "status": 422,
    "detail": "2 error(s) in 145 row(s); nothing was written.",
    "errors": [
        {"row": 12, "column": "nik", "message": "Value error, the serial part may not be 0000"},
        {"row": 40, "column": "legal_basis", "message": "Field required"},
    ],
    "error_count": 2,
}


def install_examples(app: FastAPI) -> None:
    """Put the examples into the app's OpenAPI document, per operation and media type."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for (method, path), media in REQUEST_EXAMPLES.items():
                content = schema["paths"][path][method.lower()]["requestBody"]["content"]
                for media_type, (summary, value) in media.items():
                    content[media_type]["examples"] = {"seed": {"summary": summary, "value": value}}
            for (method, path, status), (summary, _, value) in RESPONSE_EXAMPLES.items():
                content = schema["paths"][path][method.lower()]["responses"][status]["content"]
                content["application/json"]["examples"] = {"seed": {"summary": summary, "value": value}}
            rejected = schema["paths"][f"{API}/persons/import"]["post"]["responses"]["422"]["content"]
            rejected["application/problem+json"]["example"] = IMPORT_REJECTED_EXAMPLE
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Examples of persons: registration, import, search, export, referral, change requests, erasure."""

import hashlib
from typing import Any

from pydantic import BaseModel

from app.apidocs.examples.story import API, AT, NIK, body, ref
from app.persons import csv_io
from app.persons.schemas import ImportReport, PersonRead

# The import example's file, whose SHA-256 an import request names (a dry run reports it).
TEMPLATE = csv_io.template().lstrip("\ufeff")
TEMPLATE_SHA256 = hashlib.sha256(TEMPLATE.encode()).hexdigest()

REQUESTS = [
    body(
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
    ),
    body(
        "POST",
        "/persons/import",
        "The template: every column, one synthetic person",
        TEMPLATE,
        "text/csv",
    ),
    body(
        "POST",
        "/persons/search",
        "City residents with a checked identity",
        {"domicile_region_code": "53.71", "identity_verified": True},
    ),
    body(
        "POST",
        "/export-requests",
        "The site's persons with plain NIK, for the region-of-origin letters (X-Purpose: legal_obligation)",
        {"site_id": ref("site")},
    ),
    body(
        "POST",
        "/import-requests",
        "The template file, with NIK, into the site: approved by another officer, then imported once",
        {"site_id": ref("site"), "file_sha256": TEMPLATE_SHA256, "rows": 1},
    ),
    body("PATCH", "/persons/{person_id}", "Correct the alias", {"alias": "Contoh-02b"}),
    body(
        "POST",
        "/persons/{person_id}/status-changes",
        "Identity checked at the census",
        {"to_status": "verified", "reason": "KTP diperiksa saat pendataan awal", "occurred_on": "2018-10-30"},
    ),
    body(
        "POST",
        "/persons/{person_id}/referrals",
        "Referred to the NGO for support",
        {"agency_id": ref("ngo"), "reason": "pendampingan menjelang pemulangan"},
    ),
    body(
        "POST",
        "/persons/{person_id}/change-requests",
        "The NGO corrects an alias it knows better",
        {
            "kind": "correction",
            "payload": {"alias": "Contoh-02c"},
            "note": "Nama panggilan menurut pendamping.",
        },
    ),
    body(
        "POST", "/change-requests/{request_id}/approve", "Approved", {"reason": "Sesuai catatan pendamping."}
    ),
    body("POST", "/change-requests/{request_id}/reject", "Rejected", {"reason": "Tidak sesuai KTP."}),
    body(
        "POST",
        "/persons/{person_id}/restriction",
        "The person objects to processing",
        {"reason": "Permintaan pembatasan dari yang bersangkutan"},
    ),
    body(
        "POST",
        "/persons/{person_id}/erasure",
        "The person asks for erasure",
        {"reason": "Permintaan penghapusan dari yang bersangkutan"},
    ),
]


# (method, path, status) -> (summary, model, value)
RESPONSES: dict[tuple[str, str, str], tuple[str, type[BaseModel], dict[str, Any]]] = {
    ("POST", f"{API}/persons", "201"): (
        "The registered person, as Dinas Sosial staff see it",
        PersonRead,
        {
            "view": "staff",
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
            "identity_verified_at": AT,
            "identity_verified_by": ref("user"),
            "legal_basis": "public_task",
            "consent_at": None,
            "status": "registered",
            "status_changed_at": AT,
            "restricted": False,
            "erased": False,
            "referrals": [],
            "notes": None,
            "version": 1,
            "created_at": AT,
            "updated_at": AT,
            "warnings": [],
        },
    ),
    ("POST", f"{API}/persons/import", "200"): (
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
            "file_sha256": "9f2c6d1e4b7a08355e0c1f3a6b9d2e4f7a1c3e5b8d0f2a4c6e8b1d3f5a7c9e0b",
        },
    ),
}


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

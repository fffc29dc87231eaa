"""Examples of the PEM fund: the program, its rule set, determinations and assistance paid."""

from typing import Any

from pydantic import BaseModel

from app.apidocs.examples.story import API, body, ref
from app.eligibility.schemas import RunRead

PEM_RULE = {
    "all": [
        {"fact": "domicile_region_code", "op": "eq", "value": "53.71"},
        {"fact": "identity_verified", "op": "eq", "value": True},
        {"fact": "status", "op": "not_in", "value": ["not_located", "declined"]},
    ]
}

REQUESTS = [
    body(
        "POST",
        "/programs",
        "The PEM fund",
        {
            "code": "PEM",
            "name": "Dana Pemberdayaan Ekonomi Masyarakat (PEM) Kota Kupang",
            "benefit_kind": "grant",
            "funding_source": "APBD Kota Kupang",
        },
    ),
    body(
        "PATCH",
        "/programs/{program_id}",
        "Its description",
        {"description": "Hanya untuk warga Kota Kupang."},
    ),
    body(
        "POST",
        "/programs/{program_id}/rule-sets",
        "City residents with a checked identity",
        {
            "effective_from": "2018-10-26",
            "reference": "Dana PEM: hanya untuk warga Kota Kupang",
            "rule": PEM_RULE,
        },
    ),
    body(
        "PATCH",
        "/programs/{program_id}/rule-sets/{rule_set_id}",
        "A note on the draft",
        {"note": "Domisili menurut KTP/KK, bukan digit NIK."},
    ),
    body("POST", "/programs/{program_id}/rule-sets/{rule_set_id}/simulate", "Today, every site", {}),
    body(
        "POST", "/programs/{program_id}/determinations", "Record today's decisions", {"site_id": ref("site")}
    ),
    body(
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
    ),
    body(
        "PATCH", "/assistance/{assistance_id}", "Its transfer reference", {"reference": "TRF/CONTOH/2018/001"}
    ),
]


# (method, path, status) -> (summary, model, value)
RESPONSES: dict[tuple[str, str, str], tuple[str, type[BaseModel], dict[str, Any]]] = {
    ("POST", f"{API}/programs/{{program_id}}/determinations", "201"): (
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
    ),
}

"""Synthetic persons for the registry tests. Every NIK here is made up (serials 9xxx)."""

import uuid
from typing import Any

from tests.factories import Callers

# Synthetic NIKs: province 53 (NTT) / 53.71; woman born 1995-04-12 (day + 40 = 52), serial 9001.
NIK_WOMAN_KUPANG = "5371025204959001"
NIK_MAN_ALOR = "5305011708909002"


async def make_site(client, callers: Callers, code: str = "KD") -> dict[str, Any]:
    body = {"name": "Karang Dempel (uji)", "code": code, "region_code": "53.71", "status": "closing"}
    response = await client.post("/api/v1/sites", json=body, headers=callers.officer.headers)
    assert response.status_code == 201, response.text
    return response.json()


def person_body(site_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "site_id": site_id,
        "full_name": f"Warga Uji {uuid.uuid4().hex[:6]}",
        "alias": "Uji",
        "sex": "female",
        "birth_date": "1995-04-12",
        "origin_region_code": "53.01",
        "domicile_region_code": "53.71",
        "legal_basis": "public_task",
    }
    body.update(overrides)
    return body


async def make_person(client, callers: Callers, site_id: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/persons", json=person_body(site_id, **overrides), headers=callers.officer.headers
    )
    assert response.status_code == 201, response.text
    return response.json()

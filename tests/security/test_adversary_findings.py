"""What the adversary of the privacy change found (run against a live server), held by tests.

Each test is one break: an erased person restricted again with a free-text reason; an erasure
shown by "[erased]" appearing in an empty field; a NIK in the URL under another spelling; hidden
characters in names; a viewer's and a partner's tables differenced against each other.
"""

import uuid

import pytest
from sqlalchemy import select

from app.coordination.models import Repatriation
from tests.coordination.helpers import make_batch, make_case, verified_person
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, post_csv, refer

API = "/api/v1"
ADMIN_PURPOSE = {"X-Purpose": "data_subject_request"}


async def _erase(client, callers, person_id: str) -> None:
    headers = callers.admin.headers | ADMIN_PURPOSE
    response = await client.post(f"{PERSONS}/{person_id}/erasure", json={"reason": "uji"}, headers=headers)
    assert response.status_code == 200, response.text


async def test_an_erased_person_cannot_be_restricted_or_lifted_again(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    await _erase(client, callers, person["id"])
    headers = callers.officer.headers | {"X-Purpose": "restriction_review"}
    body = {"reason": "Warga Uji Zeta dipindahkan"}
    restrict = await client.post(f"{PERSONS}/{person['id']}/restriction", json=body, headers=headers)
    assert restrict.status_code == 409, restrict.text
    lift = await client.delete(f"{PERSONS}/{person['id']}/restriction", headers=headers)
    assert lift.status_code == 409, lift.text
    history = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.officer.headers)
    assert "Zeta" not in history.text


async def test_erasure_marks_only_free_text_that_was_written(app, client, callers):
    site = await make_site(client, callers)
    person = await verified_person(client, callers, site["id"])
    case = await make_case(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [person["id"]])
    await _erase(client, callers, person["id"])
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(Repatriation).where(Repatriation.id == uuid.UUID(batch["id"])))
    # An empty field that became "[erased]" would tell a batch's counterpart that someone was erased.
    assert (row.cancel_reason, row.notes) == (None, None)


@pytest.mark.parametrize(
    "query",
    ["NIK=5371025204959001", "Nik=5371025204959001", "nik%00=5371025204959001", "q=5371025204959001"],
)
async def test_a_nik_in_the_url_is_refused_whatever_its_spelling(client, callers, query):
    response = await client.get(f"{PERSONS}?{query}", headers=callers.officer.headers)
    assert response.status_code == 400, response.text
    assert "POST /api/v1/persons/search" in response.json()["detail"]


@pytest.mark.parametrize(
    "name",
    ["Warga\u200bUji", "\u200fWarga\u200e Uji", "Warga Uji\u061c", "Warga\u00adUji", "\ufeffWarga",
     "Warga\u3164Uji", "Warga\U000e0041Uji", "Warga\ufff9Uji"],
)  # fmt: skip
async def test_hidden_characters_are_refused_in_names(client, callers, name):
    site = await make_site(client, callers)
    response = await client.post(
        PERSONS,
        json={"site_id": site["id"], "full_name": name, "legal_basis": "public_task"},
        headers=callers.officer.headers,
    )
    assert response.status_code == 422, response.text
    notes = await client.post(
        PERSONS,
        json={"site_id": site["id"], "full_name": "Warga Uji", "legal_basis": "public_task", "notes": name},
        headers=callers.officer.headers,
    )
    assert notes.status_code == 422, notes.text


async def test_viewers_and_partners_get_one_pattern_of_hidden_cells(client, callers):
    """A viewer's table minus a partner's (who knows its referrals) must not give a hidden cell."""
    site = await make_site(client, callers)
    rows = ["full_name,legal_basis,origin_region_code,sex,domicile_region_code"]
    rows += [f"Warga Uji {n},public_task,53.71,female,53.71" for n in range(25)]
    rows += [f"Warga Uji A{n},public_task,53.05,female,53.71" for n in range(7)]
    rows += [f"Warga Uji L{n},public_task,53.71,male,53.71" for n in range(2)]
    response = await post_csv(client, callers, site["id"], ("\n".join(rows) + "\n").encode())
    assert response.status_code == 200, response.text
    listed = await client.get(PERSONS, params={"limit": 200}, headers=callers.officer.headers)
    # Partner A knows 3 of the 7 persons from Alor: 4 unknown to it, below the threshold.
    alor = [p for p in listed.json()["items"] if p["origin_region_code"] == "53.05"]
    for person in alor[:3]:
        await refer(client, callers, person["id"], callers.agency_a)
    tables = []
    for caller in (callers.viewer, callers.partner_a, callers.partner_b):
        stats = await client.get(f"{API}/stats/persons", headers=caller.headers)
        assert stats.status_code == 200, stats.text
        body = stats.json()
        tables.append({k: v for k, v in body.items() if k != "suppression_threshold"})
    assert tables[0] == tables[1] == tables[2]

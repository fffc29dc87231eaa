"""Coordination cases: generation from a site's persons, rules of a case, summary, correspondence."""

import uuid

from tests.coordination.helpers import (
    ALOR,
    ROTE,
    SURABAYA,
    make_case,
    make_counterpart,
    make_person,
    make_site,
    set_status,
    verified_person,
)
from tests.factories import make_agency

BASE = "/api/v1/coordinations"


async def test_generate_creates_one_case_per_origin_regency_and_is_idempotent(client, callers):
    site = await make_site(client, callers)
    other_site = await make_site(client, callers, code="KX")
    for origin in (ALOR, ALOR, ROTE, SURABAYA):
        await make_person(client, callers, site["id"], origin_region_code=origin)
    await make_person(client, callers, site["id"], origin_region_code=None)
    await make_person(client, callers, other_site["id"], origin_region_code="53.02")
    existing = await make_case(client, callers, site["id"], ROTE)

    first = await client.post(
        f"{BASE}/generate", json={"site_id": site["id"]}, headers=callers.officer.headers
    )
    assert first.status_code == 200, first.text
    created = first.json()["created"]
    assert [c["region_code"] for c in created] == [SURABAYA, ALOR]  # sorted by code: 35.78, 53.05
    assert first.json()["existing"] == 1
    alor = next(c for c in created if c["region_code"] == ALOR)
    assert (alor["status"], alor["site_id"], alor["province_code"]) == ("open", site["id"], "53")
    assert alor["person_total"] == 2
    assert alor["person_counts"]["registered"] == 2
    assert set(alor["person_counts"]) >= {"registered", "verified", "awaiting_return", "staying"}

    again = await client.post(
        f"{BASE}/generate", json={"site_id": site["id"]}, headers=callers.officer.headers
    )
    assert again.status_code == 200
    assert again.json() == {"created": [], "existing": 3}
    listing = (await client.get(BASE, params={"site_id": site["id"]}, headers=callers.officer.headers)).json()
    assert sorted(c["region_code"] for c in listing["items"]) == [SURABAYA, ALOR, ROTE]
    assert existing["id"] in {c["id"] for c in listing["items"]}

    unknown = await client.post(
        f"{BASE}/generate", json={"site_id": str(uuid.uuid4())}, headers=callers.officer.headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "site_id"]


async def test_generate_replays_with_an_idempotency_key(client, callers):
    site = await make_site(client, callers)
    await make_person(client, callers, site["id"], origin_region_code=ALOR)
    headers = {**callers.officer.headers, "Idempotency-Key": "gen-uji-1"}
    first = await client.post(f"{BASE}/generate", json={"site_id": site["id"]}, headers=headers)
    replay = await client.post(f"{BASE}/generate", json={"site_id": site["id"]}, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert len(first.json()["created"]) == 1
    # No stored body: the replay reads the site's cases (the one created), not a second run.
    assert [c["id"] for c in replay.json()["items"]] == [first.json()["created"][0]["id"]]


async def test_a_case_needs_a_regency_a_known_site_and_a_counterpart_of_its_province(
    client, callers, session
):
    site = await make_site(client, callers)
    province = await client.post(
        BASE, json={"site_id": site["id"], "region_code": "53"}, headers=callers.officer.headers
    )
    assert province.status_code == 422
    assert province.json()["errors"] == [
        {"loc": ["body", "region_code"], "msg": "must be a regency, not a province"}
    ]
    for body, loc in (
        ({"site_id": site["id"], "region_code": "99.99"}, ["body", "region_code"]),
        ({"site_id": site["id"], "region_code": "abc"}, ["body", "region_code"]),
        ({"site_id": str(uuid.uuid4()), "region_code": ALOR}, ["body", "site_id"]),
        (
            {"site_id": site["id"], "region_code": ALOR, "counterpart_agency_id": str(uuid.uuid4())},
            ["body", "counterpart_agency_id"],
        ),
        ({"site_id": site["id"], "region_code": ALOR, "status": "done"}, ["body", "status"]),
        ({"site_id": site["id"], "region_code": ALOR, "owner": "x"}, ["body", "owner"]),
    ):
        response = await client.post(BASE, json=body, headers=callers.officer.headers)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["loc"] == loc
    java = await make_agency(session, "Dinas Sosial Uji Jawa Timur", "government", "35")
    await session.commit()
    wrong_province = await client.post(
        BASE,
        json={"site_id": site["id"], "region_code": ALOR, "counterpart_agency_id": str(java.id)},
        headers=callers.officer.headers,
    )
    assert wrong_province.status_code == 422
    assert "province 53" in wrong_province.json()["errors"][0]["msg"]
    assert (await client.get(BASE, headers=callers.officer.headers)).json()["items"] == []

    provincial = await make_counterpart(session, "53")  # the province's office may be the counterpart
    case = await make_case(client, callers, site["id"], "5305", provincial.agency_id)  # undotted input
    assert case["region_code"] == ALOR
    duplicate = await client.post(
        BASE, json={"site_id": site["id"], "region_code": ALOR}, headers=callers.officer.headers
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["type"] == "/problems/duplicate-coordination"


async def test_case_status_changes_with_if_match_along_its_lifecycle(client, callers):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    url = f"{BASE}/{case['id']}"
    assert (
        await client.patch(url, json={"status": "contacted"}, headers=callers.officer.headers)
    ).status_code == 428
    stale = await client.patch(
        url, json={"status": "contacted"}, headers={**callers.officer.headers, "If-Match": '"7"'}
    )
    assert stale.status_code == 412

    current = await client.get(url, headers=callers.officer.headers)
    contacted = await client.patch(
        url,
        json={"status": "contacted", "notes": "surat dikirim"},
        headers={**callers.officer.headers, "If-Match": current.headers["etag"]},
    )
    assert contacted.status_code == 200, contacted.text
    assert (contacted.json()["status"], contacted.json()["notes"]) == ("contacted", "surat dikirim")
    skipped = await client.patch(
        url,
        json={"status": "completed"},
        headers={**callers.officer.headers, "If-Match": contacted.headers["etag"]},
    )
    assert skipped.status_code == 409
    assert skipped.json()["allowed"] == ["agreed", "closed"]

    # A case with a batch on its way cannot be completed or closed.
    person = await verified_person(client, callers, site["id"])
    batch = await client.post(
        "/api/v1/repatriations",
        json={"coordination_id": case["id"], "leg": "direct", "members": [person["id"]]},
        headers=callers.officer.headers,
    )
    assert batch.status_code == 201
    agreed = await client.patch(
        url,
        json={"status": "agreed"},
        headers={**callers.officer.headers, "If-Match": contacted.headers["etag"]},
    )
    assert agreed.status_code == 200
    busy = await client.patch(
        url,
        json={"status": "completed"},
        headers={**callers.officer.headers, "If-Match": agreed.headers["etag"]},
    )
    assert busy.status_code == 409
    assert busy.json()["type"] == "/problems/active-batches"
    null = await client.patch(
        url, json={"status": None}, headers={**callers.officer.headers, "If-Match": agreed.headers["etag"]}
    )
    assert null.status_code == 422


async def test_summary_counts_per_province_and_regency(client, callers):
    site = await make_site(client, callers)
    alor = [await make_person(client, callers, site["id"], origin_region_code=ALOR) for _ in range(3)]
    await set_status(client, callers, alor[0]["id"], "verified")
    await set_status(client, callers, alor[1]["id"], "returned_independently")
    await make_person(client, callers, site["id"], origin_region_code=ROTE)
    await make_person(client, callers, site["id"], origin_region_code=SURABAYA)
    await make_person(client, callers, site["id"], origin_region_code=None)
    case = await make_case(client, callers, site["id"], ALOR)

    response = await client.get(
        f"{BASE}/summary", params={"site_id": site["id"]}, headers=callers.auditor.headers
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["total"], summary["unknown_origin"]) == (6, 1)
    assert [(p["province_code"], p["total"]) for p in summary["provinces"]] == [("35", 1), ("53", 4)]
    ntt = summary["provinces"][1]
    assert ntt["name"] == "Nusa Tenggara Timur"
    [alor_row, rote_row] = ntt["regencies"]
    assert (alor_row["region_code"], alor_row["name"], alor_row["total"]) == (ALOR, "Kabupaten Alor", 3)
    assert alor_row["by_status"] == {"registered": 1, "verified": 1, "returned_independently": 1}
    assert (alor_row["coordination_id"], alor_row["coordination_status"]) == (case["id"], "open")
    assert (rote_row["total"], rote_row["coordination_id"]) == (1, None)

    assert (await client.get(f"{BASE}/summary", headers=callers.officer.headers)).status_code == 422
    unknown = await client.get(
        f"{BASE}/summary", params={"site_id": str(uuid.uuid4())}, headers=callers.officer.headers
    )
    assert unknown.status_code == 422
    for caller in (callers.partner_a, callers.viewer):
        denied = await client.get(f"{BASE}/summary", params={"site_id": site["id"]}, headers=caller.headers)
        assert denied.status_code == 403


async def test_correspondence_is_recorded_listed_and_corrected(client, callers):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    url = f"{BASE}/{case['id']}/correspondence"
    letter = {
        "direction": "outgoing",
        "channel": "letter",
        "reference_number": "460/UJI/DINSOS/X/2018",
        "dated_on": "2018-10-31",
        "subject": "Koordinasi pemulangan warga asal Alor",
        "summary": "Permohonan penjemputan di Kupang.",
    }
    incoming_first = await client.post(
        url,
        json={**letter, "direction": "incoming", "reference_number": None},
        headers=callers.officer.headers,
    )
    assert incoming_first.status_code == 201
    case_url = f"{BASE}/{case['id']}"
    assert (await client.get(case_url, headers=callers.officer.headers)).json()["status"] == "open"
    created = await client.post(url, json=letter, headers=callers.officer.headers)
    assert created.status_code == 201, created.text
    item = created.json()
    # The outgoing letter moves the open case to contacted, as the README's diagram says.
    contacted = await client.get(case_url, headers=callers.officer.headers)
    assert (contacted.json()["status"], contacted.json()["version"]) == ("contacted", case["version"] + 1)
    assert created.headers["location"] == f"{url}/{item['id']}"
    reply = await client.post(
        url,
        json={
            "direction": "incoming",
            "channel": "phone",
            "dated_on": "2018-11-01",
            "subject": "Siap menjemput",
        },
        headers=callers.officer.headers,
    )
    assert reply.status_code == 201
    listing = (await client.get(url, headers=callers.officer.headers)).json()
    assert [i["subject"] for i in listing["items"]] == [letter["subject"]] * 2 + ["Siap menjemput"]

    for bad in (
        {**letter, "channel": "fax"},
        {**letter, "dated_on": "2999-01-01"},
        {**letter, "subject": ""},
    ):
        assert (await client.post(url, json=bad, headers=callers.officer.headers)).status_code == 422
    missing_case = await client.post(
        f"{BASE}/{uuid.uuid4()}/correspondence", json=letter, headers=callers.officer.headers
    )
    assert missing_case.status_code == 404

    item_url = f"{url}/{item['id']}"
    fixed = await client.patch(
        item_url,
        json={"reference_number": "460/UJI/DINSOS/XI/2018"},
        headers={**callers.officer.headers, "If-Match": created.headers["etag"]},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["reference_number"] == "460/UJI/DINSOS/XI/2018"
    assert (
        await client.patch(item_url, json={"subject": "x"}, headers=callers.officer.headers)
    ).status_code == 428
    other_case = await make_case(client, callers, site["id"], ROTE)
    wrong_case = await client.get(
        f"{BASE}/{other_case['id']}/correspondence/{item['id']}", headers=callers.officer.headers
    )
    assert wrong_case.status_code == 404
    assert (await client.post(url, json=letter, headers=callers.auditor.headers)).status_code == 403


async def test_case_lists_filter_and_paginate(client, callers):
    site = await make_site(client, callers)
    for code in (ALOR, ROTE, SURABAYA):
        await make_case(client, callers, site["id"], code)
    ntt = (await client.get(BASE, params={"province_code": "53"}, headers=callers.officer.headers)).json()
    assert sorted(c["region_code"] for c in ntt["items"]) == [ALOR, ROTE]
    first = (await client.get(BASE, params={"limit": 2}, headers=callers.officer.headers)).json()
    second = (
        await client.get(
            BASE, params={"limit": 2, "cursor": first["next_cursor"]}, headers=callers.officer.headers
        )
    ).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    future = (
        await client.get(
            BASE, params={"updated_since": "2999-01-01T00:00:00Z"}, headers=callers.officer.headers
        )
    ).json()
    assert future["items"] == []
    assert (
        await client.get(
            BASE, params={"updated_since": "2018-01-01T00:00:00"}, headers=callers.officer.headers
        )
    ).status_code == 422

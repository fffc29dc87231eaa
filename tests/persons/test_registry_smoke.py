"""The main registry flows, end to end."""

from tests.persons.helpers import NIK_WOMAN_KUPANG, make_person, make_site


async def test_create_read_partner_view_and_history(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], nik=NIK_WOMAN_KUPANG)
    assert person["registration_number"] == "KD-0001"
    assert person["nik"] == NIK_WOMAN_KUPANG
    assert person["nik_region_code"] == "53.71"
    assert person["warnings"] == []

    hidden = await client.get(f"/api/v1/persons/{person['id']}", headers=callers.partner_a.headers)
    assert hidden.status_code == 404

    referred = await client.post(
        f"/api/v1/persons/{person['id']}/referrals",
        json={"agency_id": str(callers.agency_a.id), "reason": "pendampingan"},
        headers=callers.officer.headers,
    )
    assert referred.status_code == 201, referred.text
    listing = await client.get("/api/v1/persons", headers=callers.partner_a.headers)
    assert listing.status_code == 200
    [item] = listing.json()["items"]
    assert item["id"] != person["id"]
    assert item["nik"] == "************9001"
    assert not {"phone", "kk_number", "notes", "domicile_address"} & set(item)
    again = await client.get(f"/api/v1/persons/{item['id']}", headers=callers.partner_a.headers)
    assert again.status_code == 200

    moved = await client.post(
        f"/api/v1/persons/{person['id']}/status-changes",
        json={"to_status": "handed_over"},
        headers=callers.officer.headers,
    )
    assert moved.status_code == 409
    assert "verified" in moved.json()["allowed"]
    ok = await client.post(
        f"/api/v1/persons/{person['id']}/status-changes",
        json={"to_status": "verified", "reason": "KTP diperiksa"},
        headers=callers.officer.headers,
    )
    assert ok.status_code == 200, ok.text
    history = await client.get(f"/api/v1/persons/{person['id']}/history", headers=callers.auditor.headers)
    assert [c["kind"] for c in history.json()] == ["created", "referral", "status"]


async def test_stats_suppressed_for_viewers_not_officers(client, callers):
    site = await make_site(client, callers)
    for _ in range(6):
        await make_person(client, callers, site["id"], origin_region_code="53.01")
    await make_person(client, callers, site["id"], origin_region_code="53.05", sex="male")
    officer = (await client.get("/api/v1/stats/persons", headers=callers.officer.headers)).json()
    assert officer["total"]["count"] == 7
    assert {c["key"]: c["count"] for c in officer["by_origin_regency"]} == {"53.01": 6, "53.05": 1}
    viewer = (await client.get("/api/v1/stats/persons", headers=callers.viewer.headers)).json()
    assert viewer["total"]["count"] == 7
    regency = {c["key"]: c for c in viewer["by_origin_regency"]}
    assert regency["53.05"] == {"key": "53.05", "count": None, "suppressed": True}
    # 6 = total - 1: the complement must be hidden too, or the 1 could be derived.
    assert regency["53.01"]["suppressed"] is True

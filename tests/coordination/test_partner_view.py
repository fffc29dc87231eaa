"""The counterpart agency's view: its own cases, their batches and persons, masked; nothing else."""

import uuid

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.security.crypto import pseudonym
from tests.coordination.helpers import (
    ALOR,
    ROTE,
    get_person,
    make_batch,
    make_case,
    make_counterpart,
    make_person,
    make_site,
    set_status,
    verified_person,
)
from tests.persons.helpers import NIK_MAN_ALOR

NIK_LAST4 = "************9002"


async def _arrange(client, callers, session):
    site = await make_site(client, callers)
    alor_office = await make_counterpart(session, ALOR, "Dinas Sosial Uji Alor")
    rote_office = await make_counterpart(session, ROTE, "Dinas Sosial Uji Rote Ndao")
    alor = await make_case(client, callers, site["id"], ALOR, alor_office.agency_id)
    rote = await make_case(client, callers, site["id"], ROTE, rote_office.agency_id)
    traveller = await verified_person(
        client, callers, site["id"], nik=NIK_MAN_ALOR, sex="male", birth_date="1990-08-17"
    )
    stays = await verified_person(client, callers, site["id"])
    await set_status(client, callers, stays["id"], "staying")
    registered = await make_person(client, callers, site["id"], origin_region_code=ALOR)
    from_rote = await verified_person(client, callers, site["id"], origin=ROTE)
    batch = await make_batch(
        client, callers, alor["id"], [traveller["id"]], carrier="KM Uji", notes="catatan internal"
    )
    rote_batch = await make_batch(client, callers, rote["id"], [from_rote["id"]])
    return {
        "site": site,
        "alor_office": alor_office,
        "rote_office": rote_office,
        "alor": alor,
        "rote": rote,
        "traveller": traveller,
        "stays": stays,
        "registered": registered,
        "batch": batch,
        "rote_batch": rote_batch,
    }


async def test_counterpart_sees_its_case_batches_and_persons_masked_under_its_own_ids(
    client, callers, session
):
    a = await _arrange(client, callers, session)
    office = a["alor_office"]
    headers = office.caller.headers
    alias = str(pseudonym(uuid.UUID(a["traveller"]["id"]), office.agency_id))

    cases = (await client.get("/api/v1/coordinations", headers=headers)).json()["items"]
    assert [c["id"] for c in cases] == [a["alor"]["id"]]
    case = cases[0]
    assert case["notes"] is None
    # Counts only of whom the office sees: the one waiting to return, not who stays or is registered.
    assert case["person_counts"] == {"awaiting_return": 1, "repatriated": 0, "handed_over": 0}
    assert case["person_total"] == 1
    staff_view = (
        await client.get(f"/api/v1/coordinations/{a['alor']['id']}", headers=callers.officer.headers)
    ).json()
    assert staff_view["person_total"] == 3

    persons = (await client.get(f"/api/v1/coordinations/{a['alor']['id']}/persons", headers=headers)).json()
    [seen] = persons["items"]
    assert seen["id"] == alias != a["traveller"]["id"]
    assert seen["nik"] == NIK_LAST4
    assert seen["repatriation_id"] == a["batch"]["id"]
    assert not {"phone", "kk_number", "notes", "domicile_address", "referral"} & set(seen)
    one = await client.get(f"/api/v1/coordinations/{a['alor']['id']}/persons/{alias}", headers=headers)
    assert one.status_code == 200
    assert one.json() == seen
    real_id = await client.get(
        f"/api/v1/coordinations/{a['alor']['id']}/persons/{a['traveller']['id']}", headers=headers
    )
    assert real_id.status_code == 404
    for hidden in (a["stays"], a["registered"]):
        response = await client.get(
            f"/api/v1/coordinations/{a['alor']['id']}/persons/{hidden['id']}", headers=callers.officer.headers
        )
        assert response.status_code == 200  # staff see every person of the case
        hidden_alias = pseudonym(uuid.UUID(hidden["id"]), office.agency_id)
        response = await client.get(
            f"/api/v1/coordinations/{a['alor']['id']}/persons/{hidden_alias}", headers=headers
        )
        assert response.status_code == 404

    batches = (await client.get("/api/v1/repatriations", headers=headers)).json()["items"]
    assert [b["id"] for b in batches] == [a["batch"]["id"]]
    assert batches[0]["members"] == [alias]
    assert batches[0]["notes"] is None
    assert batches[0]["carrier"] == "KM Uji"
    members = (await client.get(f"/api/v1/repatriations/{a['batch']['id']}/members", headers=headers)).json()
    assert [(m["person_id"], m["override_reason"]) for m in members["items"]] == [(alias, None)]
    assert uuid.UUID(a["traveller"]["id"]).hex not in str(members)

    # The office's reads of persons are in the audit trail, under the real id.
    events = (await session.scalars(select(AuditEvent).where(AuditEvent.agency_id == office.agency_id))).all()
    assert {e.action for e in events} >= {"coordination.persons", "coordination.person", "repatriation.list"}
    assert all(e.person_ids in ([], [uuid.UUID(a["traveller"]["id"])]) for e in events)


async def test_counterpart_sees_nothing_of_other_regions(client, callers, session):
    a = await _arrange(client, callers, session)
    headers = a["alor_office"].caller.headers
    for url in (
        f"/api/v1/coordinations/{a['rote']['id']}",
        f"/api/v1/coordinations/{a['rote']['id']}/persons",
        f"/api/v1/coordinations/{a['rote']['id']}/correspondence",
        f"/api/v1/repatriations/{a['rote_batch']['id']}",
        f"/api/v1/repatriations/{a['rote_batch']['id']}/members",
    ):
        response = await client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.json()["status"] == 404
    for action, body in (
        ("arrive", None),
        (
            "handover",
            {
                "received_by_agency_id": str(a["alor_office"].agency_id),
                "received_by_name": "Uji",
                "document_number": "BA-1",
            },
        ),
    ):
        response = await client.post(
            f"/api/v1/repatriations/{a['rote_batch']['id']}/{action}", json=body, headers=headers
        )
        assert response.status_code == 404
    assert (
        await client.get(
            "/api/v1/repatriations", params={"coordination_id": a["rote"]["id"]}, headers=headers
        )
    ).json()["items"] == []
    # Persons of its region are not reachable through the registry either (no referral).
    assert (await client.get(f"/api/v1/persons/{a['traveller']['id']}", headers=headers)).status_code == 404

    # A partner of an agency that is no counterpart sees no case at all.
    assert (await client.get("/api/v1/coordinations", headers=callers.partner_a.headers)).json()[
        "items"
    ] == []
    assert (
        await client.get(f"/api/v1/coordinations/{a['alor']['id']}", headers=callers.partner_a.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/repatriations", headers=callers.partner_a.headers)).json()[
        "items"
    ] == []


async def test_counterpart_confirms_arrival_and_handover_but_changes_nothing_else(client, callers, session):
    a = await _arrange(client, callers, session)
    office = a["alor_office"]
    headers = office.caller.headers
    url = f"/api/v1/repatriations/{a['batch']['id']}"
    assert (await client.post(f"{url}/depart", headers=headers)).status_code == 403
    assert (await client.post(f"{url}/cancel", json={"reason": "x"}, headers=headers)).status_code == 403
    assert (
        await client.post(
            "/api/v1/coordinations",
            json={"site_id": a["site"]["id"], "region_code": "53.06"},
            headers=headers,
        )
    ).status_code == 403
    assert (await client.get("/api/v1/assistance", headers=headers)).status_code == 403

    assert (await client.post(f"{url}/depart", headers=callers.officer.headers)).status_code == 200
    arrived = await client.post(f"{url}/arrive", headers=headers)
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["status"] == "arrived"
    handover = {"received_by_name": "Petugas Penerima Uji", "document_number": "BA-UJI/ALOR/1"}
    not_own = await client.post(
        f"{url}/handover",
        json={**handover, "received_by_agency_id": str(callers.agency_a.id)},
        headers=headers,
    )
    assert not_own.status_code == 403
    done = await client.post(
        f"{url}/handover", json={**handover, "received_by_agency_id": str(office.agency_id)}, headers=headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["received_by_agency_id"] == str(office.agency_id)
    assert (await get_person(client, callers, a["traveller"]["id"]))["status"] == "handed_over"

    # The handover is in the person's history, made by the office's partner account.
    history = (
        await client.get(f"/api/v1/persons/{a['traveller']['id']}/history", headers=callers.auditor.headers)
    ).json()
    last = history[-1]
    assert (last["new_value"], last["source"], last["actor_id"]) == (
        "handed_over",
        "repatriation",
        str(office.caller.user.id),
    )
    # Handed over, the person stays in the office's view.
    persons = (await client.get(f"/api/v1/coordinations/{a['alor']['id']}/persons", headers=headers)).json()[
        "items"
    ]
    assert [(p["status"], p["repatriation_id"]) for p in persons] == [("handed_over", None)]


async def test_changing_the_counterpart_moves_the_view(client, callers, session):
    a = await _arrange(client, callers, session)
    provincial = await make_counterpart(session, "53", "Dinas Sosial Uji Provinsi NTT")
    url = f"/api/v1/coordinations/{a['alor']['id']}"
    current = await client.get(url, headers=callers.officer.headers)
    moved = await client.patch(
        url,
        json={"counterpart_agency_id": str(provincial.agency_id)},
        headers={**callers.officer.headers, "If-Match": current.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert (await client.get(url, headers=a["alor_office"].caller.headers)).status_code == 404
    assert (await client.get(url, headers=provincial.caller.headers)).status_code == 200
    # Another agency: another pseudonym for the same person.
    items = (await client.get(f"{url}/persons", headers=provincial.caller.headers)).json()["items"]
    assert [p["id"] for p in items] == [str(pseudonym(uuid.UUID(a["traveller"]["id"]), provincial.agency_id))]


async def test_restricted_persons_need_a_purpose_in_the_case_view(client, callers, session):
    a = await _arrange(client, callers, session)
    office = a["alor_office"]
    restricted = await client.post(
        f"/api/v1/persons/{a['traveller']['id']}/restriction",
        json={"reason": "permintaan subjek data"},
        headers=callers.officer.headers,
    )
    assert restricted.status_code == 200
    url = f"/api/v1/coordinations/{a['alor']['id']}/persons"
    assert (await client.get(url, headers=office.caller.headers)).json()["items"] == []
    alias = pseudonym(uuid.UUID(a["traveller"]["id"]), office.agency_id)
    # Unknown to the partner (a 403 would reveal the restriction), whatever purpose it names.
    refused = await client.get(f"{url}/{alias}", headers=office.caller.headers)
    assert refused.status_code == 404
    named = {**office.caller.headers, "X-Purpose": "vital_interest"}
    assert (await client.get(f"{url}/{alias}", headers=named)).status_code == 404
    staff = {**callers.officer.headers, "X-Purpose": "vital_interest"}
    assert (await client.get(f"{url}/{a['traveller']['id']}", headers=staff)).status_code == 200

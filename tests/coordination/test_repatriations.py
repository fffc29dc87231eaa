"""Repatriation batches: the journey, the person statuses it drives, and what it refuses."""

import uuid

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.persons.models import PersonChange
from tests.coordination.helpers import (
    ALOR,
    ROTE,
    get_person,
    history_count,
    make_batch,
    make_case,
    make_counterpart,
    make_person,
    make_site,
    set_status,
    verified_person,
)

BASE = "/api/v1/repatriations"


async def _statuses(client, callers, ids):
    return [(await get_person(client, callers, i))["status"] for i in ids]


async def test_journey_moves_members_through_their_lifecycle(client, callers, session):
    site = await make_site(client, callers)
    counterpart = await make_counterpart(session)
    case = await make_case(client, callers, site["id"], counterpart_id=counterpart.agency_id)
    first = await verified_person(client, callers, site["id"])
    second = await verified_person(client, callers, site["id"])
    await set_status(client, callers, second["id"], "awaiting_return")
    ids = [first["id"], second["id"]]

    batch = await make_batch(
        client,
        callers,
        case["id"],
        ids,
        planned_departure_on="2018-11-05",
        transport_mode="sea",
        carrier="KM Uji Bahari",
        cost_amount=1_250_000,
        funding_source="apbd_kota",
    )
    assert batch["status"] == "planned"
    assert batch["region_code"] == ALOR
    assert sorted(batch["members"]) == sorted(ids)
    # Joining a batch is waiting to return: the verified member moved, in its history.
    assert await _statuses(client, callers, ids) == ["awaiting_return", "awaiting_return"]

    departed = await client.post(
        f"{BASE}/{batch['id']}/depart",
        json={"departed_at": "2018-11-05T08:00:00+08:00"},
        headers=callers.officer.headers,
    )
    assert departed.status_code == 200, departed.text
    assert departed.json()["status"] == "departed"
    assert departed.headers["etag"] == f'"{departed.json()["version"]}"'
    assert await _statuses(client, callers, ids) == ["repatriated", "repatriated"]

    arrived = await client.post(
        f"{BASE}/{batch['id']}/arrive",
        json={"arrived_at": "2018-11-06T07:30:00+08:00"},
        headers=callers.officer.headers,
    )
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["arrived_at"] == "2018-11-05T23:30:00Z"
    assert await _statuses(client, callers, ids) == ["repatriated", "repatriated"]

    handed = await client.post(
        f"{BASE}/{batch['id']}/handover",
        json={
            "received_by_agency_id": str(counterpart.agency_id),
            "received_by_name": "Petugas Penerima Uji",
            "handed_over_at": "2018-11-06T10:00:00+08:00",
            "document_number": "BA-UJI/001/XI/2018",
        },
        headers=callers.officer.headers,
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["status"] == "handed_over"
    assert handed.json()["handover_document_number"] == "BA-UJI/001/XI/2018"
    assert await _statuses(client, callers, ids) == ["handed_over", "handed_over"]

    history = await client.get(f"/api/v1/persons/{first['id']}/history", headers=callers.auditor.headers)
    moves = [
        (c["old_value"], c["new_value"], c["source"], c["occurred_on"])
        for c in history.json()
        if c["kind"] == "status"
    ]
    assert moves == [
        ("registered", "verified", "api", moves[0][3]),
        ("verified", "awaiting_return", "repatriation", moves[1][3]),
        ("awaiting_return", "repatriated", "repatriation", "2018-11-05"),
        ("repatriated", "handed_over", "repatriation", "2018-11-06"),
    ]

    # Handed over, the members are free of the batch; nothing can follow the handover.
    again = await client.post(
        f"{BASE}/{batch['id']}/cancel", json={"reason": "uji"}, headers=callers.officer.headers
    )
    assert again.status_code == 409
    assert again.json()["current_status"] == "handed_over"


async def test_failure_in_the_middle_leaves_batch_and_every_member_unchanged(client, callers, session):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    people = [await verified_person(client, callers, site["id"]) for _ in range(3)]
    ids = [p["id"] for p in people]
    batch = await make_batch(client, callers, case["id"], ids)
    # Members are moved in id order: the last one fails after the others were written.
    stuck = max(ids, key=uuid.UUID)
    await set_status(client, callers, stuck, "staying")  # changed meanwhile, outside the batch
    before = {i: (await get_person(client, callers, i)) for i in ids}
    counts = {i: await history_count(session, i) for i in ids}

    response = await client.post(f"{BASE}/{batch['id']}/depart", headers=callers.officer.headers)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "/problems/member-transition-failed"
    assert problem["person_id"] == stuck
    assert problem["current_status"] == "staying"

    for i in ids:
        after = await get_person(client, callers, i)
        assert (after["status"], after["version"]) == (before[i]["status"], before[i]["version"])
        assert await history_count(session, i) == counts[i]
    unchanged = (await client.get(f"{BASE}/{batch['id']}", headers=callers.officer.headers)).json()
    assert (unchanged["status"], unchanged["departed_at"], unchanged["version"]) == (
        "planned",
        None,
        batch["version"],
    )

    # Once the stuck member is out of the batch, the others depart.
    removed = await client.delete(f"{BASE}/{batch['id']}/members/{stuck}", headers=callers.officer.headers)
    assert removed.status_code == 204
    ok = await client.post(f"{BASE}/{batch['id']}/depart", headers=callers.officer.headers)
    assert ok.status_code == 200, ok.text
    others = [i for i in ids if i != stuck]
    assert await _statuses(client, callers, others) == ["repatriated", "repatriated"]
    assert (await get_person(client, callers, stuck))["status"] == "staying"


async def test_cancel_after_departure_sends_members_back_to_waiting(client, callers):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    person = await verified_person(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [person["id"]])
    assert (
        await client.post(f"{BASE}/{batch['id']}/depart", headers=callers.officer.headers)
    ).status_code == 200

    missing_reason = await client.post(
        f"{BASE}/{batch['id']}/cancel", json={}, headers=callers.officer.headers
    )
    assert missing_reason.status_code == 422
    cancelled = await client.post(
        f"{BASE}/{batch['id']}/cancel",
        json={"reason": "kapal batal berlayar"},
        headers=callers.officer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "kapal batal berlayar"
    assert (await get_person(client, callers, person["id"]))["status"] == "awaiting_return"

    # Out of a cancelled batch, the person may join another one.
    second = await make_batch(client, callers, case["id"], [person["id"]])
    assert second["members"] == [person["id"]]
    arrive = await client.post(f"{BASE}/{batch['id']}/arrive", headers=callers.officer.headers)
    assert arrive.status_code == 409


async def test_cancel_a_planned_batch_and_no_cancel_once_arrived(client, callers):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    person = await verified_person(client, callers, site["id"])
    planned = await make_batch(client, callers, case["id"], [person["id"]])
    cancelled = await client.post(
        f"{BASE}/{planned['id']}/cancel", json={"reason": "uji"}, headers=callers.officer.headers
    )
    assert cancelled.status_code == 200
    assert (await get_person(client, callers, person["id"]))["status"] == "awaiting_return"

    batch = await make_batch(client, callers, case["id"], [person["id"]])
    await client.post(f"{BASE}/{batch['id']}/depart", headers=callers.officer.headers)
    await client.post(f"{BASE}/{batch['id']}/arrive", headers=callers.officer.headers)
    refused = await client.post(
        f"{BASE}/{batch['id']}/cancel", json={"reason": "uji"}, headers=callers.officer.headers
    )
    assert refused.status_code == 409
    assert refused.json()["allowed"] == ["handed_over"]
    assert (await get_person(client, callers, person["id"]))["status"] == "repatriated"


async def test_arrival_before_departure_and_future_times_are_422(client, callers):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    person = await verified_person(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [person["id"]], planned_departure_on="2018-11-05")

    early_arrival = await client.post(f"{BASE}/{batch['id']}/arrive", headers=callers.officer.headers)
    assert early_arrival.status_code == 409  # not departed yet
    assert early_arrival.json()["current_status"] == "planned"

    before_plan = await client.post(
        f"{BASE}/{batch['id']}/depart",
        json={"departed_at": "2018-11-04T10:00:00+08:00"},
        headers=callers.officer.headers,
    )
    assert before_plan.status_code == 422
    assert before_plan.json()["errors"][0]["loc"] == ["body", "departed_at"]
    future = await client.post(
        f"{BASE}/{batch['id']}/depart",
        json={"departed_at": "2999-01-01T00:00:00+08:00"},
        headers=callers.officer.headers,
    )
    assert future.status_code == 422
    naive = await client.post(
        f"{BASE}/{batch['id']}/depart",
        json={"departed_at": "2018-11-05T10:00:00"},
        headers=callers.officer.headers,
    )
    assert naive.status_code == 422
    assert (await get_person(client, callers, person["id"]))["status"] == "awaiting_return"

    # 00:30 WITA on the planned day is 16:30 UTC the day before: still on the planned date.
    departed = await client.post(
        f"{BASE}/{batch['id']}/depart",
        json={"departed_at": "2018-11-04T16:30:00Z"},
        headers=callers.officer.headers,
    )
    assert departed.status_code == 200, departed.text
    before_departure = await client.post(
        f"{BASE}/{batch['id']}/arrive",
        json={"arrived_at": "2018-11-04T12:00:00Z"},
        headers=callers.officer.headers,
    )
    assert before_departure.status_code == 422
    assert before_departure.json()["errors"][0]["loc"] == ["body", "arrived_at"]
    still = (await client.get(f"{BASE}/{batch['id']}", headers=callers.officer.headers)).json()
    assert (still["status"], still["arrived_at"]) == ("departed", None)

    arrived = await client.post(
        f"{BASE}/{batch['id']}/arrive",
        json={"arrived_at": "2018-11-05T06:00:00Z"},
        headers=callers.officer.headers,
    )
    assert arrived.status_code == 200
    before_arrival = await client.post(
        f"{BASE}/{batch['id']}/handover",
        json={
            "received_by_agency_id": str(callers.agency_a.id),
            "received_by_name": "Petugas Uji",
            "handed_over_at": "2018-11-05T05:00:00Z",
            "document_number": "BA-UJI/2",
        },
        headers=callers.officer.headers,
    )
    assert before_arrival.status_code == 422
    unknown_agency = await client.post(
        f"{BASE}/{batch['id']}/handover",
        json={
            "received_by_agency_id": str(uuid.uuid4()),
            "received_by_name": "Petugas Uji",
            "document_number": "BA-UJI/3",
        },
        headers=callers.officer.headers,
    )
    assert unknown_agency.status_code == 422
    assert (await get_person(client, callers, person["id"]))["status"] == "repatriated"


async def test_double_membership_and_ineligible_persons_are_409_and_write_nothing(client, callers, session):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    member = await verified_person(client, callers, site["id"])
    newcomer = await verified_person(client, callers, site["id"])
    registered = await make_person(client, callers, site["id"], origin_region_code=ALOR)
    batch = await make_batch(client, callers, case["id"], [member["id"]])

    twice = await client.post(
        BASE,
        json={"coordination_id": case["id"], "leg": "direct", "members": [newcomer["id"], member["id"]]},
        headers=callers.officer.headers,
    )
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/already-in-batch"
    assert twice.json()["repatriation_id"] == batch["id"]
    # Nothing half-written: no second batch, and the newcomer was not moved to awaiting_return.
    listing = (await client.get(BASE, headers=callers.officer.headers)).json()["items"]
    assert [b["id"] for b in listing] == [batch["id"]]
    assert (await get_person(client, callers, newcomer["id"]))["status"] == "verified"

    same = await client.post(
        f"{BASE}/{batch['id']}/members", json={"person_id": member["id"]}, headers=callers.officer.headers
    )
    assert same.status_code == 409
    not_verified = await client.post(
        f"{BASE}/{batch['id']}/members", json={"person_id": registered["id"]}, headers=callers.officer.headers
    )
    assert not_verified.status_code == 409
    assert not_verified.json()["current_status"] == "registered"
    unknown = await client.post(
        f"{BASE}/{batch['id']}/members",
        json={"person_id": str(uuid.uuid4())},
        headers=callers.officer.headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "person_id"]
    repeated = await client.post(
        BASE,
        json={"coordination_id": case["id"], "leg": "direct", "members": [newcomer["id"], newcomer["id"]]},
        headers=callers.officer.headers,
    )
    assert repeated.status_code == 422
    in_body = await client.post(
        BASE,
        json={"coordination_id": case["id"], "leg": "direct", "members": [str(uuid.uuid4())]},
        headers=callers.officer.headers,
    )
    assert in_body.status_code == 422
    assert in_body.json()["errors"][0]["loc"] == ["body", "members", 0]

    added = await client.post(
        f"{BASE}/{batch['id']}/members", json={"person_id": newcomer["id"]}, headers=callers.officer.headers
    )
    assert added.status_code == 201, added.text
    assert added.headers["location"] == f"/api/v1/repatriations/{batch['id']}"
    assert sorted(added.json()["members"]) == sorted([member["id"], newcomer["id"]])
    await client.post(f"{BASE}/{batch['id']}/depart", headers=callers.officer.headers)
    late = await client.post(
        f"{BASE}/{batch['id']}/members", json={"person_id": registered["id"]}, headers=callers.officer.headers
    )
    assert late.status_code == 409
    assert late.json()["type"] == "/problems/batch-not-planned"


async def test_member_of_another_region_needs_an_audited_override(client, callers, session):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"], ALOR)
    from_rote = await verified_person(client, callers, site["id"], origin=ROTE)
    batch = await make_batch(client, callers, case["id"], [])

    refused = await client.post(
        f"{BASE}/{batch['id']}/members", json={"person_id": from_rote["id"]}, headers=callers.officer.headers
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/origin-mismatch"
    assert (await get_person(client, callers, from_rote["id"]))["status"] == "verified"

    reason = "keluarga tinggal di Alor"
    added = await client.post(
        f"{BASE}/{batch['id']}/members",
        json={"person_id": from_rote["id"], "override_reason": reason},
        headers=callers.officer.headers,
    )
    assert added.status_code == 201, added.text
    members = (await client.get(f"{BASE}/{batch['id']}/members", headers=callers.officer.headers)).json()
    assert [(m["person_id"], m["override_reason"]) for m in members["items"]] == [(from_rote["id"], reason)]
    event = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "repatriation.member_override")
    )
    assert event is not None
    # The audit trail keeps purpose codes only: the override's text stays with the membership.
    assert event.reason is None
    assert event.person_ids == [uuid.UUID(from_rote["id"])]


async def test_empty_batch_cannot_depart_and_unknown_references_are_422(client, callers):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [])
    empty = await client.post(f"{BASE}/{batch['id']}/depart", headers=callers.officer.headers)
    assert empty.status_code == 409
    assert empty.json()["type"] == "/problems/empty-batch"
    missing = await client.post(f"{BASE}/{uuid.uuid4()}/depart", headers=callers.officer.headers)
    assert missing.status_code == 404
    for body, loc in (
        ({"coordination_id": str(uuid.uuid4()), "leg": "direct"}, ["body", "coordination_id"]),
        (
            {"coordination_id": case["id"], "leg": "direct", "escort_agency_id": str(uuid.uuid4())},
            ["body", "escort_agency_id"],
        ),
    ):
        response = await client.post(BASE, json=body, headers=callers.officer.headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == loc
    for cost in (-1, 1.5, 1.0, "1000", True):
        response = await client.post(
            BASE,
            json={"coordination_id": case["id"], "leg": "direct", "cost_amount": cost},
            headers=callers.officer.headers,
        )
        assert response.status_code == 422, cost
    assert len((await client.get(BASE, headers=callers.officer.headers)).json()["items"]) == 1


async def test_patch_needs_if_match_and_changes_only_travel_details(client, callers):
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [])
    url = f"{BASE}/{batch['id']}"
    assert (
        await client.patch(url, json={"carrier": "Uji Air"}, headers=callers.officer.headers)
    ).status_code == 428
    stale = await client.patch(
        url, json={"carrier": "Uji Air"}, headers={**callers.officer.headers, "If-Match": '"99"'}
    )
    assert stale.status_code == 412
    status = await client.patch(
        url,
        json={"status": "departed"},
        headers={**callers.officer.headers, "If-Match": f'"{batch["version"]}"'},
    )
    assert status.status_code == 422  # the status moves only through its actions
    ok = await client.patch(
        url,
        json={"carrier": "Uji Air", "cost_amount": 2_000_000, "funding_source": "apbn_kemensos"},
        headers={**callers.officer.headers, "If-Match": f'"{batch["version"]}"'},
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["carrier"], ok.json()["cost_amount"]) == ("Uji Air", 2_000_000)
    assert ok.headers["etag"] == f'"{batch["version"] + 1}"'


async def test_handover_history_names_the_batch_source(client, callers, session):
    """Every member move is a status change of source `repatriation` (what history shows)."""
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    person = await verified_person(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [person["id"]])
    await client.post(f"{BASE}/{batch['id']}/depart", headers=callers.officer.headers)
    await client.post(
        f"{BASE}/{batch['id']}/cancel", json={"reason": "cuaca buruk"}, headers=callers.officer.headers
    )
    rows = (
        await session.scalars(
            select(PersonChange)
            .where(PersonChange.person_id == uuid.UUID(person["id"]), PersonChange.source == "repatriation")
            .order_by(PersonChange.id)
        )
    ).all()
    assert [(r.old_value, r.new_value) for r in rows] == [
        ("verified", "awaiting_return"),
        ("awaiting_return", "repatriated"),
        ("repatriated", "awaiting_return"),
    ]
    assert "cuaca buruk" in rows[-1].reason

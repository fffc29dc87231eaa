"""Assistance records in whole rupiah, their lifecycle, totals, and the PEM fund's eligibility rule."""

import uuid

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.eligibility import service as eligibility_service
from app.eligibility.models import Program
from tests.coordination.helpers import make_person, make_site, verified_person

PERSONS = "/api/v1/persons"
BASE = "/api/v1/assistance"


async def _record(client, callers, person_id, **fields):
    body = {"type": "living_allowance", "amount": 900_000, "funding_source": "apbn_kemensos", **fields}
    response = await client.post(
        f"{PERSONS}/{person_id}/assistance", json=body, headers=callers.officer.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _program(session) -> Program:
    program = Program(code=f"PEM{uuid.uuid4().hex[:4].upper()}", name="Dana PEM Uji", benefit_kind="cash")
    session.add(program)
    await session.commit()
    return program


async def test_totals_per_person_program_and_source(client, callers, session):
    site = await make_site(client, callers)
    one = await verified_person(client, callers, site["id"])
    two = await verified_person(client, callers, site["id"])
    program = await _program(session)
    await _record(
        client,
        callers,
        one["id"],
        type="business_capital",
        amount=5_000_000,
        status="paid",
        paid_on="2018-11-20",
    )
    await _record(client, callers, one["id"], type="transport", amount=350_000, funding_source="apbd_kota")
    await _record(
        client, callers, two["id"], type="business_capital", amount=5_000_000, program_id=str(program.id)
    )
    cancelled = await _record(client, callers, two["id"], amount=1_000_000)
    gone = await client.patch(
        f"{BASE}/{cancelled['id']}",
        json={"status": "cancelled"},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert gone.status_code == 200, gone.text

    def totals(**params):
        return client.get(f"{BASE}/totals", params=params, headers=callers.auditor.headers)

    by_person = (await totals(group_by="person")).json()
    assert by_person["currency"] == "IDR"
    assert by_person["total"] == {
        "key": None,
        "count": 3,
        "planned_amount": 5_350_000,
        "paid_amount": 5_000_000,
    }
    assert {g["key"]: (g["count"], g["planned_amount"], g["paid_amount"]) for g in by_person["groups"]} == {
        one["id"]: (2, 350_000, 5_000_000),
        two["id"]: (1, 5_000_000, 0),
    }
    by_source = (await totals(group_by="funding_source")).json()["groups"]
    assert {g["key"]: g["planned_amount"] + g["paid_amount"] for g in by_source} == {
        "apbn_kemensos": 10_000_000,
        "apbd_kota": 350_000,
    }
    by_program = (await totals(group_by="program")).json()["groups"]
    assert {g["key"]: g["count"] for g in by_program} == {None: 2, str(program.id): 1}
    filtered = (await totals(group_by="type", program_id=str(program.id))).json()
    assert filtered["groups"] == [
        {"key": "business_capital", "count": 1, "planned_amount": 5_000_000, "paid_amount": 0}
    ]
    one_person = (await totals(group_by="type", person_id=one["id"])).json()
    assert one_person["total"]["paid_amount"] == 5_000_000
    assert (await totals(group_by="agency")).status_code == 422
    assert (await totals()).status_code == 422

    listing = (await client.get(f"{PERSONS}/{one['id']}/assistance", headers=callers.auditor.headers)).json()
    assert sorted(r["amount"] for r in listing["items"]) == [350_000, 5_000_000]
    paid = (await client.get(BASE, params={"status": "paid"}, headers=callers.officer.headers)).json()[
        "items"
    ]
    assert [(r["person_id"], r["type"]) for r in paid] == [(one["id"], "business_capital")]
    # Reading who got what is reading persons' records: audited with their ids.
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "assistance.totals"))
    assert event is not None and set(event.person_ids) == {uuid.UUID(one["id"]), uuid.UUID(two["id"])}


@pytest.mark.parametrize("amount", [-1, 0, 1.5, 2.0, "100000", None, True, 10**13])
async def test_amounts_are_positive_whole_rupiah(client, callers, amount):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    body = {"type": "transport", "amount": amount, "funding_source": "apbd_kota"}
    response = await client.post(
        f"{PERSONS}/{person['id']}/assistance", json=body, headers=callers.officer.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "amount"]
    assert (await client.get(BASE, headers=callers.officer.headers)).json()["items"] == []


async def test_bad_input_is_422_or_409_and_writes_nothing(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    url = f"{PERSONS}/{person['id']}/assistance"
    base = {"type": "transport", "amount": 100_000, "funding_source": "apbd_kota"}
    for body in (
        {**base, "status": "paid"},  # paid without paid_on
        {**base, "paid_on": "2018-11-01"},  # paid_on on planned
        {**base, "status": "paid", "paid_on": "2999-01-01"},
        {**base, "status": "cancelled"},
        {**base, "funding_source": "donor"},
        {**base, "type": "pem_fund"},  # pem_fund without program
        {**base, "program_id": str(uuid.uuid4())},  # unknown program
        {**base, "extra": 1},
    ):
        response = await client.post(url, json=body, headers=callers.officer.headers)
        assert response.status_code == 422, body
    assert (
        await client.post(f"{PERSONS}/{uuid.uuid4()}/assistance", json=base, headers=callers.officer.headers)
    ).status_code == 404
    assert (await client.get(BASE, headers=callers.officer.headers)).json()["items"] == []

    record = await _record(client, callers, person["id"], **base)
    item = f"{BASE}/{record['id']}"
    assert (
        await client.patch(
            item, json={"status": "paid", "paid_on": "2018-11-02"}, headers=callers.officer.headers
        )
    ).status_code == 428
    no_date = await client.patch(
        item, json={"status": "paid"}, headers={**callers.officer.headers, "If-Match": '"1"'}
    )
    assert no_date.status_code == 422
    paid = await client.patch(
        item,
        json={"status": "paid", "paid_on": "2018-11-02"},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert paid.status_code == 200, paid.text
    settled = await client.patch(
        item, json={"amount": 200_000}, headers={**callers.officer.headers, "If-Match": paid.headers["etag"]}
    )
    assert settled.status_code == 409
    back = await client.patch(
        item,
        json={"status": "planned"},
        headers={**callers.officer.headers, "If-Match": paid.headers["etag"]},
    )
    assert back.status_code == 409
    assert back.json()["allowed"] == ["cancelled"]
    reread = await client.get(item, headers=callers.officer.headers)
    assert (reread.json()["status"], reread.json()["amount"], reread.headers["etag"]) == (
        "paid",
        100_000,
        paid.headers["etag"],
    )
    for caller in (callers.partner_a, callers.viewer):
        assert (await client.get(item, headers=caller.headers)).status_code == 403
    assert (await client.post(url, json=base, headers=callers.auditor.headers)).status_code == 403


async def test_pem_fund_needs_a_current_eligible_determination(client, callers, session, monkeypatch):
    site = await make_site(client, callers)
    person = await verified_person(client, callers, site["id"])
    program = await _program(session)
    url = f"{PERSONS}/{person['id']}/assistance"
    body = {
        "type": "pem_fund",
        "amount": 2_500_000,
        "funding_source": "apbd_kota",
        "program_id": str(program.id),
    }

    never_evaluated = await client.post(url, json=body, headers=callers.officer.headers)
    assert never_evaluated.status_code == 409
    assert never_evaluated.json()["type"] == "/problems/not-eligible"

    asked = []

    async def eligible(session, person_id, program_id):
        asked.append((person_id, program_id))
        return True

    monkeypatch.setattr(eligibility_service, "has_current_eligible_determination", eligible)
    created = await client.post(url, json=body, headers=callers.officer.headers)
    assert created.status_code == 201, created.text
    assert asked == [(uuid.UUID(person["id"]), program.id)]

    async def revoked(session, person_id, program_id):
        return False

    monkeypatch.setattr(eligibility_service, "has_current_eligible_determination", revoked)
    item = f"{BASE}/{created.json()['id']}"
    # Paying is checked again: a determination may have changed since the record was planned.
    refused = await client.patch(
        item,
        json={"status": "paid", "paid_on": "2018-11-30"},
        headers={**callers.officer.headers, "If-Match": created.headers["etag"]},
    )
    assert refused.status_code == 409
    cancelled = await client.patch(
        item,
        json={"status": "cancelled"},
        headers={**callers.officer.headers, "If-Match": created.headers["etag"]},
    )
    assert cancelled.status_code == 200

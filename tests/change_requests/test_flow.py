"""The change request flow: a partner proposes, an officer approves or rejects, the partner sees it."""

import asyncio
import uuid
from datetime import date, timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.change_requests.helpers import (
    CHANGE_REQUESTS,
    decide,
    get_person,
    referred_person,
    request_rows,
    submit,
    submitted,
    this_year,
)
from tests.persons.support import PERSONS, assert_problem, change_rows, person_row


async def test_partner_status_change_is_approved_applied_and_seen(client, callers, session):
    person, ref = await referred_person(client, callers)
    went_home = (date.today() - timedelta(days=2)).isoformat()
    response = await submitted(
        client,
        callers.partner_a,
        ref,
        "status_change",
        {"to_status": "returned_independently", "reason": "pulang sendiri ke Alor", "occurred_on": went_home},
        note="Keluarga menelepon pendamping.",
    )
    created = response.json()
    assert created["reference"] == f"CR-{this_year()}-0001"
    assert created["status"] == "pending"
    assert created["person_id"] == ref  # the partner's own id, never the real one
    assert created["decided_at"] is None
    assert response.headers["location"] == f"{CHANGE_REQUESTS}/{created['id']}"
    assert response.headers["etag"] == f'"{created["version"]}"'

    # The officer's work queue shows the request under the person's real id.
    queue = await client.get(CHANGE_REQUESTS, params={"status": "pending"}, headers=callers.officer.headers)
    assert queue.status_code == 200, queue.text
    [item] = queue.json()["items"]
    assert item["id"] == created["id"]
    assert item["person_id"] == person["id"]
    assert item["agency_id"] == str(callers.agency_a.id)
    assert item["payload"] == {
        "to_status": "returned_independently",
        "reason": "pulang sendiri ke Alor",
        "occurred_on": went_home,
    }
    assert item["note"] == "Keluarga menelepon pendamping."

    one = await client.get(f"{CHANGE_REQUESTS}/{created['id']}", headers=callers.officer.headers)
    approved = await decide(client, callers.officer, created["id"], "approve", one.headers["etag"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == str(callers.officer.user.id)
    assert approved.headers["etag"] == f'"{approved.json()["version"]}"'

    assert (await get_person(client, callers, person["id"]))["status"] == "returned_independently"
    [entry] = [c for c in await change_rows(session, person["id"]) if c.kind == "status"]
    assert (entry.old_value, entry.new_value) == ("registered", "returned_independently")
    assert entry.source == "partner"
    assert entry.actor_id == callers.officer.user.id  # who applied it; the reference names who proposed
    assert entry.reason == f"{created['reference']} (change request): pulang sendiri ke Alor"
    assert entry.occurred_on == date.fromisoformat(went_home)

    history = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.officer.headers)
    assert [h["source"] for h in history.json() if h["kind"] == "status"] == ["partner"]

    seen = await client.get(f"{CHANGE_REQUESTS}/{created['id']}", headers=callers.partner_a.headers)
    assert seen.status_code == 200, seen.text
    outcome = seen.json()
    assert outcome["status"] == "approved"
    assert outcome["decided_at"] is not None
    assert outcome["decided_by"] is None  # officers' ids are not the partner's business
    assert outcome["person_id"] == ref

    actions = {e.action for e in (await session.scalars(select(AuditEvent))).all()}
    await session.rollback()
    assert {"change_request.create", "change_request.approve", "person.status_change"} <= actions


async def test_partner_correction_is_applied_field_by_field(client, callers, session):
    person, ref = await referred_person(client, callers, alias="Uji", birth_date="1995-04-12")
    response = await submitted(
        client,
        callers.partner_a,
        ref,
        "correction",
        {"alias": "Nona Uji", "birth_date": "1996-04-12", "origin_region_code": "5305"},
    )
    created = response.json()
    assert created["payload"] == {
        "alias": "Nona Uji",
        "birth_date": "1996-04-12",
        "origin_region_code": "53.05",  # normalized as everywhere else
    }

    approved = await decide(
        client, callers.officer, created["id"], "approve", response.headers["etag"], {"reason": "dicek KTP"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision_reason"] == "dicek KTP"

    stored = await person_row(session, person["id"])
    assert (stored.alias, stored.birth_date, stored.origin_region_code) == (
        "Nona Uji",
        date(1996, 4, 12),
        "53.05",
    )
    fields = [c for c in await change_rows(session, person["id"]) if c.kind == "field"]
    assert {c.field: (c.old_value, c.new_value) for c in fields} == {
        "alias": ("Uji", "Nona Uji"),
        "birth_date": ("1995-04-12", "1996-04-12"),
        "origin_region_code": ("53.01", "53.05"),
    }
    assert {c.source for c in fields} == {"partner"}
    assert {c.reason for c in fields} == {f"{created['reference']} (change request)"}
    assert {c.actor_id for c in fields} == {callers.officer.user.id}

    partner_view = await client.get(f"{PERSONS}/{ref}", headers=callers.partner_a.headers)
    assert partner_view.json()["alias"] == "Nona Uji"


async def test_rejection_carries_a_reason_and_changes_nothing(client, callers, session):
    person, ref = await referred_person(client, callers)
    before = await person_row(session, person["id"])
    response = await submitted(client, callers.partner_a, ref, "correction", {"full_name": "Warga Uji Lain"})
    request_id, etag = response.json()["id"], response.headers["etag"]

    missing = await decide(client, callers.officer, request_id, "reject", etag, {})
    assert_problem(missing, 422)
    rejected = await decide(
        client, callers.officer, request_id, "reject", etag, {"reason": "Nama sesuai KTP sudah benar."}
    )
    assert rejected.status_code == 200, rejected.text

    seen = (await client.get(f"{CHANGE_REQUESTS}/{request_id}", headers=callers.partner_a.headers)).json()
    assert seen["status"] == "rejected"
    assert seen["decision_reason"] == "Nama sesuai KTP sudah benar."
    assert seen["decided_at"] is not None

    after = await person_row(session, person["id"])
    assert (after.full_name, after.status, after.version) == (before.full_name, before.status, before.version)
    assert [c.kind for c in await change_rows(session, person["id"])] == ["created", "referral"]


async def test_references_count_per_year_in_order(client, callers, session):
    _, first = await referred_person(client, callers)
    _, second = await referred_person(client, callers)
    references = []
    for ref, alias in ((first, "Satu"), (second, "Dua"), (first, "Tiga")):
        response = await submitted(client, callers.partner_a, ref, "correction", {"alias": alias})
        references.append(response.json()["reference"])
    year = this_year()
    assert references == [f"CR-{year}-0001", f"CR-{year}-0002", f"CR-{year}-0003"]


async def test_concurrent_submissions_get_distinct_references(client, callers, session):
    _, ref = await referred_person(client, callers)
    responses = await asyncio.gather(
        *(submit(client, callers.partner_a, ref, "correction", {"alias": f"Uji {n}"}) for n in range(5))
    )
    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    year = this_year()
    assert sorted(r.json()["reference"] for r in responses) == [f"CR-{year}-000{n}" for n in range(1, 6)]


async def test_idempotent_submission_is_stored_once(client, callers, session):
    _, ref = await referred_person(client, callers)
    headers = {**callers.partner_a.headers, "Idempotency-Key": "cr-uji-1"}
    body = {"kind": "correction", "payload": {"alias": "Uji Ulang"}}
    first = await client.post(f"{PERSONS}/{ref}/change-requests", json=body, headers=headers)
    again = await client.post(f"{PERSONS}/{ref}/change-requests", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(await request_rows(session)) == 1


async def test_partner_withdraws_its_pending_request(client, callers, session):
    _, ref = await referred_person(client, callers)
    response = await submitted(client, callers.partner_a, ref, "correction", {"alias": "Uji Tarik"})
    request_id = response.json()["id"]

    other = await decide(client, callers.partner_b, request_id, "withdraw", response.headers["etag"])
    assert_problem(other, 404)
    withdrawn = await decide(client, callers.partner_a, request_id, "withdraw", response.headers["etag"])
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"

    late = await decide(client, callers.officer, request_id, "approve", withdrawn.headers["etag"])
    assert assert_problem(late, 409)["detail"] == "The change request is already withdrawn."


async def test_lists_by_person_for_partner_and_officer(client, callers, session):
    person, ref = await referred_person(client, callers)
    _, other_ref = await referred_person(client, callers)
    mine = (await submitted(client, callers.partner_a, ref, "correction", {"alias": "Uji A"})).json()
    await submitted(client, callers.partner_a, other_ref, "correction", {"alias": "Uji B"})
    status_change = {"to_status": "verified"}
    await submitted(client, callers.partner_a, ref, "status_change", status_change)

    by_partner = await client.get(f"{PERSONS}/{ref}/change-requests", headers=callers.partner_a.headers)
    assert by_partner.status_code == 200, by_partner.text
    assert [i["kind"] for i in by_partner.json()["items"]] == ["correction", "status_change"]
    assert {i["person_id"] for i in by_partner.json()["items"]} == {ref}

    filtered = await client.get(
        CHANGE_REQUESTS, params={"person_id": ref, "kind": "correction"}, headers=callers.partner_a.headers
    )
    assert [i["id"] for i in filtered.json()["items"]] == [mine["id"]]

    by_officer = await client.get(
        f"{PERSONS}/{person['id']}/change-requests", headers=callers.officer.headers
    )
    assert {i["person_id"] for i in by_officer.json()["items"]} == {person["id"]}
    assert len(by_officer.json()["items"]) == 2

    paged = await client.get(CHANGE_REQUESTS, params={"limit": 2}, headers=callers.auditor.headers)
    assert paged.status_code == 200, paged.text
    assert len(paged.json()["items"]) == 2
    rest = await client.get(
        CHANGE_REQUESTS,
        params={"limit": 2, "cursor": paged.json()["next_cursor"]},
        headers=callers.auditor.headers,
    )
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next_cursor"] is None


async def test_erasure_wipes_requests_and_closes_pending_ones(client, callers, session):
    person, ref = await referred_person(client, callers)
    response = await submitted(
        client, callers.partner_a, ref, "correction", {"full_name": "Warga Uji Rahasia"}, note="catatan uji"
    )
    erased = await client.post(
        f"{PERSONS}/{person['id']}/erasure",
        json={"reason": "permintaan subjek data"},
        headers=callers.admin.headers,
    )
    assert erased.status_code == 200, erased.text

    [row] = await request_rows(session)
    assert (row.payload, row.note, row.status) == ({}, None, "withdrawn")
    assert row.decision_reason == "The record was erased."
    assert row.id == uuid.UUID(response.json()["id"])

"""What a change request may not do: reach others' persons, propose what a partner may not, race."""

import uuid

from sqlalchemy import update

from app.persons.models import Person
from tests.change_requests.helpers import (
    CHANGE_REQUESTS,
    decide,
    get_person,
    referred_person,
    request_rows,
    submit,
    submitted,
)
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, assert_problem, error_locs, synthetic_nik


async def test_unreferred_person_is_404(client, callers, session):
    person, ref = await referred_person(client, callers)
    payload = {"to_status": "verified"}
    # Partner B has no referral; partner A names persons only by its own ids.
    assert_problem(await submit(client, callers.partner_b, ref, "status_change", payload), 404)
    assert_problem(await submit(client, callers.partner_a, person["id"], "status_change", payload), 404)

    site = await make_site(client, callers, code="KU")
    unreferred = await make_person(client, callers, site["id"])
    assert_problem(await submit(client, callers.partner_a, unreferred["id"], "status_change", payload), 404)

    ended = await client.delete(
        f"{PERSONS}/{person['id']}/referrals/{callers.agency_a.id}", headers=callers.officer.headers
    )
    assert ended.status_code == 204, ended.text
    assert_problem(await submit(client, callers.partner_a, ref, "status_change", payload), 404)
    assert await request_rows(session) == []


async def test_other_partner_sees_nothing_of_it(client, callers, session):
    _, ref = await referred_person(client, callers)
    created = (await submitted(client, callers.partner_a, ref, "correction", {"alias": "Uji"})).json()

    assert_problem(
        await client.get(f"{CHANGE_REQUESTS}/{created['id']}", headers=callers.partner_b.headers), 404
    )
    listed = await client.get(CHANGE_REQUESTS, headers=callers.partner_b.headers)
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    by_ref = await client.get(CHANGE_REQUESTS, params={"person_id": ref}, headers=callers.partner_b.headers)
    assert by_ref.json()["items"] == []
    assert_problem(
        await client.get(f"{PERSONS}/{ref}/change-requests", headers=callers.partner_b.headers), 404
    )


async def test_roles(client, callers, session):
    person, ref = await referred_person(client, callers)
    payload = {"to_status": "verified"}
    # Staff change persons directly; viewers see statistics only.
    for caller in (callers.officer, callers.admin, callers.auditor, callers.viewer):
        assert_problem(await submit(client, caller, person["id"], "status_change", payload), 403)
    response = await submitted(client, callers.partner_a, ref, "status_change", payload)
    request_id, etag = response.json()["id"], response.headers["etag"]
    for caller in (callers.partner_a, callers.auditor, callers.viewer):
        assert_problem(await decide(client, caller, request_id, "approve", etag), 403)
    assert_problem(await client.get(CHANGE_REQUESTS, headers=callers.viewer.headers), 403)
    auditor_view = await client.get(f"{CHANGE_REQUESTS}/{request_id}", headers=callers.auditor.headers)
    assert auditor_view.json()["person_id"] == person["id"]


async def test_illegal_transition_is_409_at_submission_and_at_approval(client, callers, session):
    person, ref = await referred_person(client, callers)
    refused = await submit(client, callers.partner_a, ref, "status_change", {"to_status": "handed_over"})
    problem = assert_problem(refused, 409)
    assert problem["current_status"] == "registered"
    assert problem["allowed"] == ["declined", "not_located", "returned_independently", "staying", "verified"]
    assert await request_rows(session) == []

    response = await submitted(client, callers.partner_a, ref, "status_change", {"to_status": "verified"})
    # Meanwhile the officer learns the person went home alone: "verified" no longer follows.
    moved = await client.post(
        f"{PERSONS}/{person['id']}/status-changes",
        json={"to_status": "returned_independently"},
        headers=callers.officer.headers,
    )
    assert moved.status_code == 200, moved.text
    late = await decide(client, callers.officer, response.json()["id"], "approve", response.headers["etag"])
    assert assert_problem(late, 409)["allowed"] == []
    [row] = await request_rows(session)
    assert (row.status, row.decided_at) == ("pending", None)  # nothing changed: the officer may reject it
    assert (await get_person(client, callers, person["id"]))["status"] == "returned_independently"


async def test_deciding_twice_is_409(client, callers, session):
    person, ref = await referred_person(client, callers)
    response = await submitted(client, callers.partner_a, ref, "status_change", {"to_status": "verified"})
    request_id = response.json()["id"]
    approved = await decide(client, callers.officer, request_id, "approve", response.headers["etag"])
    assert approved.status_code == 200, approved.text
    etag = approved.headers["etag"]

    again = await decide(client, callers.officer, request_id, "approve", etag)
    assert assert_problem(again, 409)["type"] == "/problems/change-request-decided"
    assert_problem(
        await decide(client, callers.admin, request_id, "reject", etag, {"reason": "terlambat"}), 409
    )
    assert_problem(await decide(client, callers.partner_a, request_id, "withdraw", etag), 409)
    status_changes = [
        h
        for h in (
            await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.officer.headers)
        ).json()
        if h["kind"] == "status"
    ]
    assert len(status_changes) == 1


async def test_if_match_is_required_and_checked(client, callers, session):
    person, ref = await referred_person(client, callers)
    response = await submitted(client, callers.partner_a, ref, "correction", {"alias": "Uji Versi"})
    request_id = response.json()["id"]
    assert_problem(await decide(client, callers.officer, request_id, "approve", None), 428)
    assert_problem(await decide(client, callers.officer, request_id, "approve", '"99"'), 412)
    assert_problem(await decide(client, callers.officer, request_id, "reject", '"99"', {"reason": "x"}), 412)
    [row] = await request_rows(session)
    assert row.status == "pending"
    assert (await get_person(client, callers, person["id"]))["alias"] == "Uji"


async def test_fields_a_partner_may_not_propose_are_422_without_echo(client, callers, session):
    _, ref = await referred_person(client, callers)
    secret = synthetic_nik(9101)
    for field, value in (("nik", secret), ("notes", "catatan rahasia uji"), ("phone", "+62 812 0000 9101")):
        response = await submit(client, callers.partner_a, ref, "correction", {"alias": "Uji", field: value})
        problem = assert_problem(response, 422)
        assert ["body", "payload", field] in error_locs(problem)
        assert value not in response.text
    assert await request_rows(session) == []


async def test_bad_proposals_are_422(client, callers, session):
    _, ref = await referred_person(client, callers)
    cases = [
        ("correction", {}, ["body", "payload"]),
        ("correction", {"full_name": None}, ["body", "payload", "full_name"]),
        ("correction", {"sex": "other"}, ["body", "payload", "sex"]),
        ("correction", {"birth_date": "2999-01-01"}, ["body", "payload", "birth_date"]),
        ("correction", {"origin_region_code": "99.99"}, ["body", "payload", "origin_region_code"]),
        ("correction", {"domicile_region_code": "53"}, ["body", "payload", "domicile_region_code"]),
        ("status_change", {}, ["body", "payload", "to_status"]),
        ("status_change", {"to_status": "gone"}, ["body", "payload", "to_status"]),
        (
            "status_change",
            {"to_status": "verified", "occurred_on": "2999-01-01"},
            ["body", "payload", "occurred_on"],
        ),
        ("status_change", {"to_status": "verified", "alias": "x"}, ["body", "payload", "alias"]),
        ("rename", {"alias": "x"}, ["body", "kind"]),
    ]
    for kind, payload, loc in cases:
        problem = assert_problem(await submit(client, callers.partner_a, ref, kind, payload), 422)
        assert loc in error_locs(problem), (kind, payload, problem)
    extra = await client.post(
        f"{PERSONS}/{ref}/change-requests",
        json={"kind": "correction", "payload": {"alias": "x"}, "status": "approved"},
        headers=callers.partner_a.headers,
    )
    assert ["body", "status"] in error_locs(assert_problem(extra, 422))
    assert await request_rows(session) == []


async def test_a_restricted_person_is_unknown_to_partners_and_changed_by_staff_under_a_purpose(
    client, callers, session
):
    person, ref = await referred_person(client, callers)
    response = await submitted(client, callers.partner_a, ref, "status_change", {"to_status": "staying"})
    await session.execute(update(Person).where(Person.id == uuid.UUID(person["id"])).values(restricted=True))
    await session.commit()
    # Partners never lift a restriction: the person is unknown to them (404, never 403).
    refused = await client.post(
        f"{PERSONS}/{ref}/change-requests",
        json={"kind": "status_change", "payload": {"to_status": "staying"}},
        headers=callers.partner_a.headers,
    )
    assert_problem(refused, 404)
    closed = await decide(client, callers.officer, response.json()["id"], "approve", response.headers["etag"])
    assert assert_problem(closed, 403)["type"].endswith("/restricted-record")
    approved = await client.post(
        f"{CHANGE_REQUESTS}/{response.json()['id']}/approve",
        headers={
            **callers.officer.headers,
            "If-Match": response.headers["etag"],
            "X-Purpose": "legal_obligation",
        },
    )
    assert approved.status_code == 200, approved.text


async def test_a_restricted_persons_requests_are_read_only_with_a_stated_purpose(client, callers, session):
    person, ref = await referred_person(client, callers)
    response = await submitted(
        client, callers.partner_a, ref, "correction", {"full_name": "Warga Uji Terbatas"}
    )
    request_id = response.json()["id"]
    restrict = await client.post(
        f"{PERSONS}/{person['id']}/restriction",
        json={"reason": "keberatan subjek data (uji)"},
        headers=callers.officer.headers,
    )
    assert restrict.status_code == 200, restrict.text

    # As for the person's own record: without a purpose, nothing of the restricted person is shown.
    cases = [(callers.officer, {}), (callers.auditor, {}), (callers.partner_a, {})]
    cases.append((callers.partner_a, {"X-Purpose": "audit_review"}))
    for caller, purpose in cases:
        headers = {**caller.headers, **purpose}
        one = await client.get(f"{CHANGE_REQUESTS}/{request_id}", headers=headers)
        # Partners: unknown (404), whatever they send; staff: a purpose code is needed (403).
        if caller is callers.partner_a:
            assert assert_problem(one, 404)["type"].endswith("/change-request-not-found")
        else:
            assert assert_problem(one, 403)["type"].endswith("/restricted-record")
        listed = await client.get(CHANGE_REQUESTS, headers=headers)
        assert listed.status_code == 200 and listed.json()["items"] == []
        assert "Warga Uji Terbatas" not in one.text + listed.text

    purpose = {**callers.officer.headers, "X-Purpose": "audit_review"}
    one = await client.get(f"{CHANGE_REQUESTS}/{request_id}", headers=purpose)
    assert one.status_code == 200 and one.json()["payload"] == {"full_name": "Warga Uji Terbatas"}
    listed = await client.get(CHANGE_REQUESTS, headers=purpose)
    assert [item["id"] for item in listed.json()["items"]] == [request_id]

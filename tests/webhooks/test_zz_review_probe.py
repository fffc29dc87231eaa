"""TEMPORARY reviewer probe: malformed requests (deleted after the review)."""

import uuid

import pytest

from tests.change_requests.helpers import CHANGE_REQUESTS, referred_person, submit, submitted
from tests.webhooks import WEBHOOKS, subscribe


@pytest.mark.usefixtures("private_targets")
async def test_probe(app, client, callers):
    results = []
    async def show(label, r):
        results.append(f"{label}: {r.status_code} {r.text[:160]}")

    a = callers.admin.headers
    for body in (
        {"url": "http://127.0.0.1:9/\u0000", "event_types": ["person.referred"]},
        {"url": "http://127.0.0.1:9/\u0001", "event_types": ["person.referred"]},
        {"url": "http://127.0.0.1:9/ok", "event_types": []},
        {"url": "http://127.0.0.1:9/ok", "event_types": ["nope"]},
        {"url": "http://127.0.0.1:9/ok", "event_types": "person.referred"},
        {"url": "http://127.0.0.1:9/ok", "event_types": ["person.referred"], "agency_id": str(uuid.uuid4())},
        {"url": "http://127.0.0.1:9/ok", "event_types": ["person.referred"], "agency_id": "x"},
        {"url": "http://127.0.0.1:99999/ok", "event_types": ["person.referred"]},
        {"url": "http://[::1/ok", "event_types": ["person.referred"]},
        {"url": "ftp://127.0.0.1/ok", "event_types": ["person.referred"]},
        {"url": "http://" + "a" * 300 + ".com/", "event_types": ["person.referred"]},
        {"url": "http://" + ("a" * 63 + ".") * 30 + "com/", "event_types": ["person.referred"]},
        {"url": "http://127.0.0.1:9/ok", "event_types": ["person.referred"], "description": "\u0000"},
        [1, 2],
        "x",
    ):
        await show(f"create {str(body)[:60]!r}", await client.post(WEBHOOKS, json=body, headers=a))
    await show("create nonjson", await client.post(WEBHOOKS, content=b"{", headers={**a, "content-type": "application/json"}))
    hook = await subscribe(client, callers.admin, "http://127.0.0.1:9/ok", ["person.referred"])
    for body in ({"url": None}, {"url": "http://127.0.0.1:9/\u0000"}, {"event_types": ["determination.changed", "determination.changed"]}, {"active": "maybe"}, {"unknown": 1}):
        await show(f"patch {body!r}", await client.patch(f"{WEBHOOKS}/{hook['id']}", json=body, headers={**a, "If-Match": '"1"'}))
    await show("patch bad if-match", await client.patch(f"{WEBHOOKS}/{hook['id']}", json={}, headers={**a, "If-Match": 'garbage'}))
    await show("get bad id", await client.get(f"{WEBHOOKS}/not-a-uuid", headers=a))
    await show("list bad cursor", await client.get(f"{WEBHOOKS}?cursor=%%%", headers=a))
    await show("list bad status", await client.get(f"{WEBHOOKS}/{hook['id']}/deliveries?status=zzz", headers=a))
    await show("list limit", await client.get(f"{WEBHOOKS}?limit=100000", headers=a))
    await show("idem create 1", await client.post(WEBHOOKS, json={"url": "http://127.0.0.1:9/i", "event_types": ["person.referred"]}, headers={**a, "Idempotency-Key": "k1"}))
    await show("idem create 2", await client.post(WEBHOOKS, json={"url": "http://127.0.0.1:9/i", "event_types": ["person.referred"]}, headers={**a, "Idempotency-Key": "k1"}))

    person, ref = await referred_person(client, callers)
    p = callers.partner_a.headers
    for kind, payload, extra in (
        ("status_change", {}, {}),
        ("status_change", {"to_status": "nope"}, {}),
        ("status_change", {"to_status": "verified", "occurred_on": "2020-13-45"}, {}),
        ("status_change", {"to_status": "verified", "occurred_on": "9999-01-01"}, {}),
        ("correction", {"full_name": "\u0000x"}, {}),
        ("correction", {"birth_date": "1800-01-01"}, {}),
        ("correction", {"origin_region_code": "99.99"}, {}),
        ("correction", {"origin_region_code": None}, {}),
        ("correction", {"nik": "123"}, {}),
        ("correction", {"full_name": "Warga Uji 2"}, {"note": "\u0000"}),
        ("correction", {"full_name": "Warga Uji 2"}, {"note": "x" * 3000}),
        ("correction", [1], {}),
        ("other", {}, {}),
        ("correction", {"full_name": {"a": 1}}, {}),
        ("correction", {"sex": None}, {}),
        ("correction", {"alias": None, "birth_date": None}, {}),
    ):
        await show(f"submit {kind} {str(payload)[:50]} {str(extra)[:20]}", await submit(client, callers.partner_a, ref, kind, payload, **extra))
    await show("submit other person", await submit(client, callers.partner_b, ref, "correction", {"full_name": "Warga Uji 3"}))
    await show("submit by officer", await submit(client, callers.officer, person["id"], "correction", {"full_name": "Warga Uji 3"}))
    r = await submitted(client, callers.partner_a, ref, "correction", {"full_name": "Warga Uji 4"})
    cr = r.json()
    o = callers.officer.headers
    await show("approve no if-match", await client.post(f"{CHANGE_REQUESTS}/{cr['id']}/approve", headers=o))
    await show("approve bad body", await client.post(f"{CHANGE_REQUESTS}/{cr['id']}/approve", content=b"[", headers={**o, "If-Match": '"1"', "content-type": "application/json"}))
    await show("approve body list", await client.post(f"{CHANGE_REQUESTS}/{cr['id']}/approve", json=[1], headers={**o, "If-Match": '"1"'}))
    await show("reject no body", await client.post(f"{CHANGE_REQUESTS}/{cr['id']}/reject", headers={**o, "If-Match": '"1"'}))
    await show("reject ctl", await client.post(f"{CHANGE_REQUESTS}/{cr['id']}/reject", json={"reason": "\u0000"}, headers={**o, "If-Match": '"1"'}))
    await show("partner b reads", await client.get(f"{CHANGE_REQUESTS}/{cr['id']}", headers=callers.partner_b.headers))
    await show("list filter bad", await client.get(f"{CHANGE_REQUESTS}?person_id=zz&status=q", headers=o))
    await show("viewer reads", await client.get(f"{CHANGE_REQUESTS}", headers=callers.viewer.headers))
    await show("partner list", await client.get(f"{CHANGE_REQUESTS}", headers=p))
    await show("approve", await client.post(f"{CHANGE_REQUESTS}/{cr['id']}/approve", json={"reason": "ok"}, headers={**o, "If-Match": '"1"'}))
    await show("approve again", await client.post(f"{CHANGE_REQUESTS}/{cr['id']}/approve", json={"reason": "ok"}, headers={**o, "If-Match": '"2"'}))
    await show("metrics", await client.get("/metrics"))
    await show("weird method", await client.request("FOOBAR", "/api/v1/webhooks", headers=a))
    print("\n".join(results))

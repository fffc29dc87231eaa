"""An attacker replays, reads and waits for webhooks after erasure, restriction or a referral's end.

Issue 13, findings 1, 6 and 10 (webhook half). Attackers: the officer who sent a POST (and the
admin), a partner whose referral ended. Sequences of erase / restrict / end-referral are drawn by
hypothesis; each example makes its own person, so earlier examples cannot help or hide a leak.
"""

import itertools
import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from app.change_requests.models import ChangeRequest
from app.db import utcnow
from app.idempotency import deps as idempotency_deps
from app.idempotency import service as idempotency_service
from app.idempotency.models import IdempotencyKey
from app.security.policy import POLICY, Role
from tests.change_requests.helpers import CHANGE_REQUESTS, decide, submitted
from tests.coordination.helpers import set_status
from tests.declared import declared
from tests.factories import Caller
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, partner_id, refer, synthetic_nik
from tests.webhooks import deliveries, hook_url, received, run_worker, subscribe

# The webhook tests' fixtures: a local receiver, and the setting that lets the worker call it.
from tests.webhooks.conftest import _receiver_server, private_targets, receiver  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_targets")

ACTIONS = ("restrict", "end_referral", "erase")
SERIALS = itertools.count(9500)
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOOK = {"url": "http://127.0.0.1:9/uji", "event_types": ["meeting.created"]}
action_sequences = st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True)


async def _person(client, callers, site_id: str) -> tuple[dict[str, Any], str]:
    nik = synthetic_nik(next(SERIALS))
    person = await make_person(
        client, callers, site_id, nik=nik, phone="081200009999", domicile_address="Jalan Uji 1"
    )
    return person, nik


async def _apply(client, callers, person_id: str, agency_id: uuid.UUID, action: str) -> bool:
    """Do `action` as the admin; whether it took effect (erased records refuse some of them)."""
    # A restricted record is changed only for a named purpose (the person's own request here).
    admin = callers.admin.headers | {"X-Purpose": "data_subject_request"}
    reason = {"reason": "uji keamanan"}
    if action == "restrict":
        response = await client.post(f"{PERSONS}/{person_id}/restriction", json=reason, headers=admin)
    elif action == "erase":
        response = await client.post(f"{PERSONS}/{person_id}/erasure", json=reason, headers=admin)
    else:
        response = await client.delete(f"{PERSONS}/{person_id}/referrals/{agency_id}", headers=admin)
    assert response.status_code < 500, response.text
    return response.is_success


def _leaks(text: str, person: dict[str, Any], nik: str) -> list[str]:
    values = (person["full_name"], nik, nik[-8:], "081200009999", "Jalan Uji 1")
    return [v for v in values if v in text]


# --- finding 1: replays after erasure and restriction ------------------------------------


@EXAMPLES
@given(attacker=st.sampled_from(["officer", "admin"]), actions=action_sequences)
async def test_a_replayed_referral_answers_only_what_a_read_would(client, callers, attacker, actions):
    site = await make_site(client, callers, code=f"KD{uuid.uuid4().hex[:4].upper()}")
    person, nik = await _person(client, callers, site["id"])
    caller = getattr(callers, attacker)
    headers = caller.headers | {"Idempotency-Key": f"refer-{uuid.uuid4()}"}
    body = {"agency_id": str(callers.agency_a.id), "reason": "pendampingan"}
    url = f"{PERSONS}/{person['id']}/referrals"
    first = await client.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    done = {a for a in actions if await _apply(client, callers, person["id"], callers.agency_a.id, a)}

    replay = await client.post(url, json=body, headers=headers)
    read = await client.get(f"{PERSONS}/{person['id']}", headers=caller.headers)

    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.status_code == (201 if read.status_code == 200 else read.status_code)
    assert replay.json() == read.json()
    if done & {"restrict", "erase"}:
        assert replay.status_code != 201 or replay.json()["erased"], replay.text
        assert _leaks(replay.text, person, nik) == []


@pytest.mark.parametrize(
    ("who", "url", "body", "deleted"),
    [(who, "/api/v1/webhooks", HOOK, deleted) for who in ("partner_a", "admin") for deleted in (False, True)]
    + [("admin", "/api/v1/api-clients", {"name": "klien-uji", "role": "viewer"}, False)],
)
async def test_a_replayed_creation_never_shows_the_secret_again(
    app,
    client,
    callers,
    who,
    url,
    body,
    deleted,
):
    """The resource as its GET shows it (no secret); once deleted, the replay is the read's 404."""
    headers = getattr(callers, who).headers | {"Idempotency-Key": f"secret-{uuid.uuid4()}"}
    first = await client.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    secret = first.json().get("secret") or first.json().get("client_secret")
    assert secret
    if deleted:
        gone = await client.delete(first.headers["location"], headers=getattr(callers, who).headers)
        assert gone.status_code == 204, gone.text

    replay = await client.post(url, json=body, headers=headers)

    assert secret not in replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    if deleted:
        assert replay.status_code == 404
    else:
        read = await client.get(first.headers["location"], headers=getattr(callers, who).headers)
        assert (replay.status_code, replay.json()) == (201, read.json())
    async with app.state.sessionmaker() as session:
        stored = [
            json.dumps([str(v) for v in row])
            for row in (await session.execute(select(*IdempotencyKey.__table__.columns))).all()
        ]
    assert not any(secret in row for row in stored)


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


def _permission(dependant: Dependant) -> str:
    for d in dependant.dependencies:
        found = getattr(d.call, "permission", None) or _permission(d)
        if found:
            return found
    return ""


def _idempotent_posts(app: Any) -> list[tuple[str, Dependant]]:
    """(path template, dependant) of every POST that takes an Idempotency-Key (the policy test's walk)."""
    found = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None) or getattr(context.original_route, "dependant", None)
        if "POST" in (context.methods or ()) and dependant and _uses(dependant, idempotency_deps.idempotency):
            found.append((context.path, dependant))
    return found


def _caller_for(permission: str, callers: Any) -> Any:
    """A test caller whose role holds `permission`."""
    for name, role in (("officer", Role.officer), ("admin", Role.admin), ("partner_a", Role.partner)):
        if role in POLICY[permission]:
            return getattr(callers, name)
    raise AssertionError(f"no test caller holds {permission}")


async def test_every_idempotent_post_replays_through_the_read_of_its_stored_location(
    app, client, callers, session
):
    """Walks every POST with IdempotencyDep: a claimed key answers the GET of its location, nothing else.

    The key row is planted with a location every caller may read (/api/v1/me), before the route's
    own validation could run: a route that answered a replay any other way (a stored body, its own
    code) would not return that read.
    """
    routes = _idempotent_posts(app)
    assert len(routes) >= 20, routes
    for template, dependant in routes:
        caller = _caller_for(_permission(dependant), callers)
        # The key row as the route itself would store it: with its own success status (200 or 201).
        [answered] = [int(s) for s in declared("POST", template) if s.startswith("2")]
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        key, now = f"walk-{uuid.uuid4()}", utcnow()
        session.add(
            IdempotencyKey(
                owner=f"user:{caller.user.id}",
                key=key,
                request_digest=idempotency_service.request_digest("POST", path, "", b"{}"),
                status_code=answered,
                location="/api/v1/me",
                created_at=now,
                expires_at=now.replace(year=now.year + 1),
            )
        )
        await session.commit()
        replay = await client.post(
            path,
            content=b"{}",
            headers=caller.headers | {"Idempotency-Key": key, "Content-Type": "application/json"},
        )
        me = await client.get("/api/v1/me", headers=caller.headers)
        assert replay.status_code == answered, (template, replay.text)
        assert replay.headers["idempotent-replayed"] == "true", template
        # Location names the created resource: on a 201 only.
        assert replay.headers.get("location") == ("/api/v1/me" if answered == 201 else None), template
        assert replay.json() == me.json(), template


# --- finding 6: a referral's end ends the partner's access ---------------------------------


@EXAMPLES
@given(ending=st.sampled_from(["end_referral", "erase"]), before=st.sampled_from([None, "restrict"]))
async def test_after_the_referral_ends_the_partner_loses_its_change_requests(
    app, client, callers, ending, before
):
    site = await make_site(client, callers, code=f"KD{uuid.uuid4().hex[:4].upper()}")
    person, _ = await _person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    ref = await partner_id(client, callers.partner_a, person["full_name"])
    key = {"Idempotency-Key": f"cr-{uuid.uuid4()}"}
    body = {"kind": "correction", "payload": {"alias": "Uji Baru"}, "note": "catatan uji"}
    submit_url = f"{PERSONS}/{ref}/change-requests"
    first = await client.post(submit_url, json=body, headers=callers.partner_a.headers | key)
    assert first.status_code == 201, first.text
    decided = await submitted(client, callers.partner_a, ref, "correction", {"alias": "Uji Dua"})
    assert (
        await decide(
            client,
            callers.officer,
            decided.json()["id"],
            "reject",
            decided.headers["etag"],
            {"reason": "tidak sesuai"},
        )
    ).status_code == 200
    request_id = first.json()["id"]
    if before:
        await _apply(client, callers, person["id"], callers.agency_a.id, before)
    assert await _apply(client, callers, person["id"], callers.agency_a.id, ending)

    partner = callers.partner_a.headers
    for rid in (request_id, decided.json()["id"]):
        assert (await client.get(f"{CHANGE_REQUESTS}/{rid}", headers=partner)).status_code == 404
    listed = await client.get(CHANGE_REQUESTS, headers=partner)
    assert {request_id, decided.json()["id"]}.isdisjoint(i["id"] for i in listed.json()["items"])
    by_person = await client.get(CHANGE_REQUESTS, headers=partner, params={"person_id": ref})
    assert by_person.json()["items"] == []
    replay = await client.post(submit_url, json=body, headers=partner | key)
    assert replay.status_code == 404, replay.text

    async with app.state.sessionmaker() as session:
        row = await session.get(ChangeRequest, uuid.UUID(request_id))
    assert row.status == "withdrawn"
    assert row.decision_reason in ("Withdrawn: the referral ended.", "The record was erased.")
    assert row.decided_at is not None
    # Even for a purpose that would open a restricted record, a withdrawn request is decided.
    officer = Caller(callers.officer.user, callers.officer.token)
    officer.headers |= {"X-Purpose": "restriction_review"}
    approve = await decide(client, officer, request_id, "approve", f'"{row.version}"')
    assert approve.status_code == 409, approve.text


# --- findings 6 and 10: webhooks checked at send time; partners told of erasure -----------


PARTNER_EVENTS = ["person.status_changed", "person.referred", "person.erased", "person.restricted"]


@pytest.mark.parametrize("retried", [False, True])
@pytest.mark.parametrize("action", ACTIONS)
async def test_a_queued_delivery_goes_out_only_if_the_agency_may_still_read_it(
    app,
    client,
    callers,
    request,
    action,
    retried,
):
    server = request.getfixturevalue("receiver")
    server.expect_request("/p", method="POST").respond_with_data("down", status=503 if retried else 200)
    hook = await subscribe(client, callers.partner_a, hook_url(server, "/p"), PARTNER_EVENTS)
    site = await make_site(client, callers)
    person, nik = await _person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    own_id = await partner_id(client, callers.partner_a, person["full_name"])
    if retried:  # the referral's event fails once, and waits for its retry
        await run_worker(app)
        server.clear()
        server.expect_request("/p", method="POST").respond_with_data("ok")
    await set_status(client, callers, person["id"], "verified")

    assert await _apply(client, callers, person["id"], callers.agency_a.id, action)
    # An hour on: the failed first attempt's retry is due too.
    await run_worker(app, now=utcnow() + timedelta(hours=1))

    rows = {r.event_type: r for r in await deliveries(app, hook["id"])}
    for event in ("person.referred", "person.status_changed"):
        assert (rows[event].status, rows[event].payload) == ("dropped", {}), event
        assert rows[event].last_error.startswith("dropped")
    messages = [Webhook(hook["secret"]).verify(body, headers) for body, headers in received(server, "/p")]
    sent = [m for m in messages if m["type"] in ("person.referred", "person.status_changed")]
    assert sent == [], sent
    told = [m for m in messages if m["type"] in ("person.erased", "person.restricted")]
    expected = {"restrict": ["person.restricted"], "erase": ["person.erased"], "end_referral": []}[action]
    assert [m["type"] for m in told] == expected
    for m in told:
        assert set(m["data"]) == {"person_id", "occurred_at"} and m["data"]["person_id"] == own_id
    for body, _ in received(server, "/p"):
        assert _leaks(body.decode(), person, nik) == [] and person["id"] not in body.decode()
    log = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=callers.partner_a.headers)
    assert {d["status"] for d in log.json()["items"] if d["event_type"] == "person.status_changed"} == {
        "dropped"
    }


async def test_only_agencies_referred_at_that_moment_are_told(
    app,
    client,
    callers,
    request,
):
    server = request.getfixturevalue("receiver")
    server.expect_request("/a", method="POST").respond_with_data("ok")
    server.expect_request("/b", method="POST").respond_with_data("ok")
    hook_a = await subscribe(client, callers.partner_a, hook_url(server, "/a"), ["person.erased"])
    await subscribe(client, callers.partner_b, hook_url(server, "/b"), ["person.erased"])
    site = await make_site(client, callers)
    person, _ = await _person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    await refer(client, callers, person["id"], callers.agency_b)
    own_id = await partner_id(client, callers.partner_a, person["full_name"])
    assert await _apply(client, callers, person["id"], callers.agency_b.id, "end_referral")
    assert await _apply(client, callers, person["id"], callers.agency_a.id, "erase")
    await run_worker(app)
    [(body, headers)] = received(server, "/a")
    assert Webhook(hook_a["secret"]).verify(body, headers)["data"]["person_id"] == own_id
    assert received(server, "/b") == []


@pytest.mark.parametrize("action", ACTIONS)
async def test_a_retried_status_change_is_not_sent_after_access_ends(app, client, callers, request, action):
    """Only the events that existed before: the failed attempt's retry finds the access gone."""
    server = request.getfixturevalue("receiver")
    server.expect_request("/r", method="POST").respond_with_data("down", status=503)
    hook = await subscribe(client, callers.partner_a, hook_url(server, "/r"), ["person.status_changed"])
    site = await make_site(client, callers)
    person, _ = await _person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    await set_status(client, callers, person["id"], "verified")
    await run_worker(app)  # the first attempt fails: a retry is scheduled
    server.clear()
    server.expect_request("/r", method="POST").respond_with_data("ok")

    assert await _apply(client, callers, person["id"], callers.agency_a.id, action)
    await run_worker(app, now=utcnow() + timedelta(hours=1))

    assert received(server, "/r") == []
    [row] = await deliveries(app, hook["id"])
    assert (row.status, row.payload, row.attempt_count) == ("dropped", {}, 1)

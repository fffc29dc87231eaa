"""The audit trail: what is written, who may search it, and that nobody can rewrite it."""

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.agencies.models import Agency
from app.audit import service as audit
from app.audit.models import AuditDenialCount, AuditEvent
from app.security.policy import Role
from app.security.principal import Actor

EVENTS = "/api/v1/audit-events"
CLIENT_IP = "203.0.113.7"  # the test client's address (conftest)


async def _events(client, callers, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get(EVENTS, params=filters | {"limit": 200}, headers=callers.auditor.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _synthetic_actor(role: Role = Role.officer) -> Actor:
    return Actor(kind="user", id=uuid.uuid4(), role=role, agency_id=None, token_id=uuid.uuid4())


async def test_agency_changes_are_audited_with_actor_and_resource(client, callers):
    body = {"name": "Dinas Pariwisata Uji", "kind": "government", "region_code": "53.71"}
    created = await client.post("/api/v1/agencies", json=body, headers=callers.officer.headers)
    assert created.status_code == 201
    agency_id = created.json()["id"]
    patched = await client.patch(
        f"/api/v1/agencies/{agency_id}",
        json={"acronym": "DISPAR"},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200
    deleted = await client.delete(f"/api/v1/agencies/{agency_id}", headers=callers.admin.headers)
    assert deleted.status_code == 204

    events = await _events(client, callers, resource_type="agency", resource_id=agency_id)
    assert [e["action"] for e in events] == ["agency.create", "agency.update", "agency.delete"]
    for event, caller in zip(events, (callers.officer, callers.officer, callers.admin), strict=True):
        assert event["actor_kind"] == "user"
        assert event["actor_id"] == str(caller.user.id)
        assert event["actor_role"] == caller.user.role
        assert event["resource_type"] == "agency"
        assert event["resource_id"] == agency_id
        assert event["outcome"] == "success"
        assert event["client_ip"] == CLIENT_IP
        assert event["request_id"]
        assert event["person_ids"] == []


async def test_request_id_is_the_servers_and_the_callers_is_the_correlation_id(client, callers):
    body = {"name": "Dinas Kesehatan Uji", "kind": "government", "region_code": "53.71"}
    created = await client.post(
        "/api/v1/agencies",
        json=body,
        headers={**callers.officer.headers, "X-Request-ID": "uji-permintaan-42"},
    )
    assert created.headers["x-correlation-id"] == "uji-permintaan-42"
    (event,) = await _events(client, callers, resource_id=created.json()["id"])
    assert event["request_id"] == created.headers["x-request-id"] != "uji-permintaan-42"
    assert event["correlation_id"] == "uji-permintaan-42"


async def test_a_failed_change_leaves_no_success_event(client, callers):
    body = {"name": "Satpol PP Uji", "kind": "government", "region_code": "53.71"}
    assert (
        await client.post("/api/v1/agencies", json=body, headers=callers.officer.headers)
    ).status_code == 201
    duplicate = await client.post("/api/v1/agencies", json=body, headers=callers.officer.headers)
    assert duplicate.status_code == 409
    assert len(await _events(client, callers, action="agency.create")) == 1


async def test_unauthenticated_requests_are_counted_per_address(client, session, callers):
    assert (await client.get("/api/v1/agencies")).status_code == 401
    bad = await client.get("/api/v1/agencies", headers={"Authorization": "Bearer bukan-token-yang-sah"})
    assert bad.status_code == 401

    assert await _events(client, callers, outcome="denied", action="GET /api/v1/agencies") == []
    [(address, count)] = (
        await session.execute(select(AuditDenialCount.client_ip, AuditDenialCount.count))
    ).all()
    assert (address, count) == (CLIENT_IP, 2)


async def test_forbidden_requests_are_audited_as_denied(client, session, callers):
    body = {"name": "Lembaga Terlarang Uji", "kind": "ngo", "region_code": "53.71"}
    response = await client.post("/api/v1/agencies", json=body, headers=callers.viewer.headers)
    assert response.status_code == 403

    (event,) = await _events(client, callers, actor_id=str(callers.viewer.user.id))
    assert event["outcome"] == "denied"
    assert event["status_code"] == 403
    assert event["action"] == "POST /api/v1/agencies"
    assert event["actor_role"] == "viewer"
    assert event["actor_kind"] == "user"
    # The denied attempt changed nothing.
    stored = await session.scalar(select(func.count()).where(Agency.name == "Lembaga Terlarang Uji"))
    await session.commit()
    assert stored == 0


async def test_not_found_is_audited_as_denied_with_the_resource(client, callers):
    missing = uuid.uuid4()
    response = await client.get(f"/api/v1/agencies/{missing}", headers=callers.partner_a.headers)
    assert response.status_code == 404

    (event,) = await _events(client, callers, resource_id=str(missing))
    assert event["outcome"] == "denied"
    assert event["status_code"] == 404
    assert event["action"] == "GET /api/v1/agencies/{agency_id}"
    assert event["resource_type"] == "agency"
    assert event["actor_id"] == str(callers.partner_a.user.id)
    assert event["agency_id"] == str(callers.agency_a.id)


async def test_filters_by_actor_action_resource_and_outcome(client, callers):
    for name in ("Yayasan Filter Satu", "Yayasan Filter Dua"):
        body = {"name": name, "kind": "ngo", "region_code": "53.71"}
        assert (
            await client.post("/api/v1/agencies", json=body, headers=callers.officer.headers)
        ).status_code == 201
    body = {"name": "Yayasan Filter Tiga", "kind": "ngo", "region_code": "53.71"}
    third = await client.post("/api/v1/agencies", json=body, headers=callers.admin.headers)
    refused = await client.post("/api/v1/agencies", json=body, headers=callers.viewer.headers)
    assert refused.status_code == 403

    by_officer = await _events(client, callers, actor_id=str(callers.officer.user.id))
    assert [e["action"] for e in by_officer] == ["agency.create", "agency.create"]
    assert {e["actor_id"] for e in by_officer} == {str(callers.officer.user.id)}

    creates = await _events(client, callers, action="agency.create")
    assert len(creates) == 3
    assert await _events(client, callers, resource_type="agency", resource_id=third.json()["id"]) == [
        e for e in creates if e["resource_id"] == third.json()["id"]
    ]
    assert await _events(client, callers, action="agency.create", actor_id=str(callers.admin.user.id)) == [
        creates[2]
    ]
    denied = await _events(client, callers, outcome="denied")
    assert [e["status_code"] for e in denied] == [403]
    assert {e["outcome"] for e in await _events(client, callers, outcome="success")} == {"success"}
    assert (
        await client.get(EVENTS, params={"outcome": "maybe"}, headers=callers.auditor.headers)
    ).status_code == 422
    assert await _events(client, callers, actor_id=str(uuid.uuid4())) == []


async def test_filters_by_time(client, session, callers):
    actor = _synthetic_actor()
    for action in ("uji.pertama", "uji.kedua", "uji.ketiga"):
        await audit.record(session, actor, action)
        await session.commit()
        await asyncio.sleep(0.01)  # distinct timestamps

    first, second, third = await _events(client, callers, actor_id=str(actor.id))
    assert [first["action"], second["action"], third["action"]] == ["uji.pertama", "uji.kedua", "uji.ketiga"]

    since = await _events(client, callers, actor_id=str(actor.id), since=second["occurred_at"])
    assert [e["action"] for e in since] == ["uji.kedua", "uji.ketiga"]  # since is inclusive
    until = await _events(client, callers, actor_id=str(actor.id), until=second["occurred_at"])
    assert [e["action"] for e in until] == ["uji.pertama"]  # until is exclusive
    window = await _events(
        client, callers, actor_id=str(actor.id), since=second["occurred_at"], until=third["occurred_at"]
    )
    assert [e["action"] for e in window] == ["uji.kedua"]


async def test_time_filters_need_an_offset(client, callers):
    for name in ("since", "until"):
        response = await client.get(
            EVENTS, params={name: "2026-11-27T10:00:00"}, headers=callers.auditor.headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["query", name]


async def test_filters_by_person(client, session, callers):
    actor = _synthetic_actor()
    alfa, beta, gamma = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await audit.record(
        session, actor, "person.read", resource_type="person", resource_id=alfa, person_ids=[alfa]
    )
    await audit.record(session, actor, "person.export", resource_type="person", person_ids=[alfa, beta])
    await audit.record(
        session, actor, "person.read", resource_type="person", resource_id=gamma, person_ids=[gamma]
    )
    await session.commit()

    touching_alfa = await _events(client, callers, person_id=str(alfa))
    assert sorted(e["action"] for e in touching_alfa) == ["person.export", "person.read"]
    (export,) = [e for e in touching_alfa if e["action"] == "person.export"]
    assert export["person_ids"] == [str(alfa), str(beta)]
    assert [e["action"] for e in await _events(client, callers, person_id=str(beta))] == ["person.export"]
    assert [e["resource_id"] for e in await _events(client, callers, person_id=str(gamma))] == [str(gamma)]
    assert await _events(client, callers, person_id=str(uuid.uuid4())) == []
    both = await _events(client, callers, person_id=str(alfa), action="person.read")
    assert [e["resource_id"] for e in both] == [str(alfa)]


async def test_pages_through_the_trail(client, session, callers):
    actor = _synthetic_actor()
    for number in range(5):
        await audit.record(session, actor, f"uji.halaman.{number}")
        await asyncio.sleep(0.002)  # ids order events to the millisecond
    await session.commit()
    seen: list[str] = []
    cursor = None
    while True:
        params = {"actor_id": str(actor.id), "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(EVENTS, params=params, headers=callers.admin.headers)).json()
        seen += [e["action"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"uji.halaman.{n}" for n in range(5)]


async def test_only_admin_and_auditor_read_the_trail(client, callers):
    for name in ("admin", "auditor"):
        assert (await client.get(EVENTS, headers=getattr(callers, name).headers)).status_code == 200
    for name in ("officer", "partner_a", "partner_b", "viewer"):
        response = await client.get(EVENTS, headers=getattr(callers, name).headers)
        assert response.status_code == 403, name
    assert (await client.get(EVENTS)).status_code == 401


async def test_the_trail_has_no_write_routes(client, callers):
    event_id = uuid.uuid4()
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        url = EVENTS if method == "POST" else f"{EVENTS}/{event_id}"
        response = await client.request(method, url, headers=callers.admin.headers)
        assert response.status_code in (404, 405), (method, response.status_code)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"],
    ids=["update", "delete"],
)
async def test_the_database_refuses_to_rewrite_the_trail(session, statement):
    actor = _synthetic_actor()
    await audit.record(session, actor, "uji.tetap", resource_type="agency", resource_id="tetap")
    await session.commit()

    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(text(statement))
    await session.rollback()

    actions = (await session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == actor.id))).all()
    await session.commit()
    assert actions == ["uji.tetap"]

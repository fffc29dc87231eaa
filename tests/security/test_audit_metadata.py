"""Audit metadata the server owns (request id, client address) and anonymous denials that cannot flood."""

import ipaddress
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from app.audit import service as audit
from app.audit.models import AuditDenialCount, AuditEvent
from app.db import utcnow
from tests.platform import AGENCIES, agency_body

PEER = "203.0.113.7"  # the test client's address (conftest)
FORGED = "198.51.100.77"


def _trusting(app, *proxies: str) -> None:
    networks = [ipaddress.ip_network(p) for p in proxies]
    app.state.settings = app.state.settings.model_copy(update={"trusted_proxies": networks})


async def _created_event(session, response: httpx.Response) -> AuditEvent:
    assert response.status_code == 201, response.text
    event = await session.scalar(select(AuditEvent).where(AuditEvent.resource_id == response.json()["id"]))
    assert event is not None
    session.expunge(event)  # detached, not expired by the rollback
    await session.rollback()
    return event


async def test_a_callers_request_id_is_only_its_correlation_id(client, session, callers):
    headers = callers.officer.headers | {"X-Request-ID": "mitra-42"}
    response = await client.post(AGENCIES, json=agency_body(), headers=headers)
    event = await _created_event(session, response)
    assert event.request_id == response.headers["x-request-id"]
    assert event.request_id != "mitra-42"
    assert event.correlation_id == "mitra-42"


async def test_two_callers_with_one_request_id_get_two_request_ids(client, session, callers):
    headers = callers.officer.headers | {"X-Request-ID": "sama"}
    first = await _created_event(
        session, await client.post(AGENCIES, json=agency_body("A Uji"), headers=headers)
    )
    second = await _created_event(
        session, await client.post(AGENCIES, json=agency_body("B Uji"), headers=headers)
    )
    assert first.request_id != second.request_id
    assert first.correlation_id == second.correlation_id == "sama"


async def test_a_forged_forwarded_for_is_not_the_client_address(client, session, callers):
    headers = callers.officer.headers | {"X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https"}
    response = await client.post(AGENCIES, json=agency_body(), headers=headers)
    event = await _created_event(session, response)
    assert (event.client_ip, event.peer_ip) == (PEER, PEER)
    assert "strict-transport-security" not in response.headers  # nor is the forged https believed


async def test_a_trusted_proxy_forwards_the_client_address(app, client, session, callers):
    _trusting(app, "203.0.113.0/28")
    # The client wrote the first address itself; the proxy appended the one it saw.
    headers = callers.officer.headers | {
        "X-Forwarded-For": f"{FORGED}, 192.0.2.44",
        "X-Forwarded-Proto": "https",
    }
    response = await client.post(AGENCIES, json=agency_body(), headers=headers)
    event = await _created_event(session, response)
    assert (event.client_ip, event.peer_ip) == ("192.0.2.44", PEER)
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_a_chain_of_trusted_proxies_is_walked_from_the_right(app, client, session, callers):
    _trusting(app, PEER, "10.0.0.0/8")
    headers = callers.officer.headers | {"X-Forwarded-For": f"{FORGED}, 192.0.2.44, 10.1.2.3"}
    event = await _created_event(session, await client.post(AGENCIES, json=agency_body(), headers=headers))
    assert (event.client_ip, event.peer_ip) == ("192.0.2.44", PEER)


async def test_junk_in_forwarded_for_stops_the_walk(app, client, session, callers):
    _trusting(app, PEER)
    headers = callers.officer.headers | {"X-Forwarded-For": "bukan-alamat"}
    event = await _created_event(session, await client.post(AGENCIES, json=agency_body(), headers=headers))
    assert event.client_ip == PEER


async def test_hsts_over_https_only(app):
    for scheme, expected in (("https", True), ("http", False)):
        transport = httpx.ASGITransport(app=app, client=(PEER, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://test") as http:
            response = await http.get("/health/live")
        assert ("strict-transport-security" in response.headers) is expected, scheme


async def test_a_thousand_anonymous_401s_add_a_handful_of_rows(client, session, callers):
    async def rows() -> tuple[int, int]:
        events = await session.scalar(select(func.count()).select_from(AuditEvent))
        counts = await session.scalar(select(func.count()).select_from(AuditDenialCount))
        await session.rollback()
        return events, counts

    before = await rows()
    for n in range(1000):
        headers = {"Authorization": "Bearer bukan-token"} if n % 2 else {}
        assert (await client.get(AGENCIES, headers=headers)).status_code == 401
    events, counts = await rows()
    assert events == before[0]
    assert counts - before[1] <= 3  # one per 5-minute bucket: the run may cross a boundary
    total = await session.scalar(select(func.sum(AuditDenialCount.count)))
    await session.rollback()  # SQLite: the session's transaction holds the write lock
    assert total == 1000
    # An authenticated denial stays an event of its own.
    assert (
        await client.post(AGENCIES, json=agency_body(), headers=callers.viewer.headers)
    ).status_code == 403
    assert (await rows())[0] == events + 1


async def test_denial_counts_are_purged_after_the_retention(session):
    old = utcnow() - timedelta(days=91)
    session.add(
        AuditDenialCount(bucket_start=audit.bucket_of(old, 300), client_ip=PEER, count=5, last_at=old)
    )
    await session.commit()
    await audit.count_anonymous_denial(session, PEER, 300)
    assert await audit.purge_denial_counts(session, retention_days=90) == 1
    await session.commit()
    assert [c for (c,) in (await session.execute(select(AuditDenialCount.count))).all()] == [1]

"""The API loses nothing and hangs on nothing when PostgreSQL dies and comes back."""

import asyncio
import time
import uuid

import pytest
from sqlalchemy import func, select

from app.agencies.models import Agency
from tests.reliability.conftest import MAX_OVERFLOW, POOL_SIZE, POOL_TIMEOUT

pytestmark = pytest.mark.reliability

CREATES = 200


async def _create(client, headers, name):
    started = time.monotonic()
    response = await client.post(
        "/api/v1/agencies", json={"name": name, "kind": "ngo", "region_code": "53.71"}, headers=headers
    )
    return name, response, time.monotonic() - started


async def test_creates_survive_an_immediate_stop(owned_pg, reliable_app, reliable_client, reliable_callers):
    headers = reliable_callers.officer.headers
    names = [f"Yayasan Uji {uuid.uuid4().hex[:8]}" for _ in range(CREATES)]

    async def outage() -> float:
        """Crash the server, keep it down a second, start it, and time how soon a create succeeds."""
        await asyncio.sleep(1.0)
        await asyncio.to_thread(owned_pg.crash)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(owned_pg.start)
        back = time.monotonic()
        while time.monotonic() - back < 10:
            probe = await _create(reliable_client, headers, f"Yayasan Uji Pulih {uuid.uuid4().hex[:8]}")
            results.append(probe)
            if probe[1].status_code == 201:
                return time.monotonic() - back
            await asyncio.sleep(0.05)
        return float("inf")

    results: list = []
    began = time.monotonic()
    outage_task = asyncio.create_task(outage())
    for start in range(0, CREATES, 20):  # waves, so that some land before, during and after the outage
        wave = await asyncio.gather(
            *(_create(reliable_client, headers, n) for n in names[start : start + 20])
        )
        print(f"wave at {time.monotonic() - began:.1f}s:", sorted({r.status_code for _, r, _ in wave}))
        results += wave
        await asyncio.sleep(0.4)
    recovered_after = await outage_task

    statuses = [r.status_code for _, r, _ in results]
    acknowledged = {name for name, r, _ in results if r.status_code == 201}
    refused = [r for _, r, _ in results if r.status_code != 201]
    slowest = max(seconds for *_, seconds in results)

    async with reliable_app.state.sessionmaker() as session:
        rows = dict((await session.execute(select(Agency.name, func.count()).group_by(Agency.name))).all())
    lost = acknowledged - set(rows)
    duplicated = [name for name, count in rows.items() if count > 1]
    print(
        f"\nrequests={len(results)} acknowledged={len(acknowledged)} refused={len(refused)} lost={len(lost)} "
        f"duplicated={len(duplicated)} slowest={slowest:.2f}s recovery={recovered_after:.2f}s"
    )
    assert not lost
    assert not duplicated
    assert set(statuses) <= {201, 503}, sorted(set(statuses))
    assert refused, "the outage refused nothing: it did not overlap the requests"
    assert statuses[0] == 201, "served before the outage"
    for response in refused:
        assert response.headers["content-type"] == "application/problem+json"
    assert slowest <= POOL_TIMEOUT + 1 + 1.5  # + the crash/restart commands themselves
    assert recovered_after <= 5


async def test_pool_exhaustion_is_a_fast_503(reliable_app, reliable_client, reliable_callers):
    from fastapi import Depends
    from sqlalchemy import text

    from app.db import get_session

    async def slow(session=Depends(get_session, scope="function")):
        await session.execute(text("SELECT pg_sleep(4)"))
        return {"slept": True}

    reliable_app.add_api_route("/test-only/slow", slow, methods=["GET"])
    capacity = POOL_SIZE + MAX_OVERFLOW

    async def timed():
        started = time.monotonic()
        response = await reliable_client.get("/test-only/slow")
        return response, time.monotonic() - started

    results = await asyncio.gather(*(timed() for _ in range(capacity + 5)))
    refused = [(r, s) for r, s in results if r.status_code == 503]
    served = [(r, s) for r, s in results if r.status_code == 200]
    print(f"\nrequests={len(results)} served={len(served)} refused={len(refused)}")
    assert len(served) == capacity
    assert len(refused) == 5
    for response, seconds in refused:
        assert response.headers["content-type"] == "application/problem+json"
        assert seconds <= POOL_TIMEOUT + 1

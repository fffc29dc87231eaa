"""Races on a real PostgreSQL: idempotency keys and optimistic concurrency hold under parallel requests."""

import asyncio

import pytest
from sqlalchemy import func, select

from app.agencies.models import Agency

pytestmark = pytest.mark.reliability


async def test_fifty_parallel_posts_with_one_key_create_one_row(
    reliable_app, reliable_client, reliable_callers
):
    headers = {**reliable_callers.officer.headers, "Idempotency-Key": "race-key-1"}
    body = {"name": "Yayasan Uji Balapan", "kind": "ngo", "region_code": "53.71"}
    responses = await asyncio.gather(
        *(reliable_client.post("/api/v1/agencies", json=body, headers=headers) for _ in range(50))
    )
    statuses = [r.status_code for r in responses]
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    async with reliable_app.state.sessionmaker() as session:
        rows = await session.scalar(select(func.count()).where(Agency.name == body["name"]))
    print(f"\nrequests=50 created_rows={rows} statuses={sorted(set(statuses))} distinct_ids={len(ids)}")
    assert rows == 1
    assert len(ids) == 1
    # Every answer is the first one replayed, or (while the first is still running) a 409 to retry.
    assert set(statuses) <= {201, 409}


async def test_two_patches_with_one_etag_one_wins(reliable_client, reliable_callers):
    headers = reliable_callers.officer.headers
    created = await reliable_client.post(
        "/api/v1/agencies",
        json={"name": "Yayasan Uji Versi", "kind": "ngo", "region_code": "53.71"},
        headers=headers,
    )
    url, etag = created.headers["location"], created.headers["etag"]
    first, second = await asyncio.gather(
        reliable_client.patch(url, json={"acronym": "A"}, headers={**headers, "If-Match": etag}),
        reliable_client.patch(url, json={"acronym": "B"}, headers={**headers, "If-Match": etag}),
    )
    print(f"\nstatuses={sorted([first.status_code, second.status_code])}")
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    final = await reliable_client.get(url, headers=headers)
    assert final.json()["version"] == 2

"""Idempotency-Key on POST: a replay gets the first answer; another body with the key is 422."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from app.agencies.models import Agency
from app.audit.models import AuditEvent
from app.db import utcnow
from app.idempotency.models import IdempotencyKey
from tests.persons.helpers import make_site, person_body
from tests.persons.support import synthetic_nik
from tests.platform import AGENCIES, SITES, agency_body, assert_problem, count_agencies, site_body

KEY = "0b9c6f3e-idem-key-uji"


def _with_key(headers: dict[str, str], key: str = KEY) -> dict[str, str]:
    return headers | {"Idempotency-Key": key}


async def test_replay_returns_the_first_response(client, callers, session):
    headers = _with_key(callers.officer.headers)
    first = await client.post(AGENCIES, json=agency_body(), headers=headers)
    assert first.status_code == 201, first.text
    before = await count_agencies(session)

    again = await client.post(AGENCIES, json=agency_body(), headers=headers)

    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == "application/json"
    assert again.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert await count_agencies(session) == before


async def test_replay_reads_the_resource_as_it_is_now(client, callers):
    """Nothing of the first answer is stored: a replay is the resource's GET, after a change too."""
    headers = _with_key(callers.officer.headers)
    first = await client.post(AGENCIES, json=agency_body(), headers=headers)
    changed = await client.patch(
        first.headers["location"],
        json={"acronym": "UBAH"},
        headers=callers.officer.headers | {"If-Match": '"1"'},
    )
    assert changed.status_code == 200
    again = await client.post(AGENCIES, json=agency_body(), headers=headers)
    assert again.status_code == 201 and again.headers["location"] == first.headers["location"]
    assert again.content == changed.content and again.headers["etag"] == '"2"'
    assert again.headers["idempotent-replayed"] == "true"


async def test_same_key_with_another_body_is_422(client, callers, session):
    headers = _with_key(callers.officer.headers)
    first = await client.post(AGENCIES, json=agency_body(), headers=headers)
    assert first.status_code == 201
    before = await count_agencies(session)

    other = await client.post(AGENCIES, json=agency_body(name="Yayasan Uji Lain"), headers=headers)

    assert assert_problem(other, 422)["type"] == "/problems/idempotency-key-reused"
    assert await count_agencies(session) == before


async def test_same_key_on_another_route_is_422(client, callers):
    headers = _with_key(callers.officer.headers)
    assert (await client.post(AGENCIES, json=agency_body(), headers=headers)).status_code == 201
    assert_problem(await client.post(SITES, json=site_body(), headers=headers), 422)


async def test_a_failed_request_does_not_burn_the_key(client, callers, session):
    """A 4xx rolls the key back with everything else: a corrected retry with the key goes through."""
    headers = _with_key(callers.officer.headers)
    bad = await client.post(AGENCIES, json=agency_body(region_code="99.99"), headers=headers)
    assert_problem(bad, 422)
    assert await session.scalar(select(IdempotencyKey.key)) is None
    await session.rollback()
    good = await client.post(AGENCIES, json=agency_body(), headers=headers)
    assert good.status_code == 201, good.text


async def test_concurrent_posts_with_one_key_create_one_agency(client, callers, session):
    before = await count_agencies(session)
    headers = _with_key(callers.officer.headers)

    responses = await asyncio.gather(
        *(client.post(AGENCIES, json=agency_body(), headers=headers) for _ in range(20))
    )

    # The design expects every concurrent duplicate to wait for the first and replay its answer.
    statuses = [r.status_code for r in responses]
    assert statuses == [201] * 20, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.content for r in responses}) == 1
    assert len({r.headers["location"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 19
    assert await count_agencies(session) == before + 1


async def test_key_expires_after_24_hours(client, callers, session):
    headers = _with_key(callers.officer.headers)
    first = await client.post(AGENCIES, json=agency_body(), headers=headers)
    assert first.status_code == 201
    row = await session.scalar(select(IdempotencyKey))
    assert timedelta(hours=23, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=24)
    await session.execute(update(IdempotencyKey).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    before = await count_agencies(session)

    other = await client.post(AGENCIES, json=agency_body(name="Yayasan Uji Sesudah"), headers=headers)

    assert other.status_code == 201, other.text
    assert other.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in other.headers
    assert await count_agencies(session) == before + 1
    names = set((await session.scalars(select(Agency.name))).all())
    await session.rollback()
    assert {"Yayasan Uji Platform", "Yayasan Uji Sesudah"} <= names


async def test_keys_are_per_caller(client, callers, session):
    owners_expected = {f"user:{callers.officer.user.id}", f"user:{callers.admin.user.id}"}
    officer = await client.post(AGENCIES, json=agency_body(), headers=_with_key(callers.officer.headers))
    assert officer.status_code == 201

    # The admin's same key and body is a request of its own: the duplicate name is a 409, not a replay.
    same = await client.post(AGENCIES, json=agency_body(), headers=_with_key(callers.admin.headers))
    assert assert_problem(same, 409)["type"] == "/problems/duplicate-agency"
    # ...and the admin's same key with another body is not "key reused" but a new agency.
    other = await client.post(
        AGENCIES, json=agency_body(name="Yayasan Uji Admin"), headers=_with_key(callers.admin.headers)
    )
    assert other.status_code == 201, other.text
    assert other.json()["id"] != officer.json()["id"]
    owners = set((await session.scalars(select(IdempotencyKey.owner))).all())
    await session.rollback()
    assert owners == owners_expected


async def test_post_without_key_is_not_stored(client, callers, session):
    for name in ("Yayasan Uji Satu", "Yayasan Uji Dua"):
        response = await client.post(AGENCIES, json=agency_body(name=name), headers=callers.officer.headers)
        assert response.status_code == 201
    assert await session.scalar(select(IdempotencyKey.key)) is None
    await session.rollback()


async def test_overlong_or_empty_key_is_422(client, callers, session):
    for key in ("k" * 256, ""):
        response = await client.post(
            AGENCIES, json=agency_body(), headers=_with_key(callers.officer.headers, key)
        )
        problem = assert_problem(response, 422)
        assert ["header", "idempotency-key"] in [e["loc"] for e in problem["errors"]]
    assert await count_agencies(session) == 2


async def test_no_response_body_is_stored_and_a_replay_is_an_audited_read(client, callers, session):
    """A person holds a full NIK: the key keeps status, location and id only; the replay is a read."""
    site = await make_site(client, callers)
    nik = synthetic_nik(9321)
    headers = _with_key(callers.officer.headers)
    body = person_body(site["id"], nik=nik)
    first = await client.post("/api/v1/persons", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["nik"] == nik

    row = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == KEY))
    assert {c.name for c in IdempotencyKey.__table__.columns} == {
        "owner",
        "key",
        "request_digest",
        "status_code",
        "location",
        "resource_id",
        "created_at",
        "expires_at",
    }
    assert (row.status_code, row.location, str(row.resource_id)) == (
        201,
        f"/api/v1/persons/{first.json()['id']}",
        first.json()["id"],
    )
    reads = await session.scalar(select(func.count()).where(AuditEvent.action == "person.read"))
    await session.rollback()  # SQLite: end the test's transaction before the app writes
    again = await client.post("/api/v1/persons", json=body, headers=headers)
    assert again.status_code == 201 and again.json()["nik"] == nik
    assert again.headers["location"] == first.headers["location"]
    after = await session.scalar(select(func.count()).where(AuditEvent.action == "person.read"))
    await session.rollback()
    assert after == reads + 1

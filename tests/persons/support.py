"""Shared steps of the registry tests: synthetic NIKs, referrals, audit and database look-ups."""

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.audit.models import AuditEvent
from app.persons.models import Person, PersonChange
from tests.factories import Callers
from tests.platform import assert_problem, error_locs  # noqa: F401 - re-exported for these tests

PERSONS = "/api/v1/persons"
# An import with NIK states its purpose (app/bulk/service.py).
CSV_HEADERS = {"content-type": "text/csv", "X-Purpose": "legal_obligation"}


def synthetic_nik(serial: int, *, female: bool = True, day: int = 12, month: int = 4, yy: int = 95) -> str:
    """A made-up NIK of 53.71.02 (Kota Kupang): never a real person's. Serials 9000-9999 only."""
    assert 9000 <= serial <= 9999, "synthetic NIKs use serials 9xxx"
    return f"537102{day + 40 if female else day:02d}{month:02d}{yy:02d}{serial:04d}"


async def refer(client: httpx.AsyncClient, callers: Callers, person_id: str, agency: Agency) -> None:
    response = await client.post(
        f"{PERSONS}/{person_id}/referrals",
        json={"agency_id": str(agency.id), "reason": "pendampingan"},
        headers=callers.officer.headers,
    )
    assert response.status_code == 201, response.text


async def partner_id(client: httpx.AsyncClient, caller: Any, full_name: str) -> str:
    """The id under which `caller` (a partner) sees the person called `full_name`."""
    response = await client.get(PERSONS, headers=caller.headers)
    assert response.status_code == 200, response.text
    [item] = [i for i in response.json()["items"] if i["full_name"] == full_name]
    return item["id"]


async def post_csv(
    client: httpx.AsyncClient, callers: Callers, site_id: str, content: bytes, **params: Any
) -> httpx.Response:
    return await client.post(
        f"{PERSONS}/import",
        params={"site_id": site_id, **params},
        content=content,
        headers={**callers.officer.headers, **CSV_HEADERS},
    )


async def _done(session: AsyncSession) -> None:
    """End the read transaction, keeping the loaded objects usable (detached, not expired)."""
    session.expunge_all()
    await session.rollback()


async def person_row(session: AsyncSession, person_id: str | uuid.UUID) -> Person:
    """The row as stored, read in a transaction of its own (SQLite: never hold the write lock)."""
    person = await session.get(Person, uuid.UUID(str(person_id)), populate_existing=True)
    await _done(session)
    assert person is not None
    return person


async def change_rows(session: AsyncSession, person_id: str | uuid.UUID) -> list[PersonChange]:
    rows = await session.scalars(
        select(PersonChange)
        .where(PersonChange.person_id == uuid.UUID(str(person_id)))
        .order_by(PersonChange.id)
    )
    changes = list(rows.all())
    await _done(session)
    return changes


async def person_count(session: AsyncSession) -> int:
    ids = (await session.scalars(select(Person.id))).all()
    await _done(session)
    return len(ids)


async def audit_events(session: AsyncSession, action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    events = list((await session.scalars(stmt)).all())
    await _done(session)
    return events

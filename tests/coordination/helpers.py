"""Arranging coordination tests: sites, persons moved along the lifecycle, counterpart partners.

Every name here is made up ("Warga Uji ..."); no NIK is needed for these flows.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.persons.models import PersonChange
from app.security.policy import Role
from tests.factories import Caller, Callers, make_agency, make_token
from tests.persons.helpers import make_person, make_site

ALOR = "53.05"
ROTE = "53.14"
SURABAYA = "35.78"


@dataclass
class Counterpart:
    """An origin region's social office with a partner account."""

    agency_id: uuid.UUID
    caller: Caller


async def make_counterpart(
    session: AsyncSession, region_code: str = ALOR, name: str | None = None
) -> Counterpart:
    agency = await make_agency(
        session, name or f"Dinas Sosial Uji {uuid.uuid4().hex[:6]}", "government", region_code
    )
    user, token = await make_token(session, Role.partner, agency.id)
    await session.commit()
    return Counterpart(agency.id, Caller(user, token))


async def set_status(
    client, callers: Callers, person_id: str, to_status: str, purpose: str | None = None
) -> dict[str, Any]:
    """Change a person's status as the officer (naming `purpose` in X-Purpose if given)."""
    response = await client.post(
        f"/api/v1/persons/{person_id}/status-changes",
        json={"to_status": to_status, "reason": "uji"},
        headers={**callers.officer.headers, **({"X-Purpose": purpose} if purpose else {})},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def verified_person(
    client, callers: Callers, site_id: str, origin: str = ALOR, **overrides: Any
) -> dict[str, Any]:
    """A person registered at the site and verified (ready to join a batch)."""
    person = await make_person(client, callers, site_id, origin_region_code=origin, **overrides)
    return await set_status(client, callers, person["id"], "verified")


async def make_case(
    client, callers: Callers, site_id: str, region_code: str = ALOR, counterpart_id: uuid.UUID | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"site_id": site_id, "region_code": region_code}
    if counterpart_id:
        body["counterpart_agency_id"] = str(counterpart_id)
    response = await client.post("/api/v1/coordinations", json=body, headers=callers.officer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def make_batch(
    client, callers: Callers, case_id: str, members: list[str], **fields: Any
) -> dict[str, Any]:
    body = {"coordination_id": case_id, "leg": "to_province_capital", "members": members, **fields}
    response = await client.post("/api/v1/repatriations", json=body, headers=callers.officer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def get_person(client, callers: Callers, person_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/persons/{person_id}", headers=callers.officer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def history_count(session: AsyncSession, person_id: str) -> int:
    """How many history rows the person has (the read's transaction is ended: SQLite locks)."""
    count = await session.scalar(
        select(func.count()).select_from(PersonChange).where(PersonChange.person_id == uuid.UUID(person_id))
    )
    await session.rollback()
    return count or 0


__all__ = ["make_person", "make_site"]

"""Helpers for the meetings tests: request bodies, a small world of agencies and meetings, checks."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.audit.models import AuditEvent
from tests.factories import Callers, make_agency

MEETINGS = "/api/v1/meetings"
ACTION_ITEMS = "/api/v1/action-items"
# The article's rakor: Tuesday 30 Oct 2018, 09:00 WITA, Ruang Garuda, Balai Kota Kupang.
RAKOR_START = "2018-10-30T09:00:00+08:00"
RAKOR_END = "2018-10-30T12:00:00+08:00"
FUTURE_START = "2099-01-10T09:00:00+08:00"
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def meeting_body(organizer_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    """A valid MeetingCreate body (synthetic)."""
    return {
        "kind": "coordination",
        "title": "Rakor Uji penutupan lokalisasi",
        "starts_at": RAKOR_START,
        "ends_at": RAKOR_END,
        "location": "Ruang Garuda Uji, Balai Kota",
        "organizer_agency_id": str(organizer_id),
        **fields,
    }


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """`response` is an RFC 9457 problem of `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    return body


def locs(body: dict[str, Any]) -> list[list[str | int]]:
    return [error["loc"] for error in body["errors"]]


def instant(value: str) -> datetime:
    """An RFC 3339 string as an aware datetime (Python < 3.11 would not take 'Z')."""
    return datetime.fromisoformat(value)


async def create_meeting(
    client: httpx.AsyncClient, headers: dict[str, str], organizer_id: uuid.UUID, **fields: Any
) -> dict[str, Any]:
    response = await client.post(MEETINGS, json=meeting_body(organizer_id, **fields), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def add_participant(
    client: httpx.AsyncClient, headers: dict[str, str], meeting_id: str, agency_id: uuid.UUID, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{MEETINGS}/{meeting_id}/participants", json={"agency_id": str(agency_id), **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def add_action_item(
    client: httpx.AsyncClient, headers: dict[str, str], meeting_id: str, agency_id: uuid.UUID, **fields: Any
) -> dict[str, Any]:
    body = {"title": "Siapkan data uji", "assignee_agency_id": str(agency_id), **fields}
    response = await client.post(f"{MEETINGS}/{meeting_id}/action-items", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def patch(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, Any], version: int
) -> httpx.Response:
    return await client.patch(url, json=body, headers=headers | {"If-Match": f'"{version}"'})


async def audit_actions(app: FastAPI, meeting_id: str) -> list[str]:
    """The audit actions recorded against a meeting, oldest first."""
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.resource_type == "meeting", AuditEvent.resource_id == meeting_id)
            .order_by(AuditEvent.id)
        )
        return list(rows)


async def count_rows(app: FastAPI, model: type) -> int:
    """Rows of `model`'s table, read in a session of its own (the test's objects stay loaded)."""
    async with app.state.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


@dataclass
class World:
    """Dinas Sosial's rakor with agency A invited, a police meeting and an agency-A meeting."""

    dinsos: Agency
    rakor: dict[str, Any]
    rakor_a: dict[str, Any]  # agency A's participation in the rakor
    police_meeting: dict[str, Any]  # organized by agency B, without agency A
    own_meeting: dict[str, Any]  # organized by agency A, without participants


async def make_world(client: httpx.AsyncClient, session: AsyncSession, callers: Callers) -> World:
    dinsos = await make_agency(session, "Dinas Sosial Uji", kind="government")
    await session.commit()
    session.expunge(dinsos)  # a plain record from here on: later rollbacks must not expire it
    staff = callers.officer.headers
    rakor = await create_meeting(client, staff, dinsos.id)
    rakor_a = await add_participant(client, staff, rakor["id"], callers.agency_a.id)
    await add_participant(client, staff, rakor["id"], callers.agency_b.id)
    police = await create_meeting(
        client, staff, callers.agency_b.id, kind="outreach", title="Sosialisasi Uji di lokasi"
    )
    own = await create_meeting(client, staff, callers.agency_a.id, kind="census", title="Pendataan Uji")
    return World(dinsos, rakor, rakor_a, police, own)

"""Arranging change request tests: a referred person, its partner id, and a submitted request.

Every name here is made up ("Warga Uji ..."); NIKs come from tests/persons/support.synthetic_nik.
"""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.change_requests.models import ChangeRequest
from tests.factories import Caller, Callers
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, partner_id, refer

CHANGE_REQUESTS = "/api/v1/change-requests"


def this_year() -> int:
    """The year references count in (the office's, WITA)."""
    return datetime.now(ZoneInfo("Asia/Makassar")).year


async def referred_person(client: httpx.AsyncClient, callers: Callers, **overrides: Any) -> tuple[dict, str]:
    """A person referred to agency A: (the officer's view, partner A's id for the person)."""
    site = await make_site(client, callers, code=f"KD{uuid.uuid4().hex[:4].upper()}")
    person = await make_person(client, callers, site["id"], **overrides)
    await refer(client, callers, person["id"], callers.agency_a)
    return person, await partner_id(client, callers.partner_a, person["full_name"])


async def submit(
    client: httpx.AsyncClient, caller: Caller, ref: str, kind: str, payload: dict[str, Any], **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{PERSONS}/{ref}/change-requests",
        json={"kind": kind, "payload": payload, **extra},
        headers=caller.headers,
    )


async def submitted(
    client: httpx.AsyncClient, caller: Caller, ref: str, kind: str, payload: dict[str, Any], **extra: Any
) -> httpx.Response:
    response = await submit(client, caller, ref, kind, payload, **extra)
    assert response.status_code == 201, response.text
    return response


async def decide(
    client: httpx.AsyncClient,
    caller: Caller,
    request_id: str,
    action: str,
    etag: str | None,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    headers = {**caller.headers, **({"If-Match": etag} if etag else {})}
    return await client.post(f"{CHANGE_REQUESTS}/{request_id}/{action}", json=body, headers=headers)


async def get_person(client: httpx.AsyncClient, callers: Callers, person_id: str) -> dict[str, Any]:
    response = await client.get(f"{PERSONS}/{person_id}", headers=callers.officer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def request_rows(session: AsyncSession) -> list[ChangeRequest]:
    """Every stored change request, read in a transaction of its own."""
    rows = list((await session.scalars(select(ChangeRequest).order_by(ChangeRequest.id))).all())
    session.expunge_all()
    await session.rollback()
    return rows

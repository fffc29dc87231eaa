"""Tests of the API conventions every resource follows (DESIGN.md section 3), on agencies and sites."""

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.idempotency.models import IdempotencyKey
from app.sites.models import Site

AGENCIES = "/api/v1/agencies"
SITES = "/api/v1/sites"
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def agency_body(name: str = "Yayasan Uji Platform", **fields: Any) -> dict[str, Any]:
    """A valid AgencyCreate body (synthetic)."""
    return {"name": name, "kind": "ngo", "region_code": "53.71", **fields}


def site_body(code: str = "KD", **fields: Any) -> dict[str, Any]:
    """A valid SiteCreate body (synthetic)."""
    return {"name": "Lokasi Uji", "code": code, "region_code": "53.71", **fields}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """`response` is an RFC 9457 problem of `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], body
    return body


def error_locs(body: dict[str, Any]) -> list[list[str | int]]:
    """The `loc` of every entry of a 422's `errors`."""
    return [error["loc"] for error in body["errors"]]


async def count_agencies(session: AsyncSession) -> int:
    """Rows in `agencies`, read in a transaction of its own (SQLite: never hold the write lock)."""
    count = await session.scalar(select(func.count()).select_from(Agency))
    await session.rollback()
    return count or 0


async def snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a bad request could touch, to compare before and after."""
    tables = {}
    for model in (Agency, Site, IdempotencyKey):
        columns = model.__table__.c
        rows = (await session.execute(select(*columns).order_by(*model.__table__.primary_key))).all()
        tables[model.__tablename__] = [tuple(row) for row in rows]
    await session.rollback()
    return tables

"""Shared steps of the eligibility tests: programs, rule sets and the PEM rule as data."""

import uuid
from typing import Any

import httpx

from tests.factories import Callers

PROGRAMS = "/api/v1/programs"

# The article's fund: city residents by KTP/KK address, identity checked, still reachable.
PEM_RULE: dict[str, Any] = {
    "all": [
        {"fact": "domicile_region_code", "op": "eq", "value": "53.71"},
        {"fact": "identity_verified", "op": "eq", "value": True},
        {"fact": "status", "op": "not_in", "value": ["not_located", "declined"]},
    ]
}


async def make_program(
    client: httpx.AsyncClient, callers: Callers, code: str | None = None
) -> dict[str, Any]:
    body = {
        "code": code or f"P{uuid.uuid4().hex[:6].upper()}",
        "name": "Dana Uji Pemberdayaan",
        "benefit_kind": "grant",
        "benefit_amount": 5_000_000,
        "funding_source": "APBD Kota Kupang (uji)",
    }
    response = await client.post(PROGRAMS, json=body, headers=callers.officer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def make_rule_set(
    client: httpx.AsyncClient, callers: Callers, program_id: str, rule: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{PROGRAMS}/{program_id}/rule-sets", json={"rule": rule, **fields}, headers=callers.officer.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def activate(client: httpx.AsyncClient, callers: Callers, program_id: str, rule_set_id: str) -> dict:
    response = await client.post(
        f"{PROGRAMS}/{program_id}/rule-sets/{rule_set_id}/activate", headers=callers.officer.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def active_program(
    client: httpx.AsyncClient, callers: Callers, rule: dict[str, Any] | None = None, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A program with `rule` (default: PEM's) active since 2018."""
    program = await make_program(client, callers)
    fields.setdefault("effective_from", "2018-01-01")
    rule_set = await make_rule_set(client, callers, program["id"], rule or PEM_RULE, **fields)
    return program, await activate(client, callers, program["id"], rule_set["id"])


async def evaluate(
    client: httpx.AsyncClient,
    caller: Any,
    program_id: str,
    person_id: str,
    purpose: str | None = None,
    **params: Any,
) -> httpx.Response:
    headers = {**caller.headers, "X-Purpose": purpose} if purpose else caller.headers
    return await client.get(
        f"{PROGRAMS}/{program_id}/eligibility/{person_id}", params=params, headers=headers
    )

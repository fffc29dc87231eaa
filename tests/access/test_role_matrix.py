"""Every role against every identity, agency and audit operation, checked against POLICY."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clients.models import ApiClient
from app.security.policy import POLICY, Role, allowed
from tests.access import PASSWORD
from tests.declared import undeclared
from tests.factories import make_agency, make_user

Target = Callable[[AsyncSession], Awaitable[uuid.UUID]]


async def _agency(session: AsyncSession) -> uuid.UUID:
    return (await make_agency(session, f"Lembaga Matriks {uuid.uuid4().hex[:8]}")).id


async def _user(session: AsyncSession) -> uuid.UUID:
    return (await make_user(session, Role.viewer)).id


async def _client(session: AsyncSession) -> uuid.UUID:
    client = ApiClient(
        client_id=f"rc_matriks_{uuid.uuid4().hex[:8]}",
        name="Sistem Matriks",
        secret_hash="!unusable",
        role=Role.viewer.value,
    )
    session.add(client)
    await session.flush()
    return client.id


def _agency_body() -> dict[str, Any]:
    return {"name": f"Lembaga Matriks {uuid.uuid4().hex[:8]}", "kind": "ngo", "region_code": "53.71"}


def _user_body() -> dict[str, Any]:
    name = f"matriks.{uuid.uuid4().hex[:8]}"
    return {"username": name, "full_name": "Petugas Matriks", "password": PASSWORD, "role": "viewer"}


@dataclass(frozen=True)
class Operation:
    name: str
    permission: str
    method: str
    path: str  # "{id}" is replaced by a fresh target's id
    target: Target | None = None
    json: Callable[[], dict[str, Any]] | None = None
    form: dict[str, str] | None = None
    if_match: bool = False


OPERATIONS = [
    Operation("agencies.list", "agencies:read", "GET", "/api/v1/agencies"),
    Operation("agencies.get", "agencies:read", "GET", "/api/v1/agencies/{id}", _agency),
    Operation("agencies.create", "agencies:write", "POST", "/api/v1/agencies", json=_agency_body),
    Operation(
        "agencies.patch",
        "agencies:write",
        "PATCH",
        "/api/v1/agencies/{id}",
        _agency,
        json=lambda: {"acronym": "MTX"},
        if_match=True,
    ),
    Operation("agencies.delete", "agencies:write", "DELETE", "/api/v1/agencies/{id}", _agency),
    Operation("users.list", "users:manage", "GET", "/api/v1/users"),
    Operation("users.create", "users:manage", "POST", "/api/v1/users", json=_user_body),
    Operation("users.get", "users:manage", "GET", "/api/v1/users/{id}", _user),
    Operation(
        "users.patch",
        "users:manage",
        "PATCH",
        "/api/v1/users/{id}",
        _user,
        json=lambda: {"full_name": "Petugas Matriks Diubah"},
        if_match=True,
    ),
    Operation("clients.list", "clients:manage", "GET", "/api/v1/api-clients"),
    Operation(
        "clients.create",
        "clients:manage",
        "POST",
        "/api/v1/api-clients",
        json=lambda: {"name": "Sistem Matriks Baru", "role": "viewer"},
    ),
    Operation("clients.get", "clients:manage", "GET", "/api/v1/api-clients/{id}", _client),
    Operation(
        "clients.patch",
        "clients:manage",
        "PATCH",
        "/api/v1/api-clients/{id}",
        _client,
        json=lambda: {"name": "Sistem Matriks Diubah"},
        if_match=True,
    ),
    Operation("clients.rotate", "clients:manage", "POST", "/api/v1/api-clients/{id}/secret", _client),
    Operation("auth.revoke", "auth:revoke", "POST", "/api/v1/auth/revoke", form={"token": "tidak-ada-token"}),
    Operation("audit.list", "audit:read", "GET", "/api/v1/audit-events"),
]

CALLERS = ("admin", "officer", "partner_a", "partner_b", "auditor", "viewer", "anonymous")


def _expectation(caller: str, role: Role | None, permission: str) -> str:
    if role is None:
        return "401"
    return "2xx" if allowed(role, permission) else "403"


def _outcome(status: int) -> str:
    if 200 <= status < 300:
        return "2xx"
    return str(status)


async def test_role_matrix_matches_the_policy(client, session, callers):
    assert {op.permission for op in OPERATIONS} <= set(POLICY)
    mismatches: list[str] = []
    not_declared: set[str] = set()  # answers the document does not name for their operation
    requests = 0
    for caller_name in CALLERS:
        caller = getattr(callers, caller_name, None)
        role = Role(caller.user.role) if caller else None
        for op in OPERATIONS:
            path = op.path
            if op.target:
                path = path.replace("{id}", str(await op.target(session)))
                await session.commit()
            headers = dict(caller.headers) if caller else {}
            if op.if_match:
                headers["If-Match"] = '"1"'
            response = await client.request(
                op.method,
                path,
                headers=headers,
                json=op.json() if op.json else None,
                data=op.form,
            )
            requests += 1
            not_declared.add(undeclared(op.method, op.path, response.status_code) or "")
            expected = _expectation(caller_name, role, op.permission)
            if _outcome(response.status_code) != expected:
                got = f"{response.status_code} {response.text[:120]}"
                mismatches.append(f"{caller_name} {op.name}: expected {expected}, got {got}")
    print(f"role matrix: {requests} requests ({len(CALLERS)} callers x {len(OPERATIONS)} operations)")
    assert requests == len(CALLERS) * len(OPERATIONS) == 112
    assert mismatches == []
    assert sorted(not_declared - {""}) == []

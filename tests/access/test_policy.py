"""Deny by default: every API operation declares a permission, except the listed public ones."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from app.security.deps import require
from app.security.policy import POLICY, PUBLIC_OPERATIONS, Role, allowed

API_PREFIX = "/api/v1"


def _permissions(dependant: Dependant) -> Iterator[str]:
    """Permissions of every `require(...)` dependency, however deeply nested."""
    for dependency in dependant.dependencies:
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            yield permission
        yield from _permissions(dependency)


def _operations(app: Any) -> Iterator[tuple[str, str, Dependant | None]]:
    """(method, path, dependant) of every operation under /api/v1."""
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if not path.startswith(API_PREFIX):
            continue
        # The effective dependant includes dependencies added by routers the route was included in.
        dependant = getattr(context, "dependant", None) or getattr(context.original_route, "dependant", None)
        for method in sorted(context.methods or {"*"}):
            yield method, path, dependant


async def test_every_api_operation_requires_a_permission_unless_public(app):
    operations = list(_operations(app))
    assert len(operations) > 20  # the walk found the API, not an empty list

    unguarded = [
        f"{method} {path}"
        for method, path, dependant in operations
        if (method, path) not in PUBLIC_OPERATIONS
        and (dependant is None or not list(_permissions(dependant)))
    ]
    assert unguarded == [], f"operations without require(...): {unguarded}"


async def test_public_operations_exist_and_carry_no_permission(app):
    by_operation = {(method, path): dependant for method, path, dependant in _operations(app)}
    assert ("POST", "/api/v1/auth/token") in PUBLIC_OPERATIONS
    assert ("GET", "/api/v1/calendar-feeds/{token}/meetings.ics") in PUBLIC_OPERATIONS
    for operation in PUBLIC_OPERATIONS:
        assert operation in by_operation, f"stale public operation {operation}"
        assert list(_permissions(by_operation[operation])) == []


async def test_every_permission_used_is_declared(app):
    used = {
        permission
        for _, _, dependant in _operations(app)
        if dependant
        for permission in _permissions(dependant)
    }
    assert used, "no permission found: the walk is broken"
    assert used <= set(POLICY), f"undeclared: {used - set(POLICY)}"
    for permission in used:
        assert POLICY[permission], f"{permission} is granted to nobody"


async def test_require_refuses_an_undeclared_permission_and_policy_denies_it(app):
    with pytest.raises(LookupError):
        require("persons:teleport")
    assert not any(allowed(role, "persons:teleport") for role in Role)
    assert require("agencies:read").permission == "agencies:read"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_guarded_operation_refuses_anonymous_callers(app, client):
    checked = 0
    for method, path, _ in _operations(app):
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        response = await client.request(method, _concrete(path))
        assert response.status_code == 401, f"{method} {path}: {response.status_code}"
        assert response.headers["www-authenticate"] == "Bearer"
        checked += 1
    assert checked > 20


async def test_viewer_reaches_only_what_the_policy_grants(app, client, callers):
    """Each guarded operation outside the viewer's permissions is 403 for a viewer, before any lookup."""
    # If-Match is sent because the precondition dependency is resolved before the permission one.
    headers = {**callers.viewer.headers, "If-Match": '"1"'}
    checked = 0
    for method, path, dependant in _operations(app):
        permissions = set(_permissions(dependant)) if dependant else set()
        if not permissions or all(allowed(Role.viewer, p) for p in permissions):
            continue
        response = await client.request(method, _concrete(path), headers=headers)
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"
        checked += 1
    assert checked > 10

"""Roles, and the one declared policy of which role may do what.

Every route declares a permission with `require(...)`; a test walks the app and fails on any
route without one. Object-level limits (a partner's own agency) live in the services' queries.
"""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    officer = "officer"
    partner = "partner"
    auditor = "auditor"
    viewer = "viewer"


ALL = frozenset(Role)
STAFF = frozenset({Role.admin, Role.officer})

POLICY: dict[str, frozenset[Role]] = {
    "me:read": ALL,
    "auth:revoke": ALL,
    "regions:read": ALL,
    "agencies:read": ALL,
    "agencies:write": STAFF,
    "users:manage": frozenset({Role.admin}),
    "clients:manage": frozenset({Role.admin}),
    "audit:read": frozenset({Role.admin, Role.auditor}),
    "sites:read": ALL,
    "sites:write": STAFF,
    "persons:read": frozenset({Role.admin, Role.officer, Role.partner, Role.auditor}),
    "persons:write": STAFF,
    "persons:history": frozenset({Role.admin, Role.officer, Role.auditor}),
    "persons:bulk": STAFF,
    "persons:rights": STAFF,
    "persons:erase": frozenset({Role.admin}),
    "stats:read": ALL,
}


# The only operations under /api/v1 that need no permission (the policy test enforces it).
PUBLIC_OPERATIONS = frozenset({("POST", "/api/v1/auth/token")})


def allowed(role: Role, permission: str) -> bool:
    """Whether `role` holds `permission`; an undeclared permission is denied to all."""
    return role in POLICY.get(permission, frozenset())

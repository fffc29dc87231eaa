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
    # One's own security keys (WebAuthn): registering and removing one needs a second-factor session.
    "me:mfa": ALL,
    "auth:revoke": ALL,
    "regions:read": ALL,
    "agencies:read": ALL,
    "agencies:write": STAFF,
    "users:manage": frozenset({Role.admin}),
    "clients:manage": frozenset({Role.admin}),
    "audit:read": frozenset({Role.admin, Role.auditor}),
    "privacy:read": frozenset({Role.admin, Role.auditor}),
    "audit:verify": frozenset({Role.admin, Role.auditor}),
    "sites:read": ALL,
    "sites:write": STAFF,
    # Partners read only their agency's meetings, and change only their own participation and
    # the status of their own action items: the meetings service enforces both in its queries.
    "meetings:read": ALL,
    # Everyone who reads meetings may subscribe a calendar app to them (users only, not clients).
    "calendar_feeds:manage": ALL,
    "meetings:write": STAFF,
    "meetings:participate": frozenset({Role.admin, Role.officer, Role.partner}),
    "persons:read": frozenset({Role.admin, Role.officer, Role.partner, Role.auditor}),
    "persons:write": STAFF,
    "persons:history": frozenset({Role.admin, Role.officer, Role.auditor}),
    # Exports and imports, and asking for and approving their requests (never one's own: app/bulk).
    "persons:bulk": STAFF,
    "censuses:read": frozenset({Role.admin, Role.officer, Role.auditor}),
    "censuses:write": STAFF,
    "persons:rights": STAFF,
    "persons:erase": frozenset({Role.admin}),
    "stats:read": ALL,
    # Eligibility: programs and rules are public within the API; person-level results are not.
    # Partners evaluate only persons referred to them; partners and viewers simulate as counts.
    "programs:read": ALL,
    "programs:write": STAFF,
    "eligibility:evaluate": frozenset({Role.admin, Role.officer, Role.partner, Role.auditor}),
    "eligibility:determine": STAFF,
    "eligibility:determinations": frozenset({Role.admin, Role.officer, Role.auditor}),
    "eligibility:simulate": ALL,
    # Partners read only the cases their agency is the counterpart of (and their batches and
    # persons), and may confirm those batches' arrival and handover; the service's queries say so.
    "coordinations:read": frozenset({Role.admin, Role.officer, Role.partner, Role.auditor}),
    "coordinations:write": STAFF,
    "coordinations:summary": frozenset({Role.admin, Role.officer, Role.auditor}),
    "repatriations:confirm": frozenset({Role.admin, Role.officer, Role.partner}),
    "assistance:read": frozenset({Role.admin, Role.officer, Role.auditor}),
    "assistance:write": STAFF,
    # Partners propose changes of persons referred to their agency (and may withdraw them) and read
    # only their agency's requests; officers decide. Staff change persons directly instead.
    "change_requests:create": frozenset({Role.partner}),
    "change_requests:read": frozenset({Role.admin, Role.officer, Role.partner, Role.auditor}),
    "change_requests:decide": STAFF,
    # Partners manage only their own agency's webhooks (others' are 404), which receive only what
    # the agency may read; admins manage all, including staff-view ones.
    "webhooks:manage": frozenset({Role.admin, Role.partner}),
}


# The only operations under /api/v1 that need no permission (the policy test enforces it).
PUBLIC_OPERATIONS = frozenset(
    {
        ("POST", "/api/v1/auth/token"),
        # Browser sign-in and enrolment of a second factor: they check a password themselves.
        ("GET", "/api/v1/auth/authorize"),
        ("POST", "/api/v1/auth/authorize"),
        ("POST", "/api/v1/auth/mfa/enrolment"),
        ("POST", "/api/v1/auth/mfa/enrolment/confirm"),
        ("POST", "/api/v1/auth/webauthn/enrolment"),
        ("POST", "/api/v1/auth/webauthn/enrolment/confirm"),
        # Security-key sign-in options: alike for every username, no user oracle (app/auth/passkeys.py).
        ("POST", "/api/v1/auth/webauthn/options"),
        # The calendar feed is authenticated by the secret token in its URL (calendar apps send
        # no Authorization header): app/calendars/service.py checks it, and the user's role.
        ("GET", "/api/v1/calendar-feeds/{token}/meetings.ics"),
    }
)


def allowed(role: Role, permission: str) -> bool:
    """Whether `role` holds `permission`; an undeclared permission is denied to all."""
    return role in POLICY.get(permission, frozenset())

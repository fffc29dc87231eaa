"""The inventory's tables: identity and access."""

from app.privacy.inventory.model import ID, INTERNAL, NOBODY, STAMPS, TableEntry, plain, quasi, secret, staff
from app.security.policy import Role

TABLES: dict[str, TableEntry] = {
    "users": TableEntry(
        "Staff and partner accounts.",
        columns=ID
        | STAMPS
        | {
            "username": staff(frozenset({Role.admin})),
            "full_name": staff(frozenset({Role.admin})),
            "password_hash": secret(),
            "role": plain(frozenset({Role.admin})),
            "agency_id": plain(frozenset({Role.admin})),
            "active": plain(frozenset({Role.admin})),
            "tokens_valid_after": plain(NOBODY),
            "password_changed_at": plain(frozenset({Role.admin})),
        },
    ),
    "api_clients": TableEntry(
        "Partner systems and scripts signing in with client credentials.",
        columns=ID
        | STAMPS
        | {
            "client_id": plain(frozenset({Role.admin})),
            "name": plain(frozenset({Role.admin})),
            "secret_hash": secret(),
            "role": plain(frozenset({Role.admin})),
            "agency_id": plain(frozenset({Role.admin})),
            "active": plain(frozenset({Role.admin})),
            "tokens_valid_after": plain(NOBODY),
            "allowed_networks": plain(frozenset({Role.admin})),
        },
    ),
    "access_tokens": TableEntry(
        "Issued access tokens, stored as digests.",
        columns=ID
        | {
            "token_digest": secret(),
            "user_id": plain(NOBODY),
            "api_client_id": plain(NOBODY),
            "created_at": plain(NOBODY),
            "expires_at": plain(NOBODY),
            "revoked_at": plain(NOBODY),
            "session_id": plain(NOBODY),
        },
    ),
    "auth_sessions": TableEntry(
        "Signed-in browser sessions, for their timeouts and for signing out.",
        columns=ID
        | {
            "user_id": plain(NOBODY, note="shown to the session's own user"),
            "client_id": plain(NOBODY),
            "created_at": plain(NOBODY),
            "last_refreshed_at": plain(NOBODY),
            "idle_expires_at": plain(NOBODY),
            "absolute_expires_at": plain(NOBODY),
            "revoked_at": plain(NOBODY),
            "revoked_reason": plain(NOBODY),
        },
    ),
    "refresh_tokens": TableEntry(
        "Rotating refresh tokens of sessions, stored as digests.",
        columns=ID
        | {
            "session_id": plain(NOBODY),
            "token_digest": secret(),
            "created_at": plain(NOBODY),
            "used_at": plain(NOBODY),
        },
    ),
    "authorization_codes": TableEntry(
        "Single-use codes of the authorization-code flow, stored as digests.",
        columns=ID
        | {
            "code_digest": secret(),
            "user_id": plain(NOBODY),
            "client_id": plain(NOBODY),
            "redirect_uri": plain(NOBODY),
            "code_challenge": secret(note="the PKCE challenge, a digest of the frontend's verifier"),
            "expires_at": plain(NOBODY),
            "used_at": plain(NOBODY),
            "session_id": plain(NOBODY),
        },
    ),
    "mfa_factors": TableEntry(
        "Staff's second factors (TOTP), the secret encrypted.",
        columns={
            "user_id": plain(NOBODY),
            "secret_ciphertext": secret(note="AES-GCM under the data key"),
            "created_at": plain(NOBODY),
            "confirmed_at": plain(NOBODY),
            "last_used_step": plain(NOBODY),
        },
    ),
    "mfa_recovery_codes": TableEntry(
        "Recovery codes of a second factor, stored as digests, each usable once.",
        columns=ID | {"user_id": plain(NOBODY), "code_digest": secret(), "used_at": plain(NOBODY)},
    ),
    "mfa_enrolment_codes": TableEntry(
        "One-time codes an admin issues to start enrolling a second factor, stored as digests.",
        columns={
            "user_id": plain(NOBODY),
            "code_digest": secret(),
            "created_at": plain(NOBODY),
            "expires_at": plain(NOBODY),
        },
    ),
    "webauthn_credentials": TableEntry(
        "Staff's security keys and passkeys (WebAuthn): public keys and signature counters.",
        columns=ID
        | {
            "user_id": plain(NOBODY),
            "credential_id": plain(NOBODY, note="the authenticator's random id of the key"),
            "public_key": plain(NOBODY, note="a public key: it signs nothing"),
            "sign_count": plain(NOBODY),
            "transports": plain(NOBODY),
            "name": staff(NOBODY, note="the user's own label of the key, shown to them"),
            "created_at": plain(NOBODY),
            "last_used_at": plain(NOBODY),
        },
    ),
    "webauthn_challenges": TableEntry(
        "Single-use challenges of WebAuthn registrations and sign-ins, kept minutes.",
        columns=ID
        | {
            "user_id": plain(NOBODY),
            "purpose": plain(NOBODY),
            "challenge": secret(note="random; answered once, then deleted"),
            "expires_at": plain(NOBODY),
        },
    ),
    "login_throttles": TableEntry(
        "Sign-in attempts per account and per address, for throttling with backoff.",
        columns={
            "key": secret(note="keyed digest of the username, client id or address"),
            "failures": plain(NOBODY),
            "delay_seconds": plain(NOBODY),
            "last_at": plain(NOBODY),
            "blocked_until": plain(NOBODY),
            "attempt": plain(NOBODY),
        },
    ),
    "bulk_requests": TableEntry(
        "Exports with plain NIK and imports of files with NIK, awaiting or holding a second staff approval.",
        columns=ID
        | {
            "kind": plain(INTERNAL),
            "requester_kind": plain(INTERNAL),
            "requester_id": plain(INTERNAL),
            "purpose": plain(INTERNAL),
            "filters": plain(INTERNAL, note="list filters; never a NIK"),
            "include_nik": plain(INTERNAL),
            "site_id": plain(INTERNAL),
            "file_sha256": plain(INTERNAL, note="digest of a whole import file, to match the bytes sent"),
            "rows": plain(INTERNAL),
            "status": plain(INTERNAL),
            "approver_id": plain(INTERNAL),
            "approved_at": plain(INTERNAL),
            "claimed_at": plain(INTERNAL),
            "created_at": plain(INTERNAL),
            "expires_at": plain(INTERNAL),
        },
    ),
    "calendar_feeds": TableEntry(
        "Calendar feed URLs of users, the token stored as a digest.",
        columns=ID
        | {
            "user_id": staff(NOBODY, note="shown to the feed's user and to admins"),
            "agency_id": plain(NOBODY),
            "name": plain(NOBODY, note="the user's own label for the feed"),
            "token_digest": secret(),
            "created_at": plain(NOBODY),
            "revoked_at": plain(NOBODY),
        },
    ),
    "read_volumes": TableEntry(
        "How many persons each account read per hour, to flag bulk reading.",
        columns={"actor_id": plain(NOBODY), "hour": plain(NOBODY), "count": plain(NOBODY)},
    ),
    "audit_events": TableEntry(
        "The append-only trail of who read or changed what.",
        export=False,
        columns=ID
        | {
            "occurred_at": plain(INTERNAL),
            "actor_kind": plain(INTERNAL),
            "actor_id": staff(INTERNAL),
            "actor_role": plain(INTERNAL),
            "agency_id": plain(INTERNAL),
            "action": plain(INTERNAL),
            "resource_type": plain(INTERNAL),
            "resource_id": plain(INTERNAL),
            "person_ids": quasi(INTERNAL, note="ids only; the data subject's copy lists these events"),
            "request_id": plain(INTERNAL),
            "correlation_id": plain(INTERNAL, note="the caller's own request id, charset-limited"),
            "client_ip": staff(INTERNAL),
            "peer_ip": staff(INTERNAL),
            "outcome": plain(INTERNAL),
            "status_code": plain(INTERNAL),
            "reason": plain(INTERNAL, note="a purpose code from a closed list, never free text"),
            "row_hash": plain(INTERNAL, note="HMAC of the row, for the hash chain"),
        },
        erasure_note="append-only: holds ids and codes only, so erasure has nothing to reach here",
    ),
    "audit_denial_counts": TableEntry(
        "Unauthenticated denials counted per address and time bucket (so they cannot flood the trail).",
        columns={
            "bucket_start": plain(INTERNAL),
            "client_ip": staff(INTERNAL, note="the address of an anonymous caller"),
            "count": plain(INTERNAL),
            "last_at": plain(INTERNAL),
        },
    ),
    "audit_seals": TableEntry(
        "The hash chain over the audit trail: each seal hashes a batch of events and the previous seal.",
        columns={
            "id": plain(INTERNAL),
            "first_event_id": plain(INTERNAL),
            "last_event_id": plain(INTERNAL),
            "event_count": plain(INTERNAL),
            "events_digest": plain(INTERNAL),
            "previous_hash": plain(INTERNAL),
            "seal_hash": plain(INTERNAL),
            "sealed_at": plain(INTERNAL),
        },
    ),
    "idempotency_keys": TableEntry(
        "Keys of POST requests, so a retry does not act twice.",
        columns={
            "owner": plain(NOBODY),
            "key": plain(NOBODY),
            "request_digest": secret(),
            "status_code": plain(NOBODY),
            "location": plain(NOBODY, note="the path a replay reads again; never a body"),
            "resource_id": plain(NOBODY),
            "created_at": plain(NOBODY),
            "expires_at": plain(NOBODY),
        },
    ),
}

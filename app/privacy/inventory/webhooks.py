"""The inventory's tables: webhooks."""

from app.privacy.inventory.model import ID, STAMPS, TableEntry, plain, secret, sensitive, staff
from app.security.policy import Role

TABLES: dict[str, TableEntry] = {
    "webhook_subscriptions": TableEntry(
        "Partner systems' subscriptions to events.",
        columns=ID
        | STAMPS
        | {
            "agency_id": plain(frozenset({Role.admin, Role.partner})),
            "url": secret(note="receivers often carry a key in the URL; shown to the owner only"),
            "event_types": plain(frozenset({Role.admin, Role.partner})),
            "description": plain(frozenset({Role.admin, Role.partner})),
            "secret_ciphertext": secret(),
            "active": plain(frozenset({Role.admin, Role.partner})),
            "created_by": staff(frozenset({Role.admin})),
        },
    ),
    "webhook_deliveries": TableEntry(
        "The outbox of events to send, and what was sent.",
        columns=ID
        | {
            "subscription_id": plain(frozenset({Role.admin, Role.partner})),
            "event_type": plain(frozenset({Role.admin, Role.partner})),
            "occurred_at": plain(frozenset({Role.admin, Role.partner})),
            "payload": sensitive(
                frozenset({Role.admin, Role.partner}),
                note="ids and statuses only, the agency's pseudonyms; checked again when sent",
            ),
            "status": plain(frozenset({Role.admin, Role.partner})),
            "attempt_count": plain(frozenset({Role.admin, Role.partner})),
            "next_attempt_at": plain(frozenset({Role.admin, Role.partner})),
            "expires_at": plain(frozenset({Role.admin, Role.partner})),
            "last_attempt_at": plain(frozenset({Role.admin, Role.partner})),
            "last_status_code": plain(frozenset({Role.admin, Role.partner})),
            "last_error": plain(frozenset({Role.admin, Role.partner})),
            "delivered_at": plain(frozenset({Role.admin, Role.partner})),
            "created_at": plain(frozenset({Role.admin, Role.partner})),
        },
    ),
    "webhook_attempts": TableEntry(
        "Each try of a delivery.",
        columns=ID
        | {
            "delivery_id": plain(frozenset({Role.admin, Role.partner})),
            "attempted_at": plain(frozenset({Role.admin, Role.partner})),
            "status_code": plain(frozenset({Role.admin, Role.partner})),
            "duration_ms": plain(frozenset({Role.admin, Role.partner})),
            "error": plain(frozenset({Role.admin, Role.partner})),
        },
    ),
}

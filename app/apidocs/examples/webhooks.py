"""Examples of webhooks: the NGO system hears of status changes."""

from app.apidocs.examples.story import body, ref

REQUESTS = [
    body(
        "POST",
        "/webhooks",
        "The NGO's system hears of status changes",
        {
            "url": "https://partner.example/hooks/reintegrasi",
            "event_types": ["person.status_changed", "person.referred", "meeting.created"],
            "agency_id": ref("ngo"),
        },
    ),
    body("PATCH", "/webhooks/{webhook_id}", "Paused", {"active": False}),
]

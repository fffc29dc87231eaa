"""The inventory's tables: meetings."""

from app.privacy.inventory.model import EVERYONE, ID, STAMPS, Erasure, TableEntry, free_text, plain, staff

TABLES: dict[str, TableEntry] = {
    "meetings": TableEntry(
        "Coordination meetings, outreach and census sessions.",
        columns=ID
        | STAMPS
        | {
            "kind": plain(),
            "title": plain(),
            "description": free_text(EVERYONE, Erasure.keep, note="about the closure; not about a person"),
            "site_id": plain(),
            "starts_at": plain(),
            "ends_at": plain(),
            "timezone": plain(),
            "location": plain(),
            "organizer_agency_id": plain(),
            "status": plain(),
            "minutes": free_text(EVERYONE, Erasure.keep, note="about the closure; not about a person"),
        },
    ),
    "meeting_participants": TableEntry(
        "Agencies taking part in a meeting and who represented them.",
        columns=ID
        | STAMPS
        | {
            "meeting_id": plain(),
            "agency_id": plain(),
            "response": plain(),
            "attended": plain(),
            "representative_name": staff(),
            "representative_title": staff(),
        },
    ),
    "meeting_agenda_items": TableEntry(
        "A meeting's agenda.",
        columns=ID
        | STAMPS
        | {
            "meeting_id": plain(),
            "number": plain(),
            "title": plain(),
            "public": plain(),
            "outcome": free_text(EVERYONE, Erasure.keep, note="decisions of the meeting"),
        },
    ),
    "meeting_action_items": TableEntry(
        "What each agency agreed to do.",
        columns=ID
        | STAMPS
        | {
            "meeting_id": plain(),
            "agenda_item_id": plain(),
            "title": plain(),
            "description": free_text(EVERYONE, Erasure.keep, note="tasks of agencies"),
            "assignee_agency_id": plain(),
            "due_on": plain(),
            "status": plain(),
            "completed_at": plain(),
        },
    ),
    "meeting_changes": TableEntry(
        "A meeting's history.",
        columns=ID
        | {
            "meeting_id": plain(),
            "occurred_at": plain(),
            "action": plain(),
            "subject_type": plain(),
            "subject_id": plain(),
            "changes": staff(note="old and new values of meeting fields, representatives' names"),
            "actor_kind": plain(),
            "actor_id": staff(),
            "actor_role": plain(),
        },
    ),
}

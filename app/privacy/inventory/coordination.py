"""The inventory's tables: coordination and repatriation."""

from typing import Any

from sqlalchemy import ColumnElement, Table, select

from app.coordination.models import RepatriationMember
from app.privacy.inventory.model import (
    ID,
    INTERNAL,
    PARTNERS,
    STAFF,
    STAMPS,
    Erasure,
    TableEntry,
    by_column,
    free_text,
    plain,
    sensitive,
    staff,
)


def through_batches(table: Table, person_id: Any) -> ColumnElement[bool]:
    """Repatriation batches the person was ever a member of (their free text may name them)."""
    members = select(RepatriationMember.repatriation_id).where(RepatriationMember.person_id == person_id)
    return table.c.id.in_(members)


TABLES: dict[str, TableEntry] = {
    "coordinations": TableEntry(
        "One case per region of origin, with its counterpart agency.",
        columns=ID
        | STAMPS
        | {
            "site_id": plain(PARTNERS),
            "region_code": plain(PARTNERS),
            "counterpart_agency_id": plain(PARTNERS),
            "status": plain(PARTNERS),
            "notes": free_text(PARTNERS, Erasure.keep, note="about the case; must not name a person"),
            "created_by": staff(INTERNAL),
        },
    ),
    "coordination_correspondence": TableEntry(
        "Letters and calls with the origin region's social office.",
        columns=ID
        | STAMPS
        | {
            "coordination_id": plain(PARTNERS),
            "direction": plain(PARTNERS),
            "channel": plain(PARTNERS),
            "reference_number": plain(PARTNERS),
            "dated_on": plain(PARTNERS),
            "subject": free_text(PARTNERS, Erasure.keep, note="official correspondence kept as archive"),
            "summary": free_text(PARTNERS, Erasure.keep, note="official correspondence kept as archive"),
            "recorded_by": staff(INTERNAL),
        },
    ),
    "repatriations": TableEntry(
        "Travel batches home: transport, escort, handover.",
        link=through_batches,
        export=False,
        columns=ID
        | STAMPS
        | {
            "coordination_id": plain(PARTNERS),
            "leg": plain(PARTNERS),
            "planned_departure_on": plain(PARTNERS),
            "departed_at": plain(PARTNERS),
            "arrived_at": plain(PARTNERS),
            "transport_mode": plain(PARTNERS),
            "carrier": plain(PARTNERS),
            "booking_reference": plain(PARTNERS),
            "escort_agency_id": plain(PARTNERS),
            "cost_amount": plain(PARTNERS),
            "funding_source": plain(PARTNERS),
            "status": plain(PARTNERS),
            "received_by_agency_id": plain(PARTNERS),
            "received_by_name": staff(PARTNERS),
            "handed_over_at": plain(PARTNERS),
            "handover_document_number": plain(PARTNERS),
            "cancelled_at": plain(PARTNERS),
            "cancel_reason": free_text(PARTNERS, Erasure.redact, note="may name a member"),
            "notes": free_text(STAFF, Erasure.redact, note="may name a member"),
            "created_by": staff(INTERNAL),
        },
        erasure_note="a batch's free text may name any member: redacted when one member is erased",
    ),
    "repatriation_members": TableEntry(
        "Who travels in which batch.",
        link=by_column("person_id"),
        columns=ID
        | {
            "repatriation_id": plain(PARTNERS),
            "person_id": plain(PARTNERS, note="partners see their pseudonymous id"),
            "active": plain(PARTNERS),
            "override_reason": free_text(INTERNAL, Erasure.redact),
            "added_at": plain(PARTNERS),
            "added_by": staff(INTERNAL),
        },
    ),
    "assistance_records": TableEntry(
        "Assistance given to a person (cash, transport, training).",
        link=by_column("person_id"),
        columns=ID
        | STAMPS
        | {
            "person_id": plain(INTERNAL),
            "type": sensitive(INTERNAL),
            "amount": sensitive(INTERNAL, note="kept for the fund's accounts"),
            "funding_source": plain(INTERNAL),
            "program_id": plain(INTERNAL),
            "status": plain(INTERNAL),
            "paid_on": plain(INTERNAL),
            "reference": free_text(INTERNAL, Erasure.redact, note="receipt numbers may carry a name"),
            "notes": free_text(INTERNAL),
            "created_by": staff(INTERNAL),
        },
    ),
}

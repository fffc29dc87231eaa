"""Whether a queued delivery may still go out: each domain's own read rule, asked at send time.

A flow: it reads across domains (persons, coordination, meetings), which import the emitting side
(each domain's events.py, app.webhooks.service), never this module; only the worker does.
"""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.coordination import queries as coordination_queries
from app.coordination.models import Coordination
from app.errors import AppError
from app.meetings import queries as meeting_queries
from app.persons import service as person_service
from app.webhooks.service import as_partner

# Events whose point is to reach the agency after its access ended (they carry ids only).
_ALWAYS_SENT = frozenset({"person.erased", "person.restricted"})


async def _person_readable(session: AsyncSession, agency_id: uuid.UUID, data: dict[str, Any]) -> bool:
    """Whether the agency's partners may still read the person (the persons service's own `find`)."""
    try:
        ref = uuid.UUID(str(data.get("person_id")))
        found = await person_service.find(session, as_partner(agency_id), ref)
    except (ValueError, AppError):  # not visible (404) or restricted (403)
        return False
    return found.person.erased_at is None


async def _case_readable(session: AsyncSession, agency_id: uuid.UUID, data: dict[str, Any]) -> bool:
    """Whether the agency still reads the repatriation's case (coordination's own condition)."""
    try:
        case_id = uuid.UUID(str(data.get("coordination_id")))
    except ValueError:
        return False
    readable = coordination_queries.readable(as_partner(agency_id))
    found = await session.scalar(select(Coordination.id).where(Coordination.id == case_id, readable))
    return found is not None


async def _meeting_readable(session: AsyncSession, agency_id: uuid.UUID, data: dict[str, Any]) -> bool:
    try:
        meeting_id = uuid.UUID(str(data.get("meeting_id")))
    except ValueError:
        return False
    return bool(await meeting_queries.agencies_reading(session, meeting_id, {agency_id}))


_READABLE = {
    "person.status_changed": _person_readable,
    "person.referred": _person_readable,
    "meeting.created": _meeting_readable,
    "meeting.updated": _meeting_readable,
    "action_item.updated": _meeting_readable,
    "repatriation.status_changed": _case_readable,
}


async def still_allowed(
    session: AsyncSession, agency_id: uuid.UUID | None, event_type: str, data: dict[str, Any]
) -> bool:
    """Whether a queued delivery may go out now: the agency may still read what it is about.

    Checked when the worker sends (each retry too), not only at emission: a referral that ended,
    a restriction or an erasure since, or a meeting the agency left, stops what was queued. Staff
    subscriptions read everything; an event type without a rule here never reaches an agency.
    """
    if agency_id is None or event_type in _ALWAYS_SENT:
        return True
    readable = _READABLE.get(event_type)
    return readable is not None and await readable(session, agency_id, data)

"""The meetings' webhook events: their payloads, to staff and to the agencies that see the meeting.

Payloads carry ids, statuses and dates only: never a name, NIK, phone, address or notes. When no
subscription wants an event, nothing is queried beyond the (per-transaction) subscription list;
app.webhooks queues them (`service.enqueue`) and checks each at send time (app/webhooks/flows.py).
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings import queries as meeting_queries
from app.webhooks import service


async def _to_meeting_audience(
    session: AsyncSession, event_type: str, meeting_id: uuid.UUID, data: dict[str, Any]
) -> None:
    subscribers = await service.subscribers(session, event_type)
    if not subscribers:
        return
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: data}
    for agency_id in await meeting_queries.agencies_reading(
        session, meeting_id, service.agencies_of(subscribers)
    ):
        views[agency_id] = data
    await service.enqueue(session, event_type, subscribers, [views])


async def meeting_changed(
    session: AsyncSession, event_type: str, meeting: Any, changed: Sequence[str] | None = None
) -> None:
    """meeting.created or meeting.updated (with the names of the changed fields; none: no event)."""
    if changed is not None and not changed:
        return
    data: dict[str, Any] = {
        "meeting_id": str(meeting.id),
        "kind": meeting.kind,
        "title": meeting.title,
        "status": meeting.status,
        "starts_at": service.iso(meeting.starts_at),
        "ends_at": service.iso(meeting.ends_at),
        "timezone": meeting.timezone,
        "organizer_agency_id": str(meeting.organizer_agency_id),
    }
    if changed is not None:
        data["changed"] = sorted(changed)
    await _to_meeting_audience(session, event_type, meeting.id, data)


async def action_item_updated(session: AsyncSession, item: Any, changed: Sequence[str]) -> None:
    """action_item.updated, to staff and to the agencies that see the item's meeting."""
    if not changed:
        return
    data = {
        "action_item_id": str(item.id),
        "meeting_id": str(item.meeting_id),
        "status": item.status,
        "assignee_agency_id": str(item.assignee_agency_id),
        "due_on": service.iso(item.due_on),
        "changed": sorted(changed),
    }
    await _to_meeting_audience(session, "action_item.updated", item.meeting_id, data)

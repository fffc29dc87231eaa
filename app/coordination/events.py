"""Coordination's webhook events: it builds their payloads and audience, app.webhooks queues them."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.coordination.models import Coordination, Repatriation
from app.webhooks import service as webhooks


async def repatriation_status_changed(
    session: AsyncSession, batch: Repatriation, case: Coordination, to_status: str
) -> None:
    """repatriation.status_changed (call before the status is set), to staff and the case's counterpart."""
    subscribers = await webhooks.subscribers(session, "repatriation.status_changed")
    if not subscribers:
        return
    data = {
        "repatriation_id": str(batch.id),
        "coordination_id": str(case.id),
        "from_status": batch.status,
        "to_status": to_status,
    }
    views: dict[uuid.UUID | None, dict[str, Any]] = {None: data}
    # A partner reads the cases its agency is the counterpart of (queries.readable), this one loaded.
    if case.counterpart_agency_id in webhooks.agencies_of(subscribers):
        views[case.counterpart_agency_id] = data
    await webhooks.enqueue(session, "repatriation.status_changed", subscribers, [views])

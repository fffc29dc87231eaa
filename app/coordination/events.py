"""Coordination's webhook events: it builds their payloads and audience, app.webhooks queues them."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.coordination import queries
from app.coordination.models import Coordination, Repatriation
from app.webhooks import service as webhooks


async def _readable_by(session: AsyncSession, case: Coordination, agency_id: uuid.UUID) -> bool:
    """Whether the partners of `agency_id` may read the case (the service's own condition)."""
    readable = queries.readable(webhooks.as_partner(agency_id))
    found = await session.scalar(select(Coordination.id).where(Coordination.id == case.id, readable))
    return found is not None


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
    # Only the counterpart's partners may read a case: the one agency to ask queries.readable about.
    agency_id = case.counterpart_agency_id
    if agency_id in webhooks.agencies_of(subscribers) and await _readable_by(session, case, agency_id):
        views[agency_id] = data
    await webhooks.enqueue(session, "repatriation.status_changed", subscribers, [views])

"""The eligibility webhook event: determination.changed, to staff subscriptions only.

Payloads carry ids, statuses and dates only: never a name, NIK, phone, address or notes. When no
subscription wants an event, nothing is queried beyond the (per-transaction) subscription list;
app.webhooks queues them (`service.enqueue`) and checks each at send time (app/webhooks/flows.py).
"""

from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.webhooks import service


async def determinations_changed(
    session: AsyncSession, run: Any, person_ids: Select[Any], eligible: bool
) -> None:
    """determination.changed for each person whose outcome flipped in `run` (staff subscriptions only)."""
    subscribers = [
        s for s in await service.subscribers(session, "determination.changed") if s.agency_id is None
    ]
    if not subscribers:
        return
    data = {
        "program_id": str(run.program_id),
        "run_id": str(run.id),
        "as_of": service.iso(run.as_of),
        "eligible": eligible,
    }
    ids = (await session.scalars(person_ids)).all()
    views = ({None: {"person_id": str(person_id), **data}} for person_id in ids)
    await service.enqueue(session, "determination.changed", subscribers, views)

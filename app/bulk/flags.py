"""What a read-volume flag writes: an audit event and a staff-only webhook event (app/bulk/volume.py)."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.bulk.volume import FLAG_EVENT, Flag, on_flag
from app.webhooks import service as webhooks


@on_flag
async def write_flag(session: AsyncSession, flag: Flag) -> None:
    """The audit event of the flagged account, and the webhook event to staff subscriptions."""
    actor = flag.actor
    await audit.record(
        session,
        actor,
        FLAG_EVENT,
        resource_type=actor.kind,
        resource_id=actor.id,
        reason=f"{flag.count} persons read this hour, over the bound of {flag.limit}"
        + ("; reads paused" if flag.paused else ""),
    )
    data = {
        "actor_kind": actor.kind,
        "actor_id": str(actor.id),
        "actor_role": actor.role.value,
        "hour_start": datetime.fromtimestamp(flag.hour * 3600, UTC).isoformat().replace("+00:00", "Z"),
        "persons_read": flag.count,
        "limit": flag.limit,
        "paused": flag.paused,
    }
    audience = [s for s in await webhooks.subscribers(session, FLAG_EVENT) if s.agency_id is None]
    await webhooks.enqueue(session, FLAG_EVENT, audience, [{None: data}])

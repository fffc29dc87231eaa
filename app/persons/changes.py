"""A change to a person's record: its history entry, and its audit event once written."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db import utcnow
from app.ids import uuid7
from app.persons.models import PersonChange
from app.security.principal import Actor


def history_entry(person_id: uuid.UUID, actor: Actor | None, kind: str, **fields: Any) -> PersonChange:
    return PersonChange(
        id=uuid7(),
        person_id=person_id,
        occurred_at=utcnow(),
        kind=kind,
        actor_kind=actor.kind if actor else None,
        actor_id=actor.id if actor else None,
        source=fields.pop("source", "api"),
        **fields,
    )


async def record_person_change(
    session: AsyncSession, actor: Actor, action: str, person_id: uuid.UUID, *, reason: str | None = None
) -> None:
    """The audit event of a change to one person (`audit.record_change`: flushed, then recorded)."""
    await audit.record_change(
        session, actor, action, person_id, resource_type="person", person_ids=[person_id], reason=reason
    )

"""The meeting's change log: each change writes a `meeting_changes` row and an audit event."""

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db import utcnow
from app.meetings.models import MeetingChange
from app.security.principal import Actor

Diff = dict[str, dict[str, Any]]


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def apply(obj: Any, changes: dict[str, Any]) -> Diff:
    """Set the changed fields on `obj`; return {field: {old, new}} of those that really changed."""
    diff = {}
    for field, new in changes.items():
        old = getattr(obj, field)
        if old != new:
            diff[field] = {"old": _json(old), "new": _json(new)}
            setattr(obj, field, new)
    return diff


def created(obj: Any, fields: Iterable[str]) -> Diff:
    """The diff of a new row: every field from nothing to its value."""
    return {field: {"old": None, "new": _json(getattr(obj, field))} for field in fields}


def removed(obj: Any, fields: Iterable[str]) -> Diff:
    """The diff of a deleted row: every field from its value to nothing."""
    return {field: {"old": _json(getattr(obj, field)), "new": None} for field in fields}


async def record(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    action: str,
    subject: tuple[str, uuid.UUID],
    diff: Diff,
) -> None:
    """One history row (`subject`: its type and id) and one audit event; a no-op leaves no history."""
    subject_type, subject_id = subject
    if diff:
        session.add(
            MeetingChange(
                meeting_id=meeting_id,
                occurred_at=utcnow(),
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                changes=diff,
                actor_kind=actor.kind,
                actor_id=actor.id,
                actor_role=actor.role.value,
            )
        )
    await audit.record_change(session, actor, action, meeting_id, resource_type="meeting")

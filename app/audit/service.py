"""Writing and reading the audit trail. Events are only ever inserted."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import Select, Uuid, delete, exists, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import row_hash
from app.audit.models import AuditDenialCount, AuditEvent
from app.bulk import volume
from app.db_driver import DriverStatement
from app.ids import uuid7
from app.orm import utcnow
from app.pagination import PageParams, paginate_rows
from app.security.principal import Actor

# Built once: an INSERT with .values(...) per call costs more to build than to run (hot path).
APPEND = insert(AuditEvent.__table__)
APPEND_ON_DRIVER = DriverStatement(APPEND)


def event_row(**fields: Any) -> dict[str, Any]:
    """One audit row: every column, so that every insert is the same prebuilt statement."""
    event = {
        "id": uuid7(),
        "occurred_at": utcnow(),
        "actor_kind": "anonymous",
        "actor_id": None,
        "actor_role": None,
        "agency_id": None,
        "resource_type": None,
        "resource_id": None,
        "person_ids": [],
        "request_id": None,
        "correlation_id": None,
        "client_ip": None,
        "peer_ip": None,
        "outcome": "success",
        "status_code": None,
        "reason": None,
        **fields,
    }
    event["row_hash"] = row_hash(event)
    return event


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    resource_type: str | None = None,
    resource_id: Any = None,
    person_ids: Iterable[uuid.UUID] = (),
    outcome: str = "success",
    status_code: int | None = None,
    reason: str | None = None,
) -> None:
    """Append one event in the caller's transaction, so it commits or rolls back with the change."""
    event = _actor_event(actor, action, resource_type, resource_id, person_ids, outcome, status_code, reason)
    await session.execute(APPEND, event)
    if outcome == "success" and event["person_ids"]:
        await volume.count_on_session(session, actor, action, event["person_ids"])


async def record_change(
    session: AsyncSession,
    actor: Actor,
    action: str,
    resource: Any,
    *,
    resource_type: str,
    person_ids: Iterable[uuid.UUID] = (),
    reason: str | None = None,
) -> None:
    """Audit a change the caller made to `resource` (the row, or its id): flushed first, then `record`.

    The flush comes first so that the change's own errors come before any event, and so that a
    new row has its id (given at the flush) when the event names it.
    """
    await session.flush()
    resource_id = resource if isinstance(resource, uuid.UUID) else resource.id
    await record(
        session,
        actor,
        action,
        resource_type=resource_type,
        resource_id=resource_id,
        person_ids=person_ids,
        reason=reason,
    )


async def record_on_driver(
    connection: asyncpg.Connection,
    actor: Actor,
    action: str,
    *,
    resource_type: str,
    resource_id: Any = None,
    person_ids: Iterable[uuid.UUID] = (),
    reason: str | None = None,
) -> None:
    """`record` of a successful read on the driver connection of the hot reads (app.db_driver)."""
    event = _actor_event(actor, action, resource_type, resource_id, person_ids, "success", None, reason)
    await APPEND_ON_DRIVER.execute(connection, event)
    if event["person_ids"]:
        await volume.count_on_driver(connection, actor, action, event["person_ids"])


def _actor_event(
    actor: Actor,
    action: str,
    resource_type: str | None,
    resource_id: Any,
    person_ids: Iterable[uuid.UUID],
    outcome: str,
    status_code: int | None,
    reason: str | None,
) -> dict[str, Any]:
    return event_row(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_role=actor.role.value,
        agency_id=actor.agency_id,
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        person_ids=list(person_ids),
        request_id=actor.request_id,
        correlation_id=actor.correlation_id,
        client_ip=actor.client_ip,
        peer_ip=actor.peer_ip,
        outcome=outcome,
        status_code=status_code,
        reason=reason,
    )


def _count_upsert(dialect: str) -> Any:
    """INSERT one denial into its bucket, or add 1 to the bucket's count: one atomic statement."""
    table = AuditDenialCount.__table__
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.bucket_start, table.c.client_ip],
        set_={"count": table.c.count + stmt.excluded.count, "last_at": stmt.excluded.last_at},
    )


_COUNT_UPSERTS = {dialect: _count_upsert(dialect) for dialect in ("postgresql", "sqlite")}


def bucket_of(instant: datetime, seconds: int) -> datetime:
    """The start of the time bucket of `instant` (buckets of `seconds`, from the epoch)."""
    epoch = int(instant.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


async def count_anonymous_denial(session: AsyncSession, client_ip: str | None, bucket_seconds: int) -> None:
    """Count a 401 without a valid identity in its (time bucket, address) row."""
    now = utcnow()
    values = {"bucket_start": bucket_of(now, bucket_seconds), "client_ip": client_ip or "unknown"}
    await session.execute(_COUNT_UPSERTS[session.bind.dialect.name], {**values, "count": 1, "last_at": now})


async def purge_denial_counts(session: AsyncSession, retention_days: int) -> int:
    """Delete the denial counts of buckets older than the retention."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = await session.execute(delete(AuditDenialCount).where(AuditDenialCount.bucket_start < cutoff))
    return result.rowcount or 0


def touching_person(stmt: Select[Any], person_id: uuid.UUID, dialect: str) -> Select[Any]:
    """Restrict `stmt` to events whose person_ids contain `person_id`."""
    if dialect == "postgresql":
        wanted = literal([person_id], ARRAY(Uuid()))
        return stmt.where(AuditEvent.person_ids.op("@>")(wanted))
    each = func.json_each(AuditEvent.person_ids).table_valued("value")
    return stmt.where(exists(select(literal(1)).select_from(each).where(each.c.value == person_id.hex)))


async def list_events(
    session: AsyncSession,
    page: PageParams,
    *,
    actor_id: uuid.UUID | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    person_id: uuid.UUID | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Sequence[AuditEvent], str | None]:
    """A page of events, oldest first, filtered as asked."""
    stmt = select(AuditEvent)
    for column, value in (
        (AuditEvent.actor_id, actor_id),
        (AuditEvent.resource_type, resource_type),
        (AuditEvent.resource_id, resource_id),
        (AuditEvent.action, action),
        (AuditEvent.outcome, outcome),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < until)
    if person_id is not None:
        stmt = touching_person(stmt, person_id, session.bind.dialect.name)
    rows, next_cursor = await paginate_rows(session, stmt, AuditEvent.id, page)
    return [row[0] for row in rows], next_cursor

"""Idempotency-Key for POST: a replay reads the first answer's resource again; another body is 422.

The key row is inserted first, inside the request's transaction. A concurrent request with the
same key blocks on the unique key (PostgreSQL) or on the write lock (SQLite) until the first
commits, then finds the stored answer and replays it. Keys live in the database, so this holds
across workers and machines.

What is stored of the answer is its status, the path of the resource it showed and that
resource's id: never a body, never a secret. A replay answers with an in-process GET of that path
under the caller's own credentials and headers, so the read's permission, restriction and erasure
checks and its audit event apply as they do to any read; a refused read (403, 404) is the replay's
answer. A secret shown once (a webhook's, an API client's) is therefore never shown again: its
resource's GET does not carry it.

The keys are claimed and kept here; the dependency and the replay's read are app.idempotency.deps.
"""

import hashlib
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError, Conflict
from app.idempotency.models import IdempotencyKey
from app.orm import utcnow


class IdempotencyKeyReused(AppError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused"


class Replay(AppError):
    """Not an error: carries the stored answer out of the dependency, past the route."""

    status, slug, title = 200, "replay", "Replay"

    def __init__(self, row: IdempotencyKey) -> None:
        super().__init__("replay")
        self.status_code = row.status_code or 200
        self.location = row.location


def request_digest(method: str, path: str, query: str, body: bytes) -> str:
    """What "the same request" means: method, path, query and body."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query.encode(), body])).hexdigest()


def _insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> Any:
    dialect = session.bind.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(IdempotencyKey).values(**values).on_conflict_do_nothing()


async def claim(session: AsyncSession, owner: str, key: str, digest: str, ttl: timedelta) -> None:
    """Claim `key` for this request, or raise: `Replay` of its stored answer, 422 for another body."""
    now = utcnow()
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.owner == owner,
            IdempotencyKey.key == key,
            IdempotencyKey.expires_at <= now,
        )
    )
    claimed = await session.execute(
        _insert_if_absent(
            session,
            {
                "owner": owner,
                "key": key,
                "request_digest": digest,
                "created_at": now,
                "expires_at": now + ttl,
            },
        )
    )
    if claimed.rowcount == 1:
        return
    row = (
        await session.execute(
            select(IdempotencyKey)
            .where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if row.request_digest != digest:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request.")
    if row.status_code is None or row.location is None:
        raise Conflict("A request with this Idempotency-Key is still in progress.")
    raise Replay(row)


async def store_answer(
    session: AsyncSession,
    owner: str,
    key: str,
    status_code: int,
    location: str,
    resource_id: uuid.UUID | None,
) -> None:
    """Keep what the claimed key answered: its status and the resource a replay reads."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        .values(status_code=status_code, location=location, resource_id=resource_id)
    )


async def purge_expired(session: AsyncSession) -> int:
    """Delete keys past their 24 hours."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))
    return result.rowcount or 0

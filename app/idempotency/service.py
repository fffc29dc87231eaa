"""Idempotency-Key for POST: a replay gets the first response; another body with the key is 422.

The key row is inserted first, inside the request's transaction. A concurrent request with the
same key blocks on the unique key (PostgreSQL) or on the write lock (SQLite) until the first
commits, then finds the stored response and replays it. Keys live in the database, so this
holds across workers and machines.
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.conventions import etag, json_response
from app.db import SessionDep, utcnow
from app.errors import AppError, Conflict
from app.idempotency.models import IdempotencyKey
from app.security import crypto
from app.security.deps import current_actor
from app.security.principal import Actor

REPLAYED_HEADERS = ("location", "etag")


class IdempotencyKeyReused(AppError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused"


class Replay(AppError):
    """Not an error: carries the stored response out of the dependency, past the route."""

    status, slug, title = 200, "replay", "Replay"

    def __init__(self, row: IdempotencyKey) -> None:
        super().__init__("replay")
        headers = dict(row.response_headers or {}) | {"Idempotent-Replayed": "true"}
        body = _open(row.response_body, row.owner, row.key) if row.response_body else b""
        self.response = Response(body, row.status_code or 200, headers=headers, media_type="application/json")


# Stored responses can hold a full NIK or a secret shown once: encrypted like every such field,
# bound to the key's owner and value so a row cannot be replayed under another key.
def _row_id(owner: str, key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"idempotency:{owner}:{key}")


def _seal(body: bytes, owner: str, key: str) -> bytes:
    return crypto.encrypt(body.decode(), _row_id(owner, key), "response_body")


def _open(blob: bytes, owner: str, key: str) -> bytes:
    return crypto.decrypt(blob, _row_id(owner, key), "response_body").encode()


@dataclass
class Idempotency:
    """What a POST route needs to answer: through here, so that the answer is stored for replay."""

    session: AsyncSession
    owner: str
    key: str | None
    extra_headers: dict[str, str] = field(default_factory=dict)

    async def respond(
        self,
        model: BaseModel,
        status_code: int = 200,
        *,
        location: str | None = None,
        version: int | None = None,
    ) -> Response:
        """The JSON response, with Location and ETag when given, stored under the key if any."""
        headers: dict[str, str] = {}
        if location:
            headers["Location"] = location
        if version is not None:
            headers["ETag"] = etag(version)
        response = json_response(model, status_code, headers)
        if self.key is not None:
            await self.session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.owner == self.owner, IdempotencyKey.key == self.key)
                .values(
                    status_code=status_code,
                    response_body=_seal(bytes(response.body), self.owner, self.key),
                    response_headers=headers,
                )
            )
        return response

    async def created(self, model: BaseModel, location: str, version: int | None = None) -> Response:
        """201 Created with Location."""
        return await self.respond(model, 201, location=location, version=version)


def _insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> Any:
    dialect = session.bind.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(IdempotencyKey).values(**values).on_conflict_do_nothing()


async def idempotency(
    request: Request,
    session: SessionDep,
    actor: Annotated[Actor, Depends(current_actor)],
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Send the same key to retry safely: the first response is replayed.",
        ),
    ] = None,
) -> Idempotency:
    """Claim the key (or replay what it already answered) before the route runs."""
    owner = f"{actor.kind}:{actor.id}"
    if idempotency_key is None:
        return Idempotency(session, owner, None)
    body = await request.body()
    digest = hashlib.sha256(
        b"\n".join([request.method.encode(), request.url.path.encode(), request.url.query.encode(), body])
    ).hexdigest()
    now = utcnow()
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.owner == owner,
            IdempotencyKey.key == idempotency_key,
            IdempotencyKey.expires_at <= now,
        )
    )
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    claimed = await session.execute(
        _insert_if_absent(
            session,
            {
                "owner": owner,
                "key": idempotency_key,
                "request_digest": digest,
                "created_at": now,
                "expires_at": now + ttl,
            },
        )
    )
    if claimed.rowcount == 1:
        return Idempotency(session, owner, idempotency_key)
    row = (
        await session.execute(
            select(IdempotencyKey)
            .where(IdempotencyKey.owner == owner, IdempotencyKey.key == idempotency_key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if row.request_digest != digest:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request.")
    if row.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still in progress.")
    raise Replay(row)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]


async def purge_expired(session: AsyncSession) -> int:
    """Delete keys past their 24 hours."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))
    return result.rowcount or 0

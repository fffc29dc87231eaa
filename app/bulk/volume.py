"""How many persons each account reads per clock hour; over the bound it is flagged, and by setting paused.

Every audited read of persons (one, a list, a search, an export) adds its persons to the caller's
hourly count: kept in the process and written in batches by an atomic upsert, in a read's own
transaction. The read that takes the count
over `read_volume_hourly_limit` flags the account once that hour: an audit event, a metric and a
staff-only webhook event (`account.read_volume_exceeded`) for the admins. With
`read_volume_pause`, reads over the bound are refused (429) until the hour ends.
"""

import contextvars
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.bulk.models import ReadVolume
from app.config import Settings, get_settings
from app.db_driver import DriverStatement
from app.errors import TooManyRequests
from app.security.principal import Actor

# Every audited read that shows persons' data: the record, lists, searches, exports, the history.
READ_ACTIONS = frozenset({"person.read", "person.list", "person.search", "person.export", "person.history"})
FLAG_EVENT = "account.read_volume_exceeded"
TABLE = ReadVolume.__table__

# Flags raised by this process (the metric `reintegrasi_read_volume_flags`).
FLAGGED = {"total": 0}
# A flag raised on the driver connection, written once its transaction committed (app.security.deps).
PENDING: contextvars.ContextVar["Flag | None"] = contextvars.ContextVar("read_volume_flag", default=None)


@dataclass(frozen=True, slots=True)
class Flag:
    actor: Actor
    hour: int
    count: int
    limit: int
    paused: bool


class ReadsPaused(TooManyRequests):
    slug, title = "reads-paused", "Reads paused"


# Declared by every route whose read counts (one of READ_ACTIONS): its answer once paused
# (app/openapi.py adds the problem schema and Retry-After).
PAUSED_RESPONSES: dict[int | str, dict[str, Any]] = {
    ReadsPaused.status: {
        "description": "The account read more persons this hour than its bound (`read_volume_pause`)."
    }
}


def _upsert(dialect: str) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TABLE)
    return stmt.on_conflict_do_update(
        index_elements=[TABLE.c.actor_id, TABLE.c.hour], set_={"count": TABLE.c.count + stmt.excluded.count}
    ).returning(TABLE.c.count)


UPSERTS = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}
UPSERT_ON_DRIVER = DriverStatement(UPSERTS["postgresql"])


def _counted(actor: Actor, action: str, person_ids: list[uuid.UUID]) -> int:
    return len(person_ids) if actor.kind != "system" and action in READ_ACTIONS else 0


def _hour() -> int:
    return int(time.time() // 3600)


def _judge(actor: Actor, hour: int, count: int, added: int, settings: Settings) -> Flag | None:
    """The flag this read raises, if it is the one over the bound; 429 past it when pausing."""
    limit = settings.read_volume_hourly_limit
    crossed = count - added <= limit < count
    flag = Flag(actor, hour, count, limit, settings.read_volume_pause) if crossed else None
    if count > limit and settings.read_volume_pause:
        retry = max(1, math.ceil((hour + 1) * 3600 - time.time()))
        raise ReadsPaused(
            "This account read more persons this hour than allowed; reads resume next hour.",
            headers={"Retry-After": str(retry)},
            durable=[partial(write_flag, flag=flag)] if flag else [],
        )
    return flag


# Counts are kept per process and written in batches: one upsert per read would have every read
# of an account wait on one row's lock. A batch is written when it reaches a tenth of the bound,
# and at once when it would take the account over the bound, so the flag comes with the read that
# crosses it; the count of several workers lags by at most a batch each.
_unwritten: dict[tuple[uuid.UUID, int], int] = {}
_written: dict[tuple[uuid.UUID, int], int] = {}


def _batch(actor: Actor, hour: int, added: int, settings: Settings) -> int:
    """The persons to write now for this account and hour (0: keep counting in memory)."""
    key = (actor.id, hour)
    if _unwritten and next(iter(_unwritten))[1] != hour:
        _unwritten.clear()  # a new hour: last hour's counts are what was written
        _written.clear()
    pending = _unwritten[key] = _unwritten.get(key, 0) + added
    written, limit = _written.get(key, 0), settings.read_volume_hourly_limit
    if pending >= max(1, limit // 10) or written <= limit < written + pending:
        del _unwritten[key]
        return pending
    if written + pending > limit and settings.read_volume_pause:
        _judge(actor, hour, written + pending, 0, settings)  # paused: 429, no write needed
    return 0


def _wrote(actor: Actor, hour: int, count: int) -> None:
    _written[(actor.id, hour)] = count


async def count_on_session(
    session: AsyncSession, actor: Actor, action: str, person_ids: list[uuid.UUID]
) -> None:
    """Count an audited read, writing a batch in the session's transaction; a flag after its commit."""
    hour, settings = _hour(), get_settings()
    added = _batch(actor, hour, _counted(actor, action, person_ids), settings)
    if not added:
        return
    params = {"actor_id": actor.id, "hour": hour, "count": added}
    count = (await session.execute(UPSERTS[session.bind.dialect.name], params)).scalar_one()
    _wrote(actor, hour, count)
    flag = _judge(actor, hour, count, added, settings)
    if flag is not None:
        # app.db's after-commit list (app.db imports the audit service, which imports this module).
        session.info.setdefault("after_commit", []).append(partial(_write_apart, flag=flag))


async def count_on_driver(
    connection: asyncpg.Connection, actor: Actor, action: str, person_ids: list[uuid.UUID]
) -> None:
    """`count_on_session` on the driver connection of the hot reads."""
    hour, settings = _hour(), get_settings()
    added = _batch(actor, hour, _counted(actor, action, person_ids), settings)
    if not added:
        return
    rows = await UPSERT_ON_DRIVER.fetch(connection, {"actor_id": actor.id, "hour": hour, "count": added})
    _wrote(actor, hour, rows[0][0])
    flag = _judge(actor, hour, rows[0][0], added, settings)
    if flag is not None:
        PENDING.set(flag)


async def _write_apart(engine: AsyncEngine, settings: Settings, *, flag: Flag) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        await write_flag(session, flag=flag)
        await session.commit()


async def write_pending(sessionmaker: Any) -> None:
    """Write the flag the driver read raised (after its commit), in a session of its own."""
    flag = PENDING.get()
    if flag is None:
        return
    PENDING.set(None)
    async with sessionmaker() as session:
        await write_flag(session, flag=flag)
        await session.commit()


FlagWriter = Callable[..., Awaitable[None]]
_writers: list[FlagWriter] = []


def on_flag(writer: FlagWriter) -> FlagWriter:
    """Register what a flag writes (app/bulk/flags.py): this module is below the audit service."""
    _writers.append(writer)
    return writer


async def write_flag(session: AsyncSession, *, flag: Flag) -> None:
    """The flag: when paused, the count kept; then each registered writer (audit, metric, webhook)."""
    actor = flag.actor
    if flag.paused:
        # The refused read rolled back its count: keep the account over the bound for the hour.
        params = {"actor_id": actor.id, "hour": flag.hour, "count": flag.count}
        await session.execute(UPSERTS[session.bind.dialect.name], params)
    FLAGGED["total"] += 1
    for writer in _writers:
        await writer(session, flag)

"""Flows that end access to a person across domains: erasure (UU PDP Art. 43) and the end of a referral.

Erasure is one flow over every domain, driven by the inventory.

Every table the inventory links to a person is updated in the request's transaction, each column
as its classification says (null, redact, empty, keep). Nothing here names a column: a column
classified "redact on erasure" in app/privacy/inventory/ is redacted without another change.
After the commit the live database files are scrubbed (SQLite's WAL checkpointed and truncated,
secure_delete zeroing freed space; PostgreSQL's touched tables rewritten by VACUUM FULL).
"""

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Table, case, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from app.change_requests import service as change_request_service
from app.config import Settings
from app.db import Base, after_commit, utcnow
from app.persons import events as webhook_events
from app.persons import service as person_service
from app.persons.models import Person, Referral
from app.privacy.inventory import INVENTORY, REDACTED, Column, Erasure
from app.security.principal import Actor

log = logging.getLogger("app.privacy")

# What a partner's pending change request says when its referral ends before a decision.
ENDED_REFERRAL = "Withdrawn: the referral ended."
ERASED_VALUES: dict[Erasure, Any] = {Erasure.null: None, Erasure.redact: REDACTED, Erasure.empty: {}}


async def erase_person(session: AsyncSession, actor: Actor, ref: uuid.UUID) -> Person:
    """Erase a person's identity, contact data and every free text about them; keep the counted skeleton.

    The request's free-text reason is not kept anywhere: it could name the person it erases; the
    audit event holds the purpose code.
    """
    person = (await person_service.find(session, actor, ref, for_update=True)).person
    person_service.refuse_if_erased(person)
    await webhook_events.person_erased(session, person)  # before the referrals end: it tells whom to tell
    ended = await _end_referrals(session, person.id)
    await erase_everywhere(session, person.id)
    await change_request_service.withdraw_pending(session, actor, person.id, None, "The record was erased.")
    await session.execute(update(Person).where(Person.id == person.id).values(erased_at=utcnow()))
    session.add(person_service.history_entry(person.id, actor, "erasure", reason=REDACTED))
    await person_service.record_person_change(session, actor, "person.erase", person.id, reason=actor.purpose)
    await session.refresh(person)
    log.info("erasure: person erased", extra={"referrals_ended": len(ended)})
    return person


async def end_referral(session: AsyncSession, actor: Actor, ref: uuid.UUID, agency_id: uuid.UUID) -> None:
    """End a referral: the agency stops seeing the person, and its pending change requests are withdrawn."""
    person = await person_service.end_referral(session, actor, ref, agency_id)
    await change_request_service.withdraw_pending(session, actor, person.id, agency_id, ENDED_REFERRAL)


async def _end_referrals(session: AsyncSession, person_id: uuid.UUID) -> list[Referral]:
    """End the person's active referrals: no agency sees the record any more."""
    referrals = (
        await session.scalars(
            select(Referral).where(Referral.person_id == person_id, Referral.ended_at.is_(None))
        )
    ).all()
    for referral in referrals:
        referral.ended_at = utcnow()
    return list(referrals)


def erasure_updates(table: Table, person_id: uuid.UUID) -> list[Any]:
    """The UPDATE statements that erase one person's data from one table (none if nothing to do)."""
    entry = INVENTORY[table.name]
    if entry.link is None:
        return []
    groups: dict[tuple[str, tuple[str, ...]] | None, dict[str, Any]] = defaultdict(dict)
    for name, classified in entry.columns.items():
        if classified.erasure is not Erasure.keep:
            groups[classified.erase_unless][name] = _erased(table, name, classified)
    statements = []
    for unless, values in groups.items():
        condition = entry.link(table, person_id)
        if unless is not None:
            kept_column, kept_values = unless
            condition = condition & table.c[kept_column].not_in(kept_values)
        if "version" in table.c:
            values |= {"version": table.c.version + 1, "updated_at": utcnow()}
        statements.append(update(table).where(condition).values(values))
    return statements


def _erased(table: Table, name: str, classified: Column) -> Any:
    value = ERASED_VALUES[classified.erasure]
    if classified.erasure is Erasure.redact:
        # Only what was written is marked: an empty field that turned into "[erased]" would tell
        # whoever reads it (a batch's counterpart, say) that someone was erased.
        return case((table.c[name].is_(None), None), else_=literal(value, table.c[name].type))
    # A JSON value must be bound as JSON on both databases, not as a string.
    return literal(value, table.c[name].type) if isinstance(value, dict) else value


async def erase_everywhere(session: AsyncSession, person_id: uuid.UUID) -> list[str]:
    """Apply the inventory's erasure to every table linked to the person; the tables touched."""
    touched = []
    for name in INVENTORY:
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        statements = erasure_updates(table, person_id)
        for statement in statements:
            await session.execute(statement.execution_options(synchronize_session=False))
        if statements:
            touched.append(name)
    after_commit(session, lambda engine, settings: scrub_files(engine, settings, touched))
    return touched


@asynccontextmanager
async def _maintenance_connection(engine: AsyncEngine, settings: Settings) -> AsyncIterator[AsyncConnection]:
    """The owner's connection when one is configured (VACUUM FULL needs the table's owner), else the app's."""
    if settings.maintenance_database_url is None or engine.dialect.name == "sqlite":
        async with engine.connect() as conn:
            yield conn
        return
    owner = create_async_engine(settings.maintenance_database_url, poolclass=NullPool, hide_parameters=True)
    try:
        async with owner.connect() as conn:
            yield conn
    finally:
        await owner.dispose()


async def scrub_files(engine: AsyncEngine, settings: Settings, tables: list[str]) -> None:
    """Leave nothing of the erased values in the live database files (run after the commit)."""
    async with _maintenance_connection(engine, settings) as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "sqlite":
            # secure_delete (set on every connection) zeroed the freed space in the pages; the old
            # page images are still in the WAL until it is checkpointed and truncated.
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        # A plain VACUUM frees the dead row versions but leaves their bytes in the pages; VACUUM FULL
        # rewrites each table (and its indexes and TOAST) into new files. It locks the table while
        # it runs: wait at most 10 s for the lock, and let a large table take the time it needs.
        await conn.exec_driver_sql("SET lock_timeout = '10s'")
        await conn.exec_driver_sql("SET statement_timeout = 0")
        await _wait_for_older_snapshots(conn)
        for table in tables:
            await conn.execute(text(f'VACUUM FULL "{table}"'))  # names from the inventory
    log.info("erasure: database files scrubbed", extra={"tables": len(tables)})


# Sessions of this database whose snapshot is older than the mark (autovacuum's ANALYZE, a long
# report): VACUUM FULL copies the row versions they may still see into the new files. Sessions of
# other roles show no xmin unless the maintenance role has pg_read_all_stats.
_OLDER_SNAPSHOTS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL "
    "AND age(backend_xmin) > age(CAST(:mark AS xid))"
)
_SNAPSHOT_WAIT_S, _SNAPSHOT_POLL_S = 10.0, 0.05


async def _wait_for_older_snapshots(conn: AsyncConnection) -> None:
    """Wait (bounded) until no session can still see the erased row versions."""
    # Every transaction before this mark (the erasure's included) has ended or is still running.
    mark = await conn.scalar(
        text("SELECT CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text) AS bigint) % 4294967296")
    )
    deadline = time.monotonic() + _SNAPSHOT_WAIT_S
    while await conn.scalar(_OLDER_SNAPSHOTS, {"mark": mark}):
        if time.monotonic() > deadline:
            log.warning("erasure: an older snapshot is still open; the old row versions may be kept")
            return
        await asyncio.sleep(_SNAPSHOT_POLL_S)

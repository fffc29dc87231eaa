"""Tamper evidence: an audit row deleted, changed or added behind the app's back, or a rewritten tail.

The insider here owns the tables (on PostgreSQL: the role that ran the migrations; on SQLite:
whoever can write the file): it switches the append-only triggers off and writes what it likes.
"""

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from app.audit import chain
from app.audit import service as audit
from app.audit.models import AuditEvent, AuditSeal
from tests.conftest import ROOT
from tests.platform import AGENCIES, agency_body

VERIFICATION = "/api/v1/audit-events/verification"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    for table in ("audit_events", "audit_seals")
    for verb in ("UPDATE", "DELETE")
]


class Insider:
    """Writes to the audit tables as their owner, triggers off."""

    def __init__(self, app) -> None:
        self.engine = app.state.engine

    async def __call__(self, *statements) -> None:
        async with self.engine.begin() as conn:
            postgres = conn.dialect.name == "postgresql"
            for table in ("audit_events", "audit_seals"):
                if postgres:
                    await conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            if not postgres:
                for trigger in SQLITE_TRIGGERS:
                    await conn.execute(text(f"DROP TRIGGER {trigger.split()[2]}"))
            for statement in statements:
                await conn.execute(statement)
            for table in ("audit_events", "audit_seals"):
                if postgres:
                    await conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            if not postgres:
                for trigger in SQLITE_TRIGGERS:
                    await conn.execute(text(trigger))


@pytest.fixture
def sealing(app):
    """The app's settings, sealing at once in batches of 3."""
    settings = app.state.settings.model_copy(
        update={"audit_seal_delay_seconds": 0, "audit_seal_batch_size": 3}
    )
    app.state.settings = settings
    return settings


async def _events(client, callers, count: int) -> None:
    for n in range(count):
        body = agency_body(f"Yayasan Rantai Uji {uuid.uuid4().hex[:6]} {n}")
        assert (await client.post(AGENCIES, json=body, headers=callers.officer.headers)).status_code == 201


async def _ids(app) -> list[uuid.UUID]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(select(AuditEvent.id).order_by(AuditEvent.id))).all())


async def _verify(app, anchors=()):
    async with app.state.sessionmaker() as session:
        return await chain.verify(session, app.state.settings, anchors)


async def _sealed_world(app, client, callers, sealing) -> list[uuid.UUID]:
    """7 events in 3 seals (3, 3, 1), then 2 more events not yet sealed; the chain verifies."""
    await _events(client, callers, 7)
    await _fresh_millisecond()
    assert await chain.seal_pending(app.state.sessionmaker, sealing) == 3
    await _events(client, callers, 2)
    result = await _verify(app)
    assert (result.ok, result.seals, result.sealed_events, result.unsealed_events) == (True, 3, 7, 2), result
    return await _ids(app)


async def _fresh_millisecond() -> None:
    import asyncio

    await asyncio.sleep(0.005)  # the frontier is a millisecond's floor: the last event must be older


def _event_between(earlier: uuid.UUID) -> dict:
    """A well-formed event with the next id after `earlier`, its row hash right (the insider has the key)."""
    event = audit.event_row(
        action="agency.read", actor_kind="user", actor_id=uuid.uuid4(), actor_role="officer"
    )
    event["id"] = uuid.UUID(int=earlier.int + 1)
    event["row_hash"] = chain.row_hash(event)
    return event


TABLE = AuditEvent.__table__


async def test_the_untouched_trail_verifies(app, client, callers, sealing):
    await _sealed_world(app, client, callers, sealing)


async def test_an_updated_sealed_event_is_found(app, client, callers, sealing):
    ids = await _sealed_world(app, client, callers, sealing)
    await Insider(app)(update(TABLE).where(TABLE.c.id == ids[4]).values(action="agency.read"))
    found = (await _verify(app)).first_break
    assert (found.kind, found.seal, found.event_id) == ("event_altered", 2, ids[4])


async def test_an_updated_event_with_a_recomputed_row_hash_is_found_by_its_seal(
    app, client, callers, sealing
):
    ids = await _sealed_world(app, client, callers, sealing)
    async with app.state.sessionmaker() as session:
        event = await session.get(AuditEvent, ids[1])
        row = {name: getattr(event, name) for name in chain.HASHED} | {"status_code": 299}
    await Insider(app)(
        update(TABLE).where(TABLE.c.id == ids[1]).values(status_code=299, row_hash=chain.row_hash(row))
    )
    found = (await _verify(app)).first_break
    assert (found.kind, found.seal) == ("events_changed", 1)


async def test_a_deleted_sealed_event_is_found(app, client, callers, sealing):
    ids = await _sealed_world(app, client, callers, sealing)
    await Insider(app)(delete(TABLE).where(TABLE.c.id == ids[3]))
    found = (await _verify(app)).first_break
    assert (found.kind, found.seal) == ("events_changed", 2)


async def test_an_event_inserted_into_a_sealed_range_is_found(app, client, callers, sealing):
    ids = await _sealed_world(app, client, callers, sealing)
    await Insider(app)(insert(TABLE).values(**_event_between(ids[0])))
    found = (await _verify(app)).first_break
    assert (found.kind, found.seal) == ("events_changed", 1)


async def test_an_unsealed_event_changed_or_added_without_the_key_is_found(app, client, callers, sealing):
    ids = await _sealed_world(app, client, callers, sealing)
    await Insider(app)(update(TABLE).where(TABLE.c.id == ids[-1]).values(reason="dipalsukan"))
    found = (await _verify(app)).first_break
    assert (found.kind, found.seal, found.event_id) == ("event_altered", None, ids[-1])

    await Insider(app)(delete(TABLE).where(TABLE.c.id == ids[-1]))
    forged = _event_between(ids[-1]) | {"row_hash": "0" * 64}  # written without the key
    await Insider(app)(insert(TABLE).values(**forged))
    found = (await _verify(app)).first_break
    assert (found.kind, found.event_id) == ("event_altered", forged["id"])


async def test_a_deleted_seal_breaks_the_chain(app, client, callers, sealing):
    await _sealed_world(app, client, callers, sealing)
    await Insider(app)(delete(AuditSeal.__table__).where(AuditSeal.id == 2))
    found = (await _verify(app)).first_break
    assert (found.kind, found.seal) == ("seal_missing", 2)


async def test_a_sealer_does_not_vouch_for_an_altered_event(app, client, callers, sealing):
    ids = await _sealed_world(app, client, callers, sealing)
    await Insider(app)(update(TABLE).where(TABLE.c.id == ids[-2]).values(action="agency.read"))
    await _fresh_millisecond()
    assert await chain.seal_pending(app.state.sessionmaker, sealing) == 0
    assert (await _verify(app)).first_break.kind == "event_altered"


async def test_the_anchored_head_finds_a_rewritten_tail(app, client, callers, sealing, tmp_path):
    """The tail rewritten (last seal and its events gone, the rest consistent): only the anchor sees it."""
    anchors = tmp_path / "anchors.jsonl"
    app.state.settings = sealing = sealing.model_copy(update={"audit_anchor_file": str(anchors)})
    ids = await _sealed_world(app, client, callers, sealing)
    async with app.state.sessionmaker() as session:
        line = await chain.anchor(session, sealing)
    assert line["seal"] == 3 and chain.read_anchors(anchors) == [line]
    assert (await _verify(app, chain.read_anchors(anchors))).ok

    await Insider(app)(
        delete(AuditSeal.__table__).where(AuditSeal.id == 3),
        delete(TABLE).where(TABLE.c.id >= ids[6]),
    )
    assert (await _verify(app)).ok  # consistent in itself: what the database alone can tell
    found = (await _verify(app, chain.read_anchors(anchors))).first_break
    assert (found.kind, found.seal) == ("anchor_mismatch", 3)

    forged = dict(line) | {"seal": 2}
    found = (await _verify(app, [forged])).first_break
    assert found.kind == "anchor_forged"


async def test_events_newer_than_the_delay_wait_for_the_next_round(app, client, callers):
    await _events(client, callers, 2)
    settings = app.state.settings.model_copy(update={"audit_seal_delay_seconds": 300})
    assert await chain.seal_pending(app.state.sessionmaker, settings) == 0
    assert (await _verify(app)).unsealed_events == 2


async def test_the_driver_path_hashes_its_rows_as_the_session_does(app, client, callers, session):
    # GET one person runs on asyncpg on PostgreSQL (app.persons.reader), on the session elsewhere.
    from tests.persons.helpers import make_person, make_site

    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    assert (
        await client.get(f"/api/v1/persons/{person['id']}", headers=callers.officer.headers)
    ).status_code == 200
    assert (await client.get("/api/v1/persons", headers=callers.officer.headers)).status_code == 200
    assert (await _verify(app)).ok
    events = (await session.scalars(select(AuditEvent).where(AuditEvent.action.like("person.%")))).all()
    assert {e.action for e in events} >= {"person.read", "person.list"}


async def test_the_verification_endpoint_reports_the_first_break(app, client, callers, sealing):
    ids = await _sealed_world(app, client, callers, sealing)
    response = await client.get(VERIFICATION, headers=callers.auditor.headers)
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True and response.json()["seals"] == 3
    assert (await client.get(VERIFICATION, headers=callers.viewer.headers)).status_code == 403
    await Insider(app)(delete(TABLE).where(TABLE.c.id == ids[0]))
    body = (await client.get(VERIFICATION, headers=callers.admin.headers)).json()
    assert body["ok"] is False
    assert body["first_break"] == {
        "kind": "events_changed",
        "seal": 1,
        "event_id": None,
        "detail": body["first_break"]["detail"],
    }


async def test_the_worker_loop_seals_and_anchors(app, client, callers, sealing, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    settings = sealing.model_copy(update={"audit_anchor_file": str(anchors)})
    await _events(client, callers, 4)
    await _fresh_millisecond()
    await chain.Sealer(app.state.sessionmaker, settings).tick()
    result = await _verify(app, chain.read_anchors(anchors))
    assert (result.ok, result.seals, result.anchors, result.unsealed_events) == (True, 2, 1, 0)


def test_the_command_line_verifies_and_names_the_break(backend, tmp_path):
    if backend.name != "sqlite":
        pytest.skip("the command is the same on both; the file is SQLite's")
    url = backend.fresh_url()
    env = {**os.environ, "REINTEGRASI_DATABASE_URL": url, "REINTEGRASI_AUDIT_SEAL_DELAY_SECONDS": "0"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # a fixed command line
            [sys.executable, "-m", "app", "audit", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    import sqlite3

    database = url.split("///", 1)[1]
    for n in range(3):
        event = audit.event_row(action=f"uji.{n}", occurred_at=audit.utcnow() - timedelta(minutes=10))
        with sqlite3.connect(database) as db:
            columns = ", ".join(event)
            db.execute(
                f"INSERT INTO audit_events ({columns}) VALUES ({', '.join('?' * len(event))})",  # noqa: S608
                [_sqlite_value(v) for v in event.values()],
            )
    sealed = run("seal")
    assert sealed.returncode == 0 and "sealed 1 batches" in sealed.stdout, sealed.stderr
    assert run("verify").returncode == 0
    with sqlite3.connect(database) as db:
        db.execute("DROP TRIGGER audit_events_no_update")
        db.execute("UPDATE audit_events SET action = 'uji.palsu' WHERE action = 'uji.1'")
    broken = run("verify")
    assert broken.returncode == 1 and "BROKEN: event_altered at seal 1" in broken.stderr, broken


def _sqlite_value(value):
    """A column value as SQLAlchemy stores it in SQLite (UUIDs as hex, times as text)."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v.hex}"' for v in value) + "]"
    if hasattr(value, "isoformat"):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def test_truncate_of_the_audit_tables_is_refused(app, backend):
    if backend.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (a DELETE, refused by the row triggers)")
    from sqlalchemy.exc import DBAPIError

    for table in ("audit_events", "audit_seals"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with app.state.engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {table} CASCADE"))

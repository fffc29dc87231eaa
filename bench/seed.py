# ruff: noqa: S311 - synthetic data, not secrets: a seeded generator on purpose
"""Synthetic data for the benchmark: agencies, sites, persons, referrals, meetings, an officer's token.

PostgreSQL is filled with asyncpg COPY into a database of its own (dropped and created anew, then
`alembic upgrade head`); SQLite, for the embedded figures, with SQLAlchemy Core executemany.
NIKs are synthetic, valid in form, unique, and encrypted with app.security.crypto exactly as the
app does, so the app reads them back. No real name, NIK or phone number appears.
"""

import asyncio
import itertools
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench import env

CHUNK = 50_000
AGENCIES = 40
REFERRED_AGENCIES = 10  # referrals go to the first ten agencies
SAMPLE_IDS = 1000  # persons the GET benchmark cycles through
STATUSES = [
    ("registered", 50),
    ("verified", 25),
    ("awaiting_return", 10),
    ("repatriated", 5),
    ("returned_independently", 5),
    ("staying", 5),
]


@dataclass
class Seeded:
    """What a seeded database holds that the benchmark needs to address it."""

    backend: str
    url: str  # SQLAlchemy URL, as the app's settings take it
    token: str
    officer_id: uuid.UUID
    site_id: uuid.UUID
    import_site_id: uuid.UUID
    sample_ids: list[str]
    counts: dict[str, int]
    seconds: float
    notes: list[str] = field(default_factory=list)
    regencies: list[str] = field(default_factory=list)


@dataclass
class Fixed:
    """The rows every backend gets: regions known to the app, agencies, sites, the officer."""

    now: datetime
    officer_id: uuid.UUID
    token: str
    site_id: uuid.UUID
    import_site_id: uuid.UUID
    agency_ids: list[uuid.UUID]
    regencies: list[str]
    rows: dict[str, list[dict[str, Any]]]


def _fixed(size: int, regencies: list[str]) -> Fixed:
    from app.ids import uuid7
    from app.security.tokens import new_token, token_digest

    now = datetime.now(UTC)
    officer_id, site_id, import_site_id = uuid7(), uuid7(), uuid7()
    agency_ids = [uuid7() for _ in range(AGENCIES)]
    token = new_token()
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    kinds = ["government", "ngo", "police", "other"]
    agencies = [
        {
            "id": agency_id,
            "name": f"Lembaga Uji {n:02d}",
            "name_key": f"lembaga uji {n:02d}",
            "acronym": f"LU{n:02d}",
            "kind": kinds[n % len(kinds)],
            "region_code": "53.71",
            "address": None,
            "contact_name": None,
            "contact_phone": None,
            "contact_email": None,
            "active": True,
            **stamps,
        }
        for n, agency_id in enumerate(agency_ids, start=1)
    ]
    site = {
        "name": "Lokasi Uji",
        "region_code": "53.71",
        "address": None,
        "status": "active",
        "closure_announced_on": date(2018, 10, 26),
        "closed_on": None,
        "notes": None,
        **stamps,
    }
    sites = [
        {**site, "id": site_id, "code": "KD", "registration_counter": size},
        {**site, "id": import_site_id, "code": "IMP", "name": "Lokasi Uji Impor", "registration_counter": 0},
    ]
    officer = {
        "id": officer_id,
        "username": "bench-officer",
        "full_name": "Petugas Uji",
        "password_hash": "!unusable",  # nobody signs in: the token below is stored directly
        "role": "officer",
        "agency_id": agency_ids[0],
        "active": True,
        "password_changed_at": None,
        **stamps,
    }
    access_token = {
        "id": uuid7(),
        "token_digest": token_digest(token),
        "user_id": officer_id,
        "api_client_id": None,
        "created_at": now,
        "expires_at": now + timedelta(days=2),
        "revoked_at": None,
    }
    rows = {"agencies": agencies, "sites": sites, "users": [officer], "access_tokens": [access_token]}
    return Fixed(now, officer_id, token, site_id, import_site_id, agency_ids, regencies, rows)


def synthetic_nik(i: int, regency: str) -> tuple[str, date, str]:
    """A NIK of valid form, unique per `i`: (NIK, birth date, sex). Never a real person's."""
    serial, day_offset = i % 9999 + 1, i // 9999
    born = date(1975, 1, 1) + timedelta(days=day_offset * 13)
    sex = "female" if i % 5 else "male"
    day = born.day + (40 if sex == "female" else 0)
    pp_kk = regency.replace(".", "")
    return f"{pp_kk}{i % 9 + 1:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}", born, sex


def person_rows(fixed: Fixed, start: int, stop: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Persons start..stop-1 of the seeded site, with the columns the app writes."""
    from app.ids import uuid7
    from app.security import crypto

    ntt = [code for code in fixed.regencies if code.startswith("53.")]
    statuses = [name for name, _ in STATUSES]
    cumulative = list(itertools.accumulate(weight for _, weight in STATUSES))
    for i in range(start, stop):
        person_id = uuid7()
        origin = rng.choice(ntt) if rng.random() < 0.6 else rng.choice(fixed.regencies)
        nik, born, sex = synthetic_nik(i, origin)
        kk = f"{nik[:6]}{i:010d}"
        verified = i % 3 == 0
        yield {
            "id": person_id,
            "site_id": fixed.site_id,
            "registration_seq": i + 1,
            "registration_number": f"KD-{i + 1:04d}",
            "full_name": f"Warga Uji {i + 1:07d}",
            "alias": f"Uji {i + 1}" if i % 4 == 0 else None,
            "sex": sex,
            "birth_date": born,
            "nik_ciphertext": crypto.encrypt(nik, person_id, "nik"),
            "nik_blind_index": crypto.blind_index(nik),
            "nik_last4": nik[-4:],
            "nik_region_code": f"{nik[:2]}.{nik[2:4]}",
            "kk_ciphertext": crypto.encrypt(kk, person_id, "kk_number"),
            "phone": None,
            "domicile_address": f"Jalan Uji No. {i % 500 + 1}",
            "origin_region_code": origin,
            "domicile_region_code": "53.71" if i % 50 == 0 else origin,
            "identity_document": "ktp" if verified else "none",
            "identity_verified": verified,
            "identity_verified_at": fixed.now if verified else None,
            "identity_verified_by": fixed.officer_id if verified else None,
            "legal_basis": "public_task",
            "consent_at": None,
            "status": rng.choices(statuses, cum_weights=cumulative)[0],
            "status_changed_at": fixed.now,
            "restricted": False,
            "restricted_at": None,
            "erased_at": None,
            "notes": None,
            "created_by": fixed.officer_id,
            "version": 1,
            "created_at": fixed.now,
            "updated_at": fixed.now,
        }


def dependents(fixed: Fixed, persons: list[dict[str, Any]], rng: random.Random) -> dict[str, list[dict]]:
    """Each person's "created" history entry, and referrals of about a quarter of them."""
    from app.ids import uuid7
    from app.security import crypto

    changes, referrals = [], []
    for person in persons:
        changes.append(
            {
                "id": uuid7(),
                "person_id": person["id"],
                "occurred_at": fixed.now,
                "kind": "created",
                "field": None,
                "old_value": None,
                "new_value": person["registration_number"],
                "reason": None,
                "occurred_on": None,
                "actor_kind": "user",
                "actor_id": fixed.officer_id,
                "source": "import",
            }
        )
        if rng.random() < 0.25:
            agency_id = fixed.agency_ids[rng.randrange(REFERRED_AGENCIES)]
            referrals.append(
                {
                    "person_id": person["id"],
                    "agency_id": agency_id,
                    "pseudonym": crypto.pseudonym(person["id"], agency_id),
                    "reason": "rujukan uji",
                    "referred_at": fixed.now,
                    "referred_by": fixed.officer_id,
                    "ended_at": None,
                }
            )
    return {"person_changes": changes, "referrals": referrals}


def meeting_rows(fixed: Fixed, size: int) -> dict[str, list[dict[str, Any]]]:
    """Meetings (one per thousand persons, at least ten), each with five participating agencies."""
    from app.ids import uuid7

    stamps = {"version": 1, "created_at": fixed.now, "updated_at": fixed.now}
    meetings, participants = [], []
    kinds = ["coordination", "outreach", "census", "other"]
    for n in range(max(10, size // 1000)):
        meeting_id = uuid7()
        starts = datetime(2018, 10, 30, 1, 0, tzinfo=UTC) + timedelta(days=n)
        meetings.append(
            {
                "id": meeting_id,
                "kind": kinds[n % len(kinds)],
                "title": f"Rapat Uji {n + 1}",
                "description": None,
                "site_id": fixed.site_id,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "timezone": "Asia/Makassar",
                "location": "Ruang Uji",
                "organizer_agency_id": fixed.agency_ids[0],
                "status": "held",
                "minutes": None,
                **stamps,
            }
        )
        for k in range(5):
            participants.append(
                {
                    "id": uuid7(),
                    "meeting_id": meeting_id,
                    "agency_id": fixed.agency_ids[(n + k) % AGENCIES],
                    "response": "confirmed",
                    "attended": True,
                    "representative_name": None,
                    "representative_title": None,
                    **stamps,
                }
            )
    return {"meetings": meetings, "meeting_participants": participants}


def migrate(database_url: str) -> None:
    """`alembic upgrade head` on the bench database, as `make run` does."""
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=env.ROOT,
        env=env.server_env(database_url),
        check=True,
        capture_output=True,
        timeout=300,
    )


async def _load_regions(database_url: str) -> list[str]:
    from sqlalchemy import select

    from app.config import Settings
    from app.db import create_engine, create_sessionmaker
    from app.regions import service as region_service
    from app.regions.models import Region

    engine = create_engine(Settings(database_url=database_url))
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await region_service.ensure_loaded(session)
            codes = await session.scalars(select(Region.code).where(Region.level == "regency"))
            return sorted(codes)
    finally:
        await engine.dispose()


# --- PostgreSQL -------------------------------------------------------------------------------


async def _recreate_database() -> None:
    """An empty bench database: created once, then emptied by dropping its schema.

    DROP DATABASE would force a checkpoint of the previous run's dirty pages (seconds here).
    """
    admin = await asyncpg.connect(env.ADMIN_URL)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", env.BENCH_DB):
            await admin.execute(f'CREATE DATABASE "{env.BENCH_DB}"')
    finally:
        await admin.close()
    con = await asyncpg.connect(env.pg_url())
    try:
        await con.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await con.close()


async def _copy(con: asyncpg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        await con.copy_records_to_table(
            table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
        )


async def _table_exists(con: asyncpg.Connection, table: str) -> bool:
    return bool(await con.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{table}"))


async def _drop_secondary_indexes(con: asyncpg.Connection, table: str) -> list[str]:
    """Drop unique constraints and plain indexes of `table` (not its primary key); return how to restore."""
    restore = []
    constraints = await con.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint"
        " WHERE conrelid = $1::regclass AND contype = 'u'",
        table,
    )
    for c in constraints:
        await con.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{c["conname"]}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{c["conname"]}" {c["def"]}')
    indexes = await con.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass)",
        table,
    )
    for i in indexes:
        await con.execute(f'DROP INDEX "{i["indexname"]}"')
        restore.append(i["indexdef"])
    return restore


async def _copy_regions(con: asyncpg.Connection) -> list[str]:
    from app.regions import service as region_service

    rows = region_service.read_csv(region_service.bundled_csv())
    await _copy(con, "regions", sorted(rows, key=lambda r: (r["level"] != "province", r["code"])))
    return sorted(str(r["code"]) for r in rows if r["level"] == "regency")


async def seed_postgres(size: int, *, seed: int = 5371) -> Seeded:
    """A fresh bench database with `size` persons, loaded with COPY.

    Bulk-load practice: foreign-key triggers off for the session (session_replication_role, the
    data is consistent by construction), secondary indexes built after the load, and the next
    chunk generated in a thread while the server writes the previous one.
    """
    started = time.perf_counter()
    await _recreate_database()
    await asyncio.to_thread(migrate, env.pg_url(driver=True))
    rng, pick = random.Random(seed), random.Random(seed + 1)  # pick: used while a thread uses rng
    counts: dict[str, int] = {}
    notes: list[str] = []
    sample: list[str] = []
    con = await asyncpg.connect(env.pg_url())
    try:
        await con.execute("SET session_replication_role = replica; SET maintenance_work_mem = '256MB'")
        fixed = _fixed(size, await _copy_regions(con))
        for table, rows in fixed.rows.items():
            await _copy(con, table, rows)
            counts[table] = len(rows)
        restore = []
        for table in ("persons", "person_changes", "referrals"):
            restore += await _drop_secondary_indexes(con, table)

        def generate(start: int) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
            persons = list(person_rows(fixed, start, min(size, start + CHUNK), rng))
            return persons, dependents(fixed, persons, rng)

        pending = asyncio.create_task(asyncio.to_thread(generate, 0))
        for start in range(0, size, CHUNK):
            persons, extra = await pending
            if start + CHUNK < size:
                pending = asyncio.create_task(asyncio.to_thread(generate, start + CHUNK))
            for table, rows in {"persons": persons, **extra}.items():
                await _copy(con, table, rows)
                counts[table] = counts.get(table, 0) + len(rows)
            sample += [str(p["id"]) for p in pick.sample(persons, min(len(persons), SAMPLE_IDS))]
        for statement in restore:
            await con.execute(statement)
        if await _table_exists(con, "meetings") and await _table_exists(con, "meeting_participants"):
            try:
                for table, rows in meeting_rows(fixed, size).items():
                    await _copy(con, table, rows)
                    counts[table] = len(rows)
            except (asyncpg.PostgresError, KeyError) as exc:  # the meetings schema is still moving
                notes.append(f"meetings not seeded: {type(exc).__name__}: {exc}")
        else:
            notes.append("meetings not seeded: no meetings table")
        notes.append("PEM program and rule set: created through the API by the determinations phase")
        await con.execute("ANALYZE persons, person_changes, referrals, access_tokens, users")
    finally:
        await con.close()
    pick.shuffle(sample)
    return Seeded(
        "postgresql",
        env.pg_url(driver=True),
        fixed.token,
        fixed.officer_id,
        fixed.site_id,
        fixed.import_site_id,
        sample[:SAMPLE_IDS],
        counts,
        round(time.perf_counter() - started, 2),
        notes,
        fixed.regencies,
    )


# --- SQLite -----------------------------------------------------------------------------------


def _insert_sqlite(path: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    from sqlalchemy import create_engine, insert

    from app.models import Base

    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            for table, rows in tables.items():
                if rows:
                    conn.execute(insert(Base.metadata.tables[table]), rows)
    finally:
        engine.dispose()


async def seed_sqlite(path: Path, size: int, *, seed: int = 5371) -> Seeded:
    """A fresh SQLite file with `size` persons (the embedded default's figures)."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        await asyncio.to_thread(Path(f"{path}{suffix}").unlink, missing_ok=True)
    url = env.sqlite_url(path)
    await asyncio.to_thread(migrate, url)
    regencies = await _load_regions(url)
    fixed = _fixed(size, regencies)
    rng = random.Random(seed)
    counts = {table: len(rows) for table, rows in fixed.rows.items()}
    await asyncio.to_thread(_insert_sqlite, path, fixed.rows)
    sample: list[str] = []
    for start in range(0, size, CHUNK):
        persons = list(person_rows(fixed, start, min(size, start + CHUNK), rng))
        extra = dependents(fixed, persons, rng)
        await asyncio.to_thread(_insert_sqlite, path, {"persons": persons, **extra})
        for table, rows in {"persons": persons, **extra}.items():
            counts[table] = counts.get(table, 0) + len(rows)
        sample += [str(p["id"]) for p in rng.sample(persons, min(len(persons), SAMPLE_IDS))]
    rng.shuffle(sample)
    return Seeded(
        "sqlite",
        url,
        fixed.token,
        fixed.officer_id,
        fixed.site_id,
        fixed.import_site_id,
        sample[:SAMPLE_IDS],
        counts,
        round(time.perf_counter() - started, 2),
        ["persons, referrals and history only (no meetings) on SQLite"],
        fixed.regencies,
    )

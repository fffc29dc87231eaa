"""Erasure leaves nothing: no former value of the person in any table, any database file or any answer.

The person is given every kind of personal data the registry keeps, and free text that names them
in every place free text goes (history reasons, the referral, assistance, a batch, a partner's
change request and the officer's decision). After erasure the whole database is searched: every
row of every table, the SQLite file and its WAL, a `pg_dump` and PostgreSQL's table files after
the vacuum the erasure runs; then every endpoint that showed the person, for each role.
"""

import asyncio
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from app.db import Base
from app.persons.models import Person
from app.security.crypto import pseudonym
from tests import ledger
from tests.change_requests.helpers import decide, submitted
from tests.coordination.helpers import make_batch, make_case, set_status
from tests.factories import Callers
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, refer, synthetic_nik

API = "/api/v1"
NAME, ALIAS = "Warga Uji Zefanya", "Zefa-Uji"
NIK, KK = synthetic_nik(9377), "5371020101189377"
PHONE, ADDRESS = "+62 812 0000 9377", "Jl. Uji Zefanya No. 7"
# Every value the person had; "Zefanya" is in every free text that named them.
# (Not the serial "9377" alone: random ids and hashes contain four such digits by chance.)
FORMER_VALUES = [NAME, ALIAS, "Zefanya", "Zefa-", NIK, KK, PHONE, ADDRESS, NIK[-8:]]


def leaks(blob: str | bytes) -> list[str]:
    """The former values found in a text or in raw bytes."""
    data = blob if isinstance(blob, bytes) else blob.encode()
    return [value for value in FORMER_VALUES if value.encode() in data]


async def _post(client, caller, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=caller.headers)
    assert response.status_code == status, response.text
    return response.json()


async def named_everywhere(client, callers: Callers) -> dict[str, Any]:
    """A person with every personal field, named in every free text the registry keeps."""
    site = await make_site(client, callers)
    person = await make_person(
        client,
        callers,
        site["id"],
        full_name=NAME,
        alias=ALIAS,
        nik=NIK,
        kk_number=KK,
        phone=PHONE,
        domicile_address=ADDRESS,
        notes="catatan petugas tentang Zefanya",
        origin_region_code="53.05",
    )
    pid = person["id"]
    response = await client.post(
        f"{PERSONS}/{pid}/status-changes",
        json={"to_status": "verified", "reason": "KTP Zefanya diperiksa"},
        headers=callers.officer.headers,
    )
    assert response.status_code == 200, response.text
    await refer(client, callers, pid, callers.agency_b)
    await _post(
        client,
        callers.officer,
        f"{PERSONS}/{pid}/assistance",
        {
            "type": "transport",
            "amount": 750_000,
            "funding_source": "apbd_kota",
            "reference": "KW-Zefanya-01",
            "notes": "diterima langsung oleh Zefanya",
        },
    )
    case = await make_case(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [pid], notes="rombongan bersama Zefanya")
    ref = str(pseudonym(uuid.UUID(pid), callers.agency_b.id))
    request = (
        await submitted(
            client,
            callers.partner_b,
            ref,
            "correction",
            {"alias": "Zefa-Baru"},
            note="mitra bertemu Zefanya",
        )
    ).json()
    etag = (
        await client.get(f"{API}/change-requests/{request['id']}", headers=callers.officer.headers)
    ).headers["etag"]
    rejected = await decide(
        client, callers.officer, request["id"], "reject", etag, {"reason": "Zefanya sudah pindah"}
    )
    assert rejected.status_code == 200, rejected.text
    await set_status(client, callers, pid, "staying")
    return {"person": person, "ref": ref, "batch": batch, "case": case, "request": request}


async def _erase(client, callers: Callers, person_id: str) -> None:
    response = await client.post(
        f"{PERSONS}/{person_id}/erasure",
        json={"reason": "permintaan subjek data"},
        headers=callers.admin.headers,
    )
    assert response.status_code == 200, response.text


async def _every_row(app) -> str:
    """Every row of every table, as text."""
    dump = []
    async with app.state.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            dump += [f"{table.name}: {row!r}" for row in rows]
        await conn.rollback()
    return "\n".join(dump)


async def test_erasure_leaves_no_former_value_in_any_table(app, client, callers, backend):
    world = await named_everywhere(client, callers)
    assert "Zefanya" in await _every_row(app)  # the search finds what is there
    await _erase(client, callers, world["person"]["id"])
    rows = await _every_row(app)
    ledger.FIGURES["rows searched after erasure"] += rows.count(chr(10)) + 1
    assert leaks(rows) == []


async def test_erasure_leaves_no_former_value_in_the_database_files(app, client, callers, backend):
    world = await named_everywhere(client, callers)
    async with app.state.sessionmaker() as db:
        stmt = select(Person.nik_ciphertext).where(Person.id == uuid.UUID(world["person"]["id"]))
        ciphertext = await db.scalar(stmt)
    assert ciphertext
    await _erase(client, callers, world["person"]["id"])
    if backend.name == "sqlite":
        path = Path(app.state.settings.database_url.split("///", 1)[1])
        files = [path, Path(f"{path}-wal")]
        found = {str(f): leaks(f.read_bytes()) for f in files if f.exists()}
        ledger.FIGURES["SQLite files searched after erasure"] += len(found)
        assert found == {str(f): [] for f in files if f.exists()}
        assert all(ciphertext not in f.read_bytes() for f in files if f.exists())
        return
    url = backend.template_url.replace("postgresql+asyncpg://", "postgresql://")
    assert leaks(_pg_dump(url)) == []
    ledger.FIGURES["pg_dumps searched after erasure"] += 1
    found = {name: leaks(f.read_bytes()) for name, f in table_files(url).items()}
    ledger.FIGURES["PostgreSQL relation files searched after erasure"] += len(found)
    assert {name: values for name, values in found.items() if values} == {}
    assert all(ciphertext not in f.read_bytes() for f in table_files(url).values())


def _pg_dump(url: str) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is needed to search the PostgreSQL dump") if os.environ.get(
            "CI"
        ) else pytest.skip("pg_dump not installed")
    done = subprocess.run([pg_dump, "--data-only", url], capture_output=True, check=True)
    return done.stdout.decode()


RELATION_FILES = (
    "SELECT relname, pg_relation_filepath(oid) FROM pg_class WHERE relkind IN ('r', 'i', 't')"
    " AND relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname IN ('public', 'pg_toast'))"
)


async def test_an_older_snapshot_does_not_keep_the_erased_values_in_the_files(app, client, callers, backend):
    """VACUUM FULL keeps the row versions an open snapshot may see: the scrub waits for it to end."""
    if backend.name == "sqlite":
        pytest.skip("snapshots held by other sessions are PostgreSQL's")
    world = await named_everywhere(client, callers)
    url = backend.template_url.replace("postgresql+asyncpg://", "postgresql://")
    reader = psycopg.connect(url)  # a long report, or autovacuum's ANALYZE, holding a snapshot
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    reader.execute("SELECT count(*) FROM persons")
    ended = asyncio.get_running_loop().call_later(1.0, reader.rollback)
    try:
        await _erase(client, callers, world["person"]["id"])
    finally:
        ended.cancel()
        reader.close()
    found = {name: leaks(f.read_bytes()) for name, f in table_files(url).items()}
    assert {name: values for name, values in found.items() if values} == {}


def table_files(url: str) -> dict[str, Path]:
    """The files of every table, index and TOAST table of the database, after a checkpoint."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # the vacuumed pages reach the files
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        paths = conn.execute(RELATION_FILES).fetchall()
    files = {name: Path(data_dir) / p for name, p in paths if p}
    readable = {name: f for name, f in files.items() if f.exists() and os.access(f, os.R_OK)}
    if not readable:
        pytest.skip("PostgreSQL's data directory is not readable by this user (run as root or postgres)")
    return readable


async def test_no_endpoint_shows_a_former_value_after_erasure(app, client, callers, backend):
    world = await named_everywhere(client, callers)
    pid, ref = world["person"]["id"], world["ref"]
    staff_reads = [
        f"{PERSONS}/{pid}",
        f"{PERSONS}/{pid}/history",
        f"{PERSONS}/{pid}/data-export",
        f"{PERSONS}/{pid}/assistance",
        f"{PERSONS}/{pid}/change-requests",
        f"{API}/change-requests",
        f"{API}/change-requests/{world['request']['id']}",
        f"{API}/repatriations/{world['batch']['id']}",
        f"{API}/repatriations/{world['batch']['id']}/members",
        f"{API}/assistance",
        f"{PERSONS}",
        f"{PERSONS}/export.csv",
    ]
    before = (await client.get(f"{PERSONS}/{pid}/data-export", headers=callers.officer.headers)).text
    assert "Zefanya" in before
    await _erase(client, callers, pid)
    answers = {}
    for caller in (callers.admin, callers.officer, callers.auditor):
        for url in staff_reads:
            response = await client.get(url, headers=caller.headers)
            answers[f"{caller.user.role} {url}"] = leaks(response.text)
    for url in (
        f"{PERSONS}/{ref}",
        f"{PERSONS}",
        f"{API}/change-requests",
        f"{API}/change-requests/{world['request']['id']}",
    ):
        response = await client.get(url, headers=callers.partner_b.headers)
        answers[f"partner {url}"] = leaks(response.text)
    ledger.FIGURES["answers searched after erasure"] += len(answers)
    assert {where: found for where, found in answers.items() if found} == {}


def test_the_search_itself_finds_values():
    assert leaks(b"... 'Warga Uji Zefanya' ...") == [NAME, "Zefanya"]
    assert leaks("nothing of hers") == []

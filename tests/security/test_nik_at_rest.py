"""No plaintext NIK at rest or in logs, whatever the API was asked to do with it."""

import logging
import os
import shutil
import subprocess
from pathlib import Path

from app.logging import JsonFormatter
from tests.persons.helpers import make_site, person_body

# Synthetic NIKs (serials 98xx): 53.71 woman 1995-04-12, 53.05 man 1990-08-17, 53.01 woman 2000-01-31.
NIKS = ["5371025204959801", "5305011708909802", "5301017101009803"]
KK = "5371020101019804"


async def _exercise(client, callers, site_id) -> None:
    """Every path a NIK travels: create, update, search, import, export, read, history, erasure."""
    created = await client.post(
        "/api/v1/persons",
        json=person_body(site_id, nik=NIKS[0], kk_number=KK),
        headers=callers.officer.headers,
    )
    assert created.status_code == 201
    person = created.json()
    patched = await client.patch(
        f"/api/v1/persons/{person['id']}",
        json={"nik": NIKS[1], "sex": "male", "birth_date": "1990-08-17"},
        headers={**callers.officer.headers, "If-Match": created.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    assert (
        await client.post("/api/v1/persons/search", json={"nik": NIKS[1]}, headers=callers.officer.headers)
    ).status_code == 200
    duplicate = await client.post(
        "/api/v1/persons", json=person_body(site_id, nik=NIKS[1]), headers=callers.officer.headers
    )
    assert duplicate.status_code == 409
    csv_text = f"full_name,legal_basis,nik\nWarga Uji Impor,public_task,{NIKS[2]}\n"
    imported = await client.post(
        f"/api/v1/persons/import?site_id={site_id}",
        content=csv_text.encode(),
        headers={**callers.officer.headers, "content-type": "text/csv", "X-Purpose": "legal_obligation"},
    )
    assert imported.status_code == 200, imported.text
    assert (
        await client.get("/api/v1/persons/export.csv", headers=callers.officer.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/persons/{person['id']}/history", headers=callers.auditor.headers)
    ).status_code == 200


def _database_bytes(app) -> bytes:
    url = app.state.settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    return subprocess.run(
        [pg_dump, "--no-owner", dsn], capture_output=True, check=True, env=env, timeout=120
    ).stdout


async def test_no_plaintext_nik_in_the_database_or_logs(app, client, callers, caplog):
    caplog.set_level(logging.DEBUG)
    site = await make_site(client, callers)
    await _exercise(client, callers, site["id"])
    await app.state.engine.dispose()  # SQLite: checkpoint nothing away, but close the file cleanly

    dump = _database_bytes(app)
    assert b"Warga Uji Impor" in dump, "the dump should hold the persons (names are not encrypted)"
    for secret in [*NIKS, KK]:
        assert secret.encode() not in dump, "a NIK or KK number is stored in plaintext"

    formatter = JsonFormatter()
    app_logs = "\n".join(
        formatter.format(r)
        for r in caplog.records
        if r.name.split(".")[0] in {"app", "uvicorn", "sqlalchemy"}
    )
    assert app_logs, "the app logged nothing: the check would be vacuous"
    for secret in [*NIKS, KK]:
        assert secret not in app_logs

"""Admin commands, run the way an operator runs them: `python -m app ...` in a subprocess."""

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.clients.models import ApiClient
from app.regions.models import Region
from app.security.policy import Role
from tests.access import PASSWORD, bearer, client_grant, password_user

ROOT = Path(__file__).resolve().parents[2]


def _run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REINTEGRASI_DATABASE_URL": database_url}
    return subprocess.run(  # our own interpreter and module, fixed arguments
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def cli(app, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command against the test's database without blocking the event loop."""
    return await asyncio.to_thread(_run_cli, app.state.settings.database_url, *args)


async def _regions(session) -> dict[str, str]:
    rows = (await session.execute(select(Region.code, Region.name))).all()
    await session.commit()
    return dict(rows)


async def test_clients_create_prints_a_secret_that_works(app, client, session):
    result = await cli(app, "clients", "create", "--name", "Skrip Laporan Malam", "--role", "officer")
    assert result.returncode == 0, result.stderr
    client_id = re.search(r"^client_id: (\S+)$", result.stdout, re.M)
    secret = re.search(r"^client_secret \(shown once\): (\S+)$", result.stdout, re.M)
    assert client_id and secret, result.stdout

    stored = await session.scalar(select(ApiClient).where(ApiClient.client_id == client_id[1]))
    await session.commit()
    assert stored is not None
    assert (stored.name, stored.role, stored.active) == ("Skrip Laporan Malam", "officer", True)
    assert stored.secret_hash.startswith("$argon2id$")
    assert secret[1] not in stored.secret_hash

    token = await client_grant(client, client_id[1], secret[1])
    assert token.status_code == 200, token.text
    me = await client.get("/api/v1/me", headers=bearer(token.json()["access_token"]))
    assert me.json()["kind"] == "client"
    assert me.json()["role"] == "officer"
    assert (await client_grant(client, client_id[1], secret[1] + "x")).status_code == 401


async def test_clients_create_refuses_a_partner_without_agency(app, session):
    result = await cli(app, "clients", "create", "--name", "Skrip Mitra", "--role", "partner")
    assert result.returncode != 0
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr
    count = await session.scalar(select(func.count()).select_from(ApiClient))
    await session.commit()
    assert count == 0


async def test_clients_create_refuses_an_unknown_role(app):
    result = await cli(app, "clients", "create", "--name", "Skrip Dewa", "--role", "superuser")
    assert result.returncode == 2  # argparse usage error
    assert "invalid choice" in result.stderr


async def test_users_enrolment_code_prints_a_code_that_starts_an_enrolment(app, client, session):
    admin = await password_user(session, Role.admin)
    result = await cli(app, "users", "enrolment-code", admin.username.upper())
    assert result.returncode == 0, result.stderr
    code = re.search(r"\(shown once, valid until [-0-9 :]+ UTC\): (\S+)$", result.stdout, re.M)
    assert code, result.stdout
    body = {"username": admin.username, "password": PASSWORD, "enrolment_code": code[1]}
    started = await client.post("/api/v1/auth/mfa/enrolment", json=body)
    assert started.status_code == 200, started.text

    unknown = await cli(app, "users", "enrolment-code", "tidak-ada")
    assert unknown.returncode != 0
    assert "error: no user" in unknown.stderr


def _skip_on_shared_reference_data(app) -> None:
    if not app.state.settings.is_sqlite:
        pytest.skip(
            "regions are reference data kept between PostgreSQL tests; each SQLite test has its own copy"
        )


async def test_regions_import_upserts_and_deletes_nothing(app, session, tmp_path):
    _skip_on_shared_reference_data(app)
    before = await _regions(session)
    assert before["53"] == "Nusa Tenggara Timur"
    assert "53.99" not in before
    csv_file = tmp_path / "wilayah.csv"
    csv_file.write_text(
        "# a partial official list: the rest of the regions is not in it\n"
        "code,name,level,parent_code\n"
        "53,Nusa Tenggara Timur (Uji),province,\n"
        "5371,Kota Kupang,regency,53\n"
        "53.99,Kabupaten Uji Baru,regency,53\n",
        encoding="utf-8",
    )

    result = await cli(app, "regions", "import", str(csv_file))
    assert result.returncode == 0, result.stderr
    assert "1 added, 1 changed, 1 unchanged" in result.stdout

    after = await _regions(session)
    assert after["53"] == "Nusa Tenggara Timur (Uji)"
    assert after["53.99"] == "Kabupaten Uji Baru"
    assert after["53.71"] == "Kota Kupang"
    assert set(after) == set(before) | {"53.99"}  # nothing deleted
    assert {code: name for code, name in after.items() if code not in ("53", "53.99")} == {
        code: name for code, name in before.items() if code != "53"
    }

    again = await cli(app, "regions", "import", str(csv_file))
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 changed, 3 unchanged" in again.stdout


async def test_regions_import_refuses_a_bad_file_and_changes_nothing(app, session, tmp_path):
    _skip_on_shared_reference_data(app)
    before = await _regions(session)
    csv_file = tmp_path / "rusak.csv"
    csv_file.write_text(
        "code,name,level,parent_code\n53,Nama Baru,province,\n53.9x,Kode Rusak,regency,53\n",
        encoding="utf-8",
    )
    result = await cli(app, "regions", "import", str(csv_file))
    assert result.returncode != 0
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert await _regions(session) == before

    missing = await cli(app, "regions", "import", str(tmp_path / "tidak-ada.csv"))
    assert missing.returncode != 0
    assert "error:" in missing.stderr

"""`python -m app persons import` runs the same all-or-nothing import as the API."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.persons.helpers import NIK_WOMAN_KUPANG, make_site

ROOT = Path(__file__).resolve().parents[2]


def run_cli(app, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REINTEGRASI_DATABASE_URL": app.state.settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("dry_run", [True, False])
async def test_cli_import(app, client, callers, tmp_path, dry_run):
    site = await make_site(client, callers)
    csv_file = tmp_path / "persons.csv"
    csv_file.write_text(f"full_name,legal_basis,nik\nWarga Uji CLI,public_task,{NIK_WOMAN_KUPANG}\n")
    args = ["persons", "import", str(csv_file), "--site", site["id"]] + (["--dry-run"] if dry_run else [])
    result = run_cli(app, *args)
    assert result.returncode == 0, result.stderr
    assert NIK_WOMAN_KUPANG not in result.stdout + result.stderr
    listing = await client.get("/api/v1/persons", headers=callers.officer.headers)
    assert len(listing.json()["items"]) == (0 if dry_run else 1)


async def test_cli_import_rejects_bad_rows(app, client, callers, tmp_path):
    site = await make_site(client, callers)
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("full_name,legal_basis\nWarga Uji,nope\n")
    result = run_cli(app, "persons", "import", str(csv_file), "--site", site["id"])
    assert result.returncode != 0
    assert "row 2, legal_basis" in result.stderr

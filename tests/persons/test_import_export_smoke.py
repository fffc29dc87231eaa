"""CSV import and export, end to end."""

import csv
import hashlib
import io

from tests.persons.helpers import NIK_MAN_ALOR, NIK_WOMAN_KUPANG, make_site

GOOD = (
    "\ufefffull_name;sex;nik;origin_region_code;legal_basis;notes\n"
    f'Warga Uji Satu;female;{NIK_WOMAN_KUPANG};53.01;public_task;=HYPERLINK("x")\n'
    f"Warga Uji Dua;male;{NIK_MAN_ALOR};5305;public_task;\n"
)


async def test_import_then_export(client, callers):
    site = await make_site(client, callers)
    url = f"/api/v1/persons/import?site_id={site['id']}"
    headers = {**callers.officer.headers, "content-type": "text/csv", "X-Purpose": "legal_obligation"}
    dry = await client.post(url + "&dry_run=true", content=GOOD.encode(), headers=headers)
    assert dry.status_code == 200, dry.text
    assert dry.json() == {
        "dry_run": True,
        "rows": 2,
        "created": 0,
        "persons": [],
        "persons_truncated": False,
        "errors": [],
        "file_sha256": hashlib.sha256(GOOD.encode()).hexdigest(),  # what an import request names
    }
    done = await client.post(url, content=GOOD.encode(), headers=headers)
    assert done.json()["created"] == 2
    again = await client.post(url, content=GOOD.encode(), headers=headers)
    assert again.status_code == 422
    assert [(e["row"], e["column"]) for e in again.json()["errors"]] == [(2, "nik"), (3, "nik")]
    assert NIK_WOMAN_KUPANG not in again.text

    export = await client.get("/api/v1/persons/export.csv", headers=callers.officer.headers)
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    # NIK masked unless asked for and approved (tests/persons/test_bulk_controls.py).
    assert {r["nik"] for r in rows} == {"*" * 12 + NIK_WOMAN_KUPANG[-4:], "*" * 12 + NIK_MAN_ALOR[-4:]}
    assert {r["notes"] for r in rows} == {'\'=HYPERLINK("x")', ""}


async def test_bad_file_writes_nothing(client, callers):
    site = await make_site(client, callers)
    bad = "full_name,legal_basis,nik\nWarga Uji,public_task,123\nWarga Dua,nope\n"
    response = await client.post(
        f"/api/v1/persons/import?site_id={site['id']}",
        content=bad.encode(),
        headers={**callers.officer.headers, "content-type": "text/csv", "X-Purpose": "legal_obligation"},
    )
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "nik"), (3, None)]
    listing = await client.get("/api/v1/persons", headers=callers.officer.headers)
    assert listing.json()["items"] == []

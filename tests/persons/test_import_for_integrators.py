"""The import as an integrator meets it: a form upload, the documented columns, the template."""

import csv
import io

from app.persons import csv_io
from app.persons import imports as import_service
from app.persons.schemas import PersonCreate
from tests.persons.helpers import make_site
from tests.persons.support import PERSONS, assert_problem, person_count, synthetic_nik

IMPORT = f"{PERSONS}/import"
# Rows with a NIK: bulk access to NIK names its purpose (app/bulk).
PURPOSE = {"X-Purpose": "legal_obligation"}


def _officer_with_purpose(callers) -> dict[str, str]:
    return {**callers.officer.headers, **PURPOSE}


ROWS = (
    "full_name,sex,nik,origin_region_code,legal_basis\n"
    f"Warga Uji Formulir Satu,female,{synthetic_nik(9201)},53.01,public_task\n"
    f"Warga Uji Formulir Dua,female,{synthetic_nik(9202)},53.71,vital_interest\n"
)


async def test_a_form_upload_is_imported_like_a_csv_body(client, callers, session):
    site = await make_site(client, callers)
    files = {"file": ("persons.csv", ROWS.encode(), "text/csv")}
    response = await client.post(
        IMPORT, params={"site_id": site["id"]}, files=files, headers=_officer_with_purpose(callers)
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 2
    numbers = [(p["row"], p["registration_number"]) for p in report["persons"]]
    assert numbers == [(2, "KD-0001"), (3, "KD-0002")]
    first = await client.get(f"{PERSONS}/{report['persons'][0]['id']}", headers=callers.officer.headers)
    assert first.json()["full_name"] == "Warga Uji Formulir Satu"


async def test_a_form_without_the_file_field_is_422_and_writes_nothing(client, callers, session):
    site = await make_site(client, callers)
    files = {"upload": ("persons.csv", ROWS.encode(), "text/csv")}
    response = await client.post(
        IMPORT, params={"site_id": site["id"]}, files=files, headers=_officer_with_purpose(callers)
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "file"]
    assert await person_count(session) == 0


async def test_a_form_with_row_errors_reports_them_by_row_and_column(client, callers, session):
    site = await make_site(client, callers)
    bad = ROWS.replace("vital_interest", "whim")
    files = {"file": ("persons.csv", bad.encode(), "text/csv")}
    response = await client.post(
        IMPORT, params={"site_id": site["id"]}, files=files, headers=_officer_with_purpose(callers)
    )
    problem = assert_problem(response, 422)
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(3, "legal_basis")]
    assert await person_count(session) == 0


async def test_the_template_has_every_column_and_its_example_row_imports(client, callers, session):
    site = await make_site(client, callers)
    response = await client.get(f"{IMPORT}/template.csv", headers=callers.officer.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(header) == sorted(name for name in PersonCreate.model_fields if name != "site_id")
    assert len(rows) == 1
    imported = await client.post(
        IMPORT,
        params={"site_id": site["id"]},
        content=response.content,
        headers={**_officer_with_purpose(callers), "content-type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1
    for caller in (callers.partner_a, callers.viewer):
        assert (await client.get(f"{IMPORT}/template.csv", headers=caller.headers)).status_code == 403


async def test_the_document_lists_every_column_and_both_media_types(client):
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/api/v1/persons/import"]["post"]
    assert set(operation["requestBody"]["content"]) == {"text/csv", "multipart/form-data"}
    form_ref = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form_ref == {"$ref": "#/components/schemas/PersonImportForm"}  # a name generators keep
    form = document["components"]["schemas"]["PersonImportForm"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
    lines = operation["description"].splitlines()
    for name, required, kind, _ in csv_io.column_docs():
        [line] = [line for line in lines if line.startswith(f"| `{name}` |")]
        assert f"| {'yes' if required else 'no'} | {kind} |" in line
    # Required as the import decides it, not as a copy: the model's required fields.
    required = {name for name, is_required, _, _ in csv_io.column_docs() if is_required}
    assert required == {n for n, f in PersonCreate.model_fields.items() if f.is_required()} - {"site_id"}
    assert "`female`, `male`, `unknown`" in operation["description"]
    assert "/api/v1/persons/import/template.csv" in document["paths"]


async def test_the_documented_422_is_what_a_rejected_import_answers(client, callers):
    site = await make_site(client, callers)
    bad = ROWS.replace(synthetic_nik(9201), synthetic_nik(9201)[:12] + "0000").replace("vital_interest", "")
    response = await client.post(
        IMPORT,
        params={"site_id": site["id"]},
        content=bad.encode(),
        headers={**_officer_with_purpose(callers), "content-type": "text/csv"},
    )
    problem = assert_problem(response, 422)
    document = (await client.get("/openapi.json")).json()
    answers = document["paths"]["/api/v1/persons/import"]["post"]["responses"]["422"]["content"]
    example = answers["application/problem+json"]["example"]
    assert set(problem) == set(example) and problem["type"] == example["type"]
    assert problem["errors"] == [
        {"row": 2, "column": "nik", "message": "Value error, the serial part may not be 0000"},
        {"row": 3, "column": "legal_basis", "message": "Field required"},
    ]
    assert [set(e) for e in example["errors"]] == [{"row", "column", "message"}] * 2


async def test_the_report_lists_the_first_persons_and_says_when_there_were_more(client, callers, monkeypatch):
    monkeypatch.setattr(import_service, "MAX_LISTED_PERSONS", 1)
    site = await make_site(client, callers)
    files = {"file": ("persons.csv", ROWS.encode(), "text/csv")}
    response = await client.post(
        IMPORT, params={"site_id": site["id"]}, files=files, headers=_officer_with_purpose(callers)
    )
    report = response.json()
    assert (report["created"], report["persons_truncated"]) == (2, True)
    assert [p["registration_number"] for p in report["persons"]] == ["KD-0001"]

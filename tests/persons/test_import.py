"""Bulk CSV import: all or nothing, every error reported by row and column, values never echoed."""

import hashlib
import uuid

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.persons.helpers import NIK_MAN_ALOR, make_person, make_site
from tests.persons.support import (
    CSV_HEADERS,
    PERSONS,
    assert_problem,
    person_count,
    post_csv,
    synthetic_nik,
)

# Synthetic NIKs (serials 9xxx): a woman and a man of Kota Kupang.
NIK_A = synthetic_nik(9101)
NIK_B = synthetic_nik(9102, female=False, day=3, month=11, yy=88)
BAD_NIK = "5371025204959"  # 13 digits (synthetic)
UNKNOWN_PROVINCE_NIK = "9971025204959103"  # synthetic: province 99 does not exist


def _csv(rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> bytes:
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    return (("\ufeff" if bom else "") + text).encode()


GOOD_ROWS = [
    ["full_name", "sex", "birth_date", "nik", "origin_region_code", "domicile_region_code", "legal_basis"],
    ["Warga Uji Impor Satu", "female", "1995-04-12", NIK_A, "53.01", "5371", "public_task"],
    ["Warga Uji Impor Dua", "male", "1988-11-03", NIK_B, "5305", "", "vital_interest"],
]


async def _listed(client, callers) -> list[dict]:
    response = await client.get(PERSONS, params={"limit": 200}, headers=callers.officer.headers)
    return response.json()["items"]


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("bom", [False, True])
async def test_good_file_is_imported(client, callers, delimiter, bom):
    site = await make_site(client, callers)
    response = await post_csv(client, callers, site["id"], _csv(GOOD_ROWS, delimiter, bom))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["rows"], report["created"], report["errors"]) == (False, 2, 2, [])
    persons = {p["full_name"]: p for p in await _listed(client, callers)}
    # The report lists who was created, in file order, by id and registration number.
    assert report["persons"] == [
        {"row": row, "id": persons[name]["id"], "registration_number": persons[name]["registration_number"]}
        for row, name in ((2, "Warga Uji Impor Satu"), (3, "Warga Uji Impor Dua"))
    ]
    assert set(persons) == {"Warga Uji Impor Satu", "Warga Uji Impor Dua"}
    one, two = persons["Warga Uji Impor Satu"], persons["Warga Uji Impor Dua"]
    assert (one["nik"], one["sex"], one["birth_date"]) == (NIK_A, "female", "1995-04-12")
    assert (one["origin_region_code"], one["domicile_region_code"]) == ("53.01", "53.71")
    assert (two["nik"], two["origin_region_code"], two["domicile_region_code"]) == (NIK_B, "53.05", None)
    assert {one["registration_number"], two["registration_number"]} == {"KD-0001", "KD-0002"}
    assert one["status"] == "registered" and one["site_id"] == site["id"]
    # Numbers go on after an import: the next person gets the next one.
    third = await make_person(client, callers, site["id"])
    assert third["registration_number"] == "KD-0003"


async def test_one_bad_row_among_good_ones_writes_nothing(client, callers, session):
    site = await make_site(client, callers)
    rows = [
        *GOOD_ROWS,
        ["Warga Uji Tiga", "perempuanX", "1995-04-12", BAD_NIK, "53.01", "53.71", "public_task"],
        ["Warga Uji Empat", "female", "", UNKNOWN_PROVINCE_NIK, "53.99", "53", "public_task"],
        ["Warga Uji Lima", "female", "", "", "53.01", "53.71", "consent"],
        ["Warga Uji Enam", "female", "2990-01-01", "", "53.01", "53.71", "public_task"],
        ["Warga Uji Tujuh", "female", "1995-04-12", NIK_MAN_ALOR, "53.01", "53.71", "public_task"],
    ]
    response = await post_csv(client, callers, site["id"], _csv(rows))
    problem = assert_problem(response, 422)
    errors = [(e["row"], e["column"]) for e in problem["errors"]]
    assert errors == [
        (4, "nik"),
        (4, "sex"),
        (5, "domicile_region_code"),  # a province, not a regency/city
        (5, "nik"),  # province 99 does not exist
        (5, "origin_region_code"),  # no such regency
        (6, None),  # consent without consent_at: a rule across columns
        (7, "birth_date"),  # in the future
    ]  # row 8 is good: a NIK disagreeing with the stated sex is accepted, as in the API
    assert all(set(e) == {"row", "column", "message"} and e["message"] for e in problem["errors"])
    assert problem["error_count"] == 7
    for value in (BAD_NIK, UNKNOWN_PROVINCE_NIK, "perempuanX", "2990-01-01", "53.99", "Warga"):
        assert value not in response.text
    assert await person_count(session) == 0


async def test_row_numbers_are_as_in_the_file(client, callers, session):
    """Blank lines and quoted line breaks count: the row is the line where the record starts."""
    site = await make_site(client, callers)
    content = (
        "full_name,legal_basis,domicile_address\n"  # line 1
        'Warga Uji Satu,public_task,"Jl. Uji\nRT 01"\n'  # lines 2-3
        "\n"  # line 4
        "Warga Uji Dua,nope,\n"  # line 5
        "Warga Uji Tiga,public_task,\n"  # line 6
        ",public_task,\n"  # line 7
    )
    response = await post_csv(client, callers, site["id"], content.encode())
    problem = assert_problem(response, 422)
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(5, "legal_basis"), (7, "full_name")]
    assert await person_count(session) == 0


async def test_dry_run_validates_and_writes_nothing(client, callers, session):
    site = await make_site(client, callers)
    response = await post_csv(client, callers, site["id"], _csv(GOOD_ROWS), dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "dry_run": True,
        "rows": 2,
        "created": 0,
        "persons": [],
        "persons_truncated": False,
        "errors": [],
        "file_sha256": hashlib.sha256(_csv(GOOD_ROWS)).hexdigest(),  # what an import request names
    }
    assert await person_count(session) == 0
    bad = await post_csv(client, callers, site["id"], _csv([*GOOD_ROWS, GOOD_ROWS[1]]), dry_run="true")
    assert [(e["row"], e["column"]) for e in assert_problem(bad, 422)["errors"]] == [(4, "nik")]
    assert await person_count(session) == 0
    # A dry run reserves no registration numbers either.
    assert (await make_person(client, callers, site["id"]))["registration_number"] == "KD-0001"


async def test_duplicate_nik_inside_the_file(client, callers, session):
    site = await make_site(client, callers)
    rows = [*GOOD_ROWS, ["Warga Uji Kembar", "female", "", NIK_A, "", "", "public_task"]]
    response = await post_csv(client, callers, site["id"], _csv(rows))
    problem = assert_problem(response, 422)
    [error] = problem["errors"]
    assert (error["row"], error["column"]) == (4, "nik")
    assert "row 2" in error["message"]
    assert NIK_A not in response.text
    assert await person_count(session) == 0


async def test_duplicate_nik_against_the_registry(client, callers, session):
    site = await make_site(client, callers)
    existing = await make_person(client, callers, site["id"], nik=NIK_B, sex="male", birth_date="1988-11-03")
    response = await post_csv(client, callers, site["id"], _csv(GOOD_ROWS))
    problem = assert_problem(response, 422)
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(3, "nik")]
    assert NIK_B not in response.text and existing["id"] not in response.text
    assert await person_count(session) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # Latin-1 bytes (0xED is "i" with an accent) are not UTF-8: refused, not guessed.
        (b"full_name,legal_basis\nMar\xeda Uji,public_task\n", [(0, None)]),
        (b"full_name,sex\nWarga Uji,female\n", [(1, "legal_basis")]),
        (b"sex,legal_basis\nfemale,public_task\n", [(1, "full_name")]),
        (b"full_name,legal_basis,status\nWarga Uji,public_task,verified\n", [(1, "status")]),
        (b"full_name,legal_basis,full_name\nA,public_task,B\n", [(1, "full_name")]),
        (b"full_name,legal_basis\nWarga Uji,public_task,extra\nWarga Dua\n", [(2, None), (3, None)]),
        (b"", [(1, "full_name"), (1, "legal_basis")]),
        (b"full_name,legal_basis\n", [(1, None)]),
        (b'full_name,legal_basis\n"Warga Uji,public_task\n', [(0, None)]),
    ],
    ids=[
        "latin-1",
        "no-legal_basis",
        "no-full_name",
        "unknown-column",
        "twice",
        "ragged",
        "empty",
        "no-rows",
        "quote",
    ],
)
async def test_malformed_files_are_422_and_write_nothing(client, callers, session, content, expected):
    site = await make_site(client, callers)
    response = await post_csv(client, callers, site["id"], content)
    problem = assert_problem(response, 422)
    assert [(e["row"], e["column"]) for e in problem["errors"]] == expected
    assert "Mar" not in response.text and "Warga" not in response.text
    assert await person_count(session) == 0


async def test_import_rules_match_the_api(client, callers, session):
    """Officers may set identity_verified on import; the server stamps who and when."""
    site = await make_site(client, callers)
    content = (
        b"full_name,legal_basis,consent_at,identity_document,identity_verified,kk_number\n"
        b"Warga Uji Sah,consent,2018-10-30T09:00:00+08:00,ktp,true,5371020101189001\n"  # synthetic KK
    )
    response = await post_csv(client, callers, site["id"], content)
    assert response.status_code == 200, response.text
    [person] = await _listed(client, callers)
    assert person["identity_verified"] is True
    assert person["identity_verified_by"] == str(callers.officer.user.id)
    assert person["identity_verified_at"] is not None
    assert person["consent_at"] == "2018-10-30T01:00:00Z"
    assert person["kk_number"] == "5371020101189001"


async def test_naive_consent_time_is_a_row_error_not_a_crash(client, callers, session):
    site = await make_site(client, callers)
    content = b"full_name,legal_basis,consent_at\nWarga Uji,consent,2018-10-30T09:00:00\n"
    problem = assert_problem(await post_csv(client, callers, site["id"], content), 422)
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(2, "consent_at")]
    assert await person_count(session) == 0


async def test_import_needs_bulk_rights_and_a_known_site(client, callers, session):
    site = await make_site(client, callers)
    for caller in (callers.partner_a, callers.auditor, callers.viewer):
        response = await client.post(
            f"{PERSONS}/import",
            params={"site_id": site["id"]},
            content=_csv(GOOD_ROWS),
            headers={**caller.headers, **CSV_HEADERS},
        )
        assert_problem(response, 403)
    unknown = await post_csv(client, callers, str(uuid.uuid4()), _csv(GOOD_ROWS))
    assert_problem(unknown, 422)
    assert await person_count(session) == 0


async def test_upload_over_the_body_limit_of_other_routes_is_accepted(client, callers, session):
    """Imports have their own limit (default 50 MiB), above the 1 MiB of ordinary requests."""
    site = await make_site(client, callers)
    content = _csv(GOOD_ROWS) + b"\n" * (1024 * 1024 + 10)  # blank lines are skipped
    response = await post_csv(client, callers, site["id"], content, dry_run="true")
    assert response.status_code == 200, response.text[:300]
    assert response.json()["rows"] == 2


@pytest.fixture
async def small_upload_client(app):
    """A client of an app whose upload limit is 2 KiB, on the test's database."""
    small = create_app(Settings(database_url=app.state.settings.database_url, max_upload_bytes=2048))
    transport = httpx.ASGITransport(app=small, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await small.state.engine.dispose()


async def test_upload_over_the_configured_limit_is_413(client, small_upload_client, callers, session):
    site = await make_site(client, callers)
    small = _csv(GOOD_ROWS)
    assert len(small) < 2048
    large = small + b"\n" * (2049 - len(small))
    assert len(large) == 2049

    response = await post_csv(small_upload_client, callers, site["id"], large)
    assert_problem(response, 413)
    assert response.headers["x-request-id"]

    async def chunks():  # no Content-Length: the limit counts the bytes as they come
        for start in range(0, len(large), 512):
            yield large[start : start + 512]

    streamed = await small_upload_client.post(
        f"{PERSONS}/import",
        params={"site_id": site["id"]},
        content=chunks(),
        headers={**callers.officer.headers, **CSV_HEADERS},
    )
    assert_problem(streamed, 413)
    assert await person_count(session) == 0

    fits = await post_csv(small_upload_client, callers, site["id"], small)
    assert fits.status_code == 200, fits.text
    assert fits.json()["created"] == 2

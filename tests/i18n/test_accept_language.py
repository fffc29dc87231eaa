"""`Accept-Language: id` answers problems in Indonesian; English stays the default."""

import json
import uuid

import pytest

from app.i18n import negotiate
from tests.eligibility.helpers import PROGRAMS, make_program
from tests.eligibility.test_grammar import BAD_RULES
from tests.persons.helpers import make_person, make_site, person_body
from tests.persons.support import CSV_HEADERS, PERSONS, synthetic_nik
from tests.platform import AGENCIES, agency_body, assert_problem, error_locs

ID = {"Accept-Language": "id"}
BAD_NIK = "5371025204959"  # 13 digits (synthetic)
UNKNOWN_PROVINCE_NIK = "9971025204959103"  # synthetic: province 99 does not exist


def assert_indonesian(response) -> dict:
    assert response.headers["content-language"] == "id"
    assert "accept-language" in response.headers["vary"].lower()
    return response.json()


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("id", "id"),
        ("id-ID", "id"),
        ("ID-id", "id"),
        ("id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", "id"),
        ("fr, id;q=0.8", "id"),
        ("en;q=0.4, id", "id"),
        ("en, id;q=0.5", "en"),
        ("en-US", "en"),
        ("id;q=0.5, *", "en"),
        ("id;q=0", "en"),
        ("id;q=abc", "en"),
        ("fr, de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_negotiation(header, lang):
    assert negotiate(header) == lang


async def test_unknown_person_is_404_in_indonesian(client, callers):
    response = await client.get(f"{PERSONS}/{uuid.uuid4()}", headers=callers.officer.headers | ID)
    problem = assert_problem(response, 404)
    assert_indonesian(response)
    assert problem["type"] == "/problems/person-not-found"  # codes stay
    assert problem["title"] == "Orang tidak ditemukan"
    assert problem["detail"] == "Orang tidak ditemukan"


async def test_bad_nik_is_422_in_indonesian_without_the_value(client, callers):
    site = await make_site(client, callers)
    body = person_body(site["id"], nik=BAD_NIK)
    response = await client.post(PERSONS, json=body, headers=callers.officer.headers | ID)
    problem = assert_problem(response, 422)
    assert_indonesian(response)
    assert problem["title"] == "Permintaan tidak valid"
    assert problem["errors"] == [{"loc": ["body", "nik"], "msg": "harus terdiri atas 16 digit"}]
    assert problem["detail"] == "body.nik: harus terdiri atas 16 digit"
    assert BAD_NIK not in response.text


async def test_schema_messages_are_translated_from_their_type(client, callers):
    body = agency_body(name="", kind="bukan-jenis") | {"extra_field": 1}
    response = await client.post(AGENCIES, json=body, headers=callers.officer.headers | ID)
    problem = assert_problem(response, 422)
    messages = {tuple(e["loc"]): e["msg"] for e in problem["errors"]}
    assert messages[("body", "name")] == "Teks harus memiliki paling sedikit 1 karakter"
    assert messages[("body", "kind")].startswith("Masukan harus berupa ")
    assert " atau " in messages[("body", "kind")]
    assert messages[("body", "extra_field")] == "Field tambahan tidak diperbolehkan"


async def test_every_rule_grammar_message_is_translated(client, callers):
    """The rule checker's messages (a PydanticCustomError of its own type) and the facts' checks."""
    program = await make_program(client, callers)
    url = f"{PROGRAMS}/{program['id']}/rule-sets"
    for rule, _, _ in BAD_RULES:
        english = await client.post(url, json={"rule": rule}, headers=callers.officer.headers)
        indonesian = await client.post(url, json={"rule": rule}, headers=callers.officer.headers | ID)
        pairs = zip(assert_problem(english, 422)["errors"], indonesian.json()["errors"], strict=True)
        for en, id_ in pairs:
            assert en["loc"] == id_["loc"]
            assert en["msg"] != id_["msg"], (rule, en["msg"])


async def test_invalid_json_is_422_in_indonesian(client, callers):
    headers = callers.officer.headers | ID | {"Content-Type": "application/json"}
    response = await client.post(AGENCIES, content=b'{"name": ', headers=headers)
    problem = assert_problem(response, 422)
    assert [e["msg"] for e in problem["errors"]] == ["JSON tidak valid"]


async def test_service_check_joins_translated_errors_into_the_detail(client, callers):
    site = await make_site(client, callers)
    body = person_body(site["id"], nik=UNKNOWN_PROVINCE_NIK)
    response = await client.post(PERSONS, json=body, headers=callers.officer.headers | ID)
    problem = assert_problem(response, 422)
    assert error_locs(problem) == [["body", "nik"]]
    assert problem["detail"] == "body.nik: dua digit pertama bukan kode provinsi yang dikenal"
    assert UNKNOWN_PROVINCE_NIK not in response.text


async def test_missing_token_is_401_in_indonesian(client):
    response = await client.get(PERSONS, headers=ID)
    problem = assert_problem(response, 401)
    assert_indonesian(response)
    assert problem["title"] == "Belum terautentikasi"
    assert problem["detail"] == "Diperlukan bearer token yang valid."
    assert response.headers["www-authenticate"] == "Bearer"


async def test_role_not_allowed_is_403_with_the_role_in_place(client, callers):
    response = await client.post(AGENCIES, json=agency_body(), headers=callers.viewer.headers | ID)
    problem = assert_problem(response, 403)
    assert problem["title"] == "Akses ditolak"
    assert problem["detail"] == "Peran viewer tidak diizinkan melakukan tindakan ini."


async def test_illegal_transition_is_409_in_indonesian_with_its_allowed_list(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    body = {"to_status": "handed_over", "reason": "uji"}
    url = f"{PERSONS}/{person['id']}/status-changes"
    response = await client.post(url, json=body, headers=callers.officer.headers | ID)
    problem = assert_problem(response, 409)
    assert_indonesian(response)
    allowed = ["declined", "not_located", "returned_independently", "staying", "verified"]
    assert problem["allowed"] == allowed  # status codes are part of the API, not translated
    assert problem["title"] == "Perubahan status tidak diperbolehkan"
    assert problem["detail"] == (
        "Status registered tidak dapat berubah menjadi handed_over; "
        f"yang diperbolehkan: {', '.join(allowed)}."
    )


async def test_unknown_route_and_wrong_method_in_indonesian(client, callers):
    response = await client.get("/api/v1/no-such-resource", headers=callers.admin.headers | ID)
    problem = assert_problem(response, 404)
    assert_indonesian(response)
    assert (problem["title"], problem["detail"]) == ("Tidak ditemukan", "Tidak ditemukan")
    response = await client.put(AGENCIES, json=agency_body(), headers=callers.admin.headers | ID)
    problem = assert_problem(response, 405)
    assert_indonesian(response)
    assert (problem["title"], problem["detail"]) == ("Metode tidak diizinkan", "Metode tidak diizinkan")


async def test_body_over_the_limit_is_413_in_indonesian(client, callers):
    content = json.dumps(agency_body(address="x" * 1024 * 1024)).encode()
    headers = callers.officer.headers | ID | {"Content-Type": "application/json"}
    response = await client.post(AGENCIES, content=content, headers=headers)
    problem = assert_problem(response, 413)
    assert_indonesian(response)
    assert problem["title"] == "Konten terlalu besar"


async def test_import_row_errors_in_indonesian(client, callers):
    site = await make_site(client, callers)
    rows = [
        ["full_name", "nik", "legal_basis", "colour"],
        ["Warga Uji Impor", BAD_NIK, "public_task", "x"],
    ]
    content = ("\n".join(",".join(row) for row in rows) + "\n").encode()
    headers = callers.officer.headers | CSV_HEADERS | ID
    response = await client.post(
        f"{PERSONS}/import", params={"site_id": site["id"]}, content=content, headers=headers
    )
    problem = assert_problem(response, 422)
    assert problem["title"] == "Impor ditolak"
    assert problem["detail"] == "Terdapat 1 kesalahan pada 0 baris; tidak ada data yang disimpan."
    assert problem["errors"] == [{"row": 1, "column": "colour", "message": "kolom tidak dikenal"}]
    rows = [["full_name", "nik", "legal_basis"], ["Warga Uji Impor", BAD_NIK, "public_task"]]
    content = ("\n".join(",".join(row) for row in rows) + "\n").encode()
    response = await client.post(
        f"{PERSONS}/import", params={"site_id": site["id"]}, content=content, headers=headers
    )
    problem = assert_problem(response, 422)
    # pydantic's "Value error, must be 16 digits", translated from its text.
    assert problem["errors"] == [{"row": 2, "column": "nik", "message": "harus terdiri atas 16 digit"}]
    assert BAD_NIK not in response.text


@pytest.mark.parametrize("accept", [None, "en", "en, id;q=0.5", "fr"])
async def test_english_is_the_default(client, callers, accept):
    headers = callers.officer.headers | ({"Accept-Language": accept} if accept else {})
    response = await client.get(f"{PERSONS}/{uuid.uuid4()}", headers=headers)
    problem = assert_problem(response, 404)
    assert response.headers["content-language"] == "en"
    assert "accept-language" in response.headers["vary"].lower()
    assert problem["title"] == "Person not found"
    site = await make_site(client, callers, code=f"E{uuid.uuid4().hex[:4].upper()}")
    body = person_body(site["id"], nik=BAD_NIK)
    response = await client.post(PERSONS, json=body, headers=headers)
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"loc": ["body", "nik"], "msg": "Value error, must be 16 digits"}]
    assert problem["title"] == "Invalid request"


async def test_a_success_is_left_alone(client, callers):
    """A successful request is not a problem: Accept-Language leaves it alone."""
    site = await make_site(client, callers)
    body = person_body(site["id"], nik=synthetic_nik(9301))
    response = await client.post(PERSONS, json=body, headers=callers.officer.headers | ID)
    assert response.status_code == 201, response.text
    assert "content-language" not in response.headers

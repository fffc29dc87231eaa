"""Bad input on the persons API: a 422 naming the field, never echoing the value, nothing written."""

from datetime import UTC, datetime

import pytest

from tests.persons.helpers import NIK_MAN_ALOR, NIK_WOMAN_KUPANG, make_person, make_site, person_body
from tests.persons.support import PERSONS, assert_problem, error_locs, person_count, person_row

# Each of these fails one NIK rule; all are synthetic (serials 9xxx where there is one).
BAD_NIKS = {
    "15 digits": "537102520495901",
    "17 digits": "53710252049590011",
    "letters": "5371025204959OO1",
    "spaces": "5371 0252 0495 9001",
    "unknown province 99": "9971025204959001",
    "31 February": "5371023102959001",
    "month 13": "5371021213959001",
    "day 00": "5371020004959001",
    "day 32": "5371023204959001",
    "woman day 72": "5371027204959001",
    "serial 0000": "5371025204950000",
}
ODD_NAMES = {
    "combining marks": "Mari\u0301a Warga U\u0308ji",
    "arabic rtl": "Mar\u00eda \u0639\u0644\u064a \U0001f33a",
    "emoji zwj": "Warga \U0001f469\u200d\U0001f467 Uji",
    "cjk and greek": "\u738b\u5c0f\u660e \u0391\u03bb\u03b5\u03be",
}


async def _create(client, callers, site=None, **fields):
    site = site or await make_site(client, callers)
    return await client.post(PERSONS, json=person_body(site["id"], **fields), headers=callers.officer.headers)


@pytest.mark.parametrize("nik", BAD_NIKS.values(), ids=BAD_NIKS.keys())
async def test_invalid_nik_is_422_naming_the_field(client, callers, session, nik):
    response = await _create(client, callers, nik=nik)
    problem = assert_problem(response, 422)
    assert error_locs(problem) == [["body", "nik"]]
    assert nik not in response.text and nik.replace(" ", "") not in response.text
    assert await person_count(session) == 0


async def test_a_woman_can_have_day_71(client, callers):
    """Women's NIKs add 40 to the day: 71 is the 31st."""
    response = await _create(client, callers, nik="5371027101959001", birth_date="1995-01-31")  # synthetic
    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == []


@pytest.mark.parametrize(
    ("fields", "warning"),
    [
        ({"sex": "male"}, "sex"),
        ({"birth_date": "1995-04-13"}, "birth date"),
        ({"sex": "male", "birth_date": "1996-04-12"}, "both"),
    ],
)
async def test_nik_disagreeing_with_sex_or_birth_date_is_accepted_with_a_warning(
    client, callers, session, fields, warning
):
    response = await _create(client, callers, nik=NIK_WOMAN_KUPANG, **fields)
    assert response.status_code == 201, response.text
    warnings = response.json()["warnings"]
    assert len(warnings) == (2 if warning == "both" else 1)
    assert all(w.startswith("nik:") and NIK_WOMAN_KUPANG not in w for w in warnings)
    if warning != "both":
        assert warning in warnings[0]
    assert (await person_row(session, response.json()["id"])).nik_last4 == "9001"


async def test_unknown_sex_raises_no_warning(client, callers):
    response = await _create(client, callers, nik=NIK_WOMAN_KUPANG, sex="unknown", birth_date=None)
    assert response.status_code == 201
    assert response.json()["warnings"] == []


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"origin_region_code": "53.99"}, "origin_region_code"),
        ({"origin_region_code": "53"}, "origin_region_code"),  # a province, not a regency/city
        ({"origin_region_code": "5x.01"}, "origin_region_code"),
        ({"domicile_region_code": "99.71"}, "domicile_region_code"),
        ({"domicile_region_code": "53"}, "domicile_region_code"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "1995-02-30"}, "birth_date"),
        ({"sex": "f"}, "sex"),
        ({"legal_basis": "because"}, "legal_basis"),
        ({"identity_document": "passport"}, "identity_document"),
        ({"kk_number": "123"}, "kk_number"),
        ({"phone": "call me"}, "phone"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "Warga\x00Uji"}, "full_name"),
        ({"consent_at": "2018-10-30T09:00:00"}, "consent_at"),  # no offset: no instant
        ({"registration_number": "KD-9999"}, "registration_number"),
        ({"status": "verified"}, "status"),
        ({"id": "01a21ed4-4664-73b4-bcd7-cd79f3d22473"}, "id"),
        ({"restricted": True}, "restricted"),
    ],
)
async def test_bad_field_is_422_and_writes_nothing(client, callers, session, fields, loc):
    response = await _create(client, callers, **fields)
    problem = assert_problem(response, 422)
    assert error_locs(problem) == [["body", loc]]
    assert await person_count(session) == 0


async def test_consent_needs_consent_at(client, callers, session):
    site = await make_site(client, callers)
    response = await _create(client, callers, site, legal_basis="consent")
    problem = assert_problem(response, 422)
    assert "consent_at" in problem["detail"]
    assert await person_count(session) == 0
    ok = await _create(client, callers, site, legal_basis="consent", consent_at="2018-10-30T09:00:00+08:00")
    assert ok.status_code == 201, ok.text
    instant = datetime(2018, 10, 30, 1, tzinfo=UTC)
    assert datetime.fromisoformat(ok.json()["consent_at"]) == instant
    read = await client.get(f"{PERSONS}/{ok.json()['id']}", headers=callers.officer.headers)
    assert read.json()["consent_at"] == "2018-10-30T01:00:00Z"  # stored, and shown, in UTC


async def test_unknown_site_is_422(client, callers, session):
    body = person_body("01a21ed4-4664-73b4-bcd7-cd79f3d22473")
    response = await client.post(PERSONS, json=body, headers=callers.officer.headers)
    assert error_locs(assert_problem(response, 422)) == [["body", "site_id"]]


async def test_duplicate_nik_on_create_is_409_with_the_existing_id(client, callers, session):
    site = await make_site(client, callers)
    first = await make_person(client, callers, site["id"], nik=NIK_WOMAN_KUPANG)
    for caller in (callers.officer, callers.admin):
        body = person_body(site["id"], nik=NIK_WOMAN_KUPANG, full_name="Warga Uji Ganda")
        response = await client.post(PERSONS, json=body, headers=caller.headers)
        problem = assert_problem(response, 409)
        assert problem["existing_id"] == first["id"]
        assert NIK_WOMAN_KUPANG not in response.text and "Ganda" not in response.text
    assert await person_count(session) == 1


async def test_duplicate_nik_on_update_is_409(client, callers, session):
    site = await make_site(client, callers)
    first = await make_person(client, callers, site["id"], nik=NIK_WOMAN_KUPANG)
    second = await make_person(client, callers, site["id"], nik=NIK_MAN_ALOR, sex="male", birth_date=None)
    response = await client.patch(
        f"{PERSONS}/{second['id']}",
        json={"nik": NIK_WOMAN_KUPANG},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert assert_problem(response, 409)["existing_id"] == first["id"]
    assert (await person_row(session, second["id"])).nik_last4 == "9002"
    # Setting a person's own NIK again is no conflict.
    same = await client.patch(
        f"{PERSONS}/{first['id']}",
        json={"nik": NIK_WOMAN_KUPANG},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert same.status_code == 200, same.text


@pytest.mark.parametrize("name", ODD_NAMES.values(), ids=ODD_NAMES.keys())
async def test_odd_unicode_names_are_stored_and_returned_intact(client, callers, session, name):
    response = await _create(client, callers, full_name=name, alias=name[:100])
    assert response.status_code == 201, response.text
    person = response.json()
    assert person["full_name"] == name and person["alias"] == name[:100]
    read = await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
    assert read.json()["full_name"] == name
    assert (await person_row(session, person["id"])).full_name == name
    found = await client.get(PERSONS, params={"q": name[-5:]}, headers=callers.officer.headers)
    assert [i["full_name"] for i in found.json()["items"]] == [name]


async def test_names_of_200_characters_fit_and_201_do_not(client, callers, session):
    # Astral characters (emoji) count as one: PostgreSQL's varchar(200) counts characters too.
    name = ("W\u0639\U0001f33a" * 67)[:200]
    assert len(name) == 200
    site = await make_site(client, callers)
    response = await _create(client, callers, site, full_name=name)
    assert response.status_code == 201, response.text
    assert response.json()["full_name"] == name
    assert (await person_row(session, response.json()["id"])).full_name == name
    too_long = await _create(client, callers, site, full_name=name + "x")
    assert error_locs(assert_problem(too_long, 422)) == [["body", "full_name"]]
    assert name not in too_long.text
    assert await person_count(session) == 1


async def test_patch_needs_a_current_if_match(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    url = f"{PERSONS}/{person['id']}"
    missing = await client.patch(url, json={"alias": "Baru"}, headers=callers.officer.headers)
    assert_problem(missing, 428)
    ok = await client.patch(
        url, json={"alias": "Baru"}, headers={**callers.officer.headers, "If-Match": '"1"'}
    )
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = await client.patch(
        url, json={"alias": "Lama"}, headers={**callers.officer.headers, "If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    weak = await client.patch(
        url, json={"alias": "Lama"}, headers={**callers.officer.headers, "If-Match": 'W/"2"'}
    )
    assert_problem(weak, 412)
    row = await person_row(session, person["id"])
    assert (row.alias, row.version) == ("Baru", 2)


@pytest.mark.parametrize(
    "body",
    [
        {"version": 5, "alias": "X"},
        {"nik_ciphertext": "AAAA"},
        {"erased_at": "2018-10-30T00:00:00Z"},
        {"status": "handed_over"},
        {"identity_verified_by": "01a21ed4-4664-73b4-bcd7-cd79f3d22473"},
        {"full_name": None},
        {"legal_basis": None},
        {"nik": "5371025204950000"},  # serial 0000
        {"origin_region_code": "53"},
        {"birth_date": "2999-01-01"},
    ],
)
async def test_bad_patch_is_422_and_changes_nothing(client, callers, session, body):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], nik=NIK_WOMAN_KUPANG)
    response = await client.patch(
        f"{PERSONS}/{person['id']}", json=body, headers={**callers.officer.headers, "If-Match": '"1"'}
    )
    assert error_locs(assert_problem(response, 422)) == [["body", next(iter(body))]]
    row = await person_row(session, person["id"])
    assert row.version == 1 and row.nik_last4 == "9001" and row.full_name == person["full_name"]


async def test_patch_turning_legal_basis_to_consent_needs_consent_at(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    response = await client.patch(
        f"{PERSONS}/{person['id']}",
        json={"legal_basis": "consent"},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert error_locs(assert_problem(response, 422)) == [["body", "consent_at"]]
    assert (await person_row(session, person["id"])).legal_basis == "public_task"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 201},
        {"limit": 0},
        {"status": "pulang"},
        {"origin_province_code": "5"},
        {"origin_region_code": "xx"},
        {"updated_since": "2018-10-30T00:00:00"},
        {"q": "x" * 101},
    ],
)
async def test_bad_list_parameters_are_422(client, callers, params):
    response = await client.get(PERSONS, params=params, headers=callers.officer.headers)
    problem = assert_problem(response, 422)
    assert error_locs(problem)[0][0] == "query"
    for value in params.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in response.text


@pytest.mark.parametrize("params", [{"nik": "53710252049590"}, {"reason": "ab"}, {"purpose": "audit_review"}])
async def test_a_nik_or_purpose_in_the_url_is_refused(client, callers, params):
    response = await client.get(PERSONS, params=params, headers=callers.officer.headers)
    problem = assert_problem(response, 400)
    assert "POST /api/v1/persons/search" in problem["detail"] or "X-Purpose" in problem["detail"]
    assert "53710252049590" not in response.text


async def test_name_search_is_case_insensitive_and_literal(client, callers):
    site = await make_site(client, callers)
    one = await make_person(client, callers, site["id"], full_name="Warga Uji 100% Αλεξ", alias="Si_Uji")
    await make_person(client, callers, site["id"], full_name="Warga Lain", alias="Lain")

    async def found(q: str) -> list[str]:
        response = await client.get(PERSONS, params={"q": q}, headers=callers.officer.headers)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await found("WARGA UJI") == [one["id"]]
    assert await found("Αλεξ") == [one["id"]]
    assert await found("si_uji") == [one["id"]]
    assert await found("100%") == [one["id"]]
    # LIKE wildcards in the query are plain characters.
    assert await found("%") == [one["id"]]
    assert await found("_") == [one["id"]]
    assert await found("Warga%Lain") == []

"""Bad input is a 4xx problem that leaves the database unchanged, never a 500; odd text is kept intact."""

import uuid

import pytest

from tests.platform import AGENCIES, SITES, agency_body, assert_problem, error_locs, site_body, snapshot

JSON = {"Content-Type": "application/json"}


async def _refused(client, session, method: str, url: str, headers: dict, status: int = 422, **kwargs):
    """Send a bad request; assert the problem and that nothing was written. Returns the problem."""
    before = await snapshot(session)
    response = await client.request(method, url, headers=headers, **kwargs)
    problem = assert_problem(response, status)
    assert await snapshot(session) == before
    return problem


@pytest.fixture
async def agency(client, callers) -> str:
    """The URL of a new agency at version 1."""
    response = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    assert response.status_code == 201, response.text
    return response.headers["location"]


MALFORMED_JSON = [
    b'{"name": "Yayasan Uji",',
    b"{name: 'x'}",
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"42",
    b"{,}",
    b"\xff\xfe{}",
]


async def test_malformed_json_is_422(client, callers, session, subtests):
    headers = callers.officer.headers | JSON
    for content in MALFORMED_JSON:
        with subtests.test(content=content):
            problem = await _refused(client, session, "POST", AGENCIES, headers, content=content)
            assert problem["errors"] and problem["errors"][0]["loc"][0] == "body"


async def test_deeply_nested_json_is_4xx(client, callers, session):
    content = b"[" * 200_000 + b"]" * 200_000
    headers = callers.officer.headers | JSON
    before = await snapshot(session)
    response = await client.post(AGENCIES, content=content, headers=headers)
    assert response.status_code in {400, 422}, response.text
    assert_problem(response, response.status_code)
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b'{"name": "Yayasan Uji", "kind": "ngo", "region_code": "53.71"}'),
        ("application/x-www-form-urlencoded", b"name=Yayasan+Uji&kind=ngo&region_code=53.71"),
    ],
)
async def test_body_that_is_not_json_is_422(client, callers, session, content_type, content):
    headers = callers.officer.headers | {"Content-Type": content_type}
    await _refused(client, session, "POST", AGENCIES, headers, content=content)


WRONG_VALUES = [
    ("name", 123),
    ("name", None),
    ("name", ["Yayasan"]),
    ("name", {"text": "Yayasan"}),
    ("kind", ["ngo"]),
    ("kind", "NGO"),
    ("region_code", 5371),
    ("active", "maybe"),
    ("active", 2),
    ("contact_email", "not-an-email"),
    ("contact_phone", "call me"),
    ("name", ""),
    ("name", "x" * 201),
    ("name", "Yayasan\x00Uji"),
    ("address", "Jalan\x1bUji"),
    ("acronym", "A" * 41),
]


async def test_wrong_type_or_value_is_422_naming_the_field(client, callers, session, subtests):
    for field, value in WRONG_VALUES:
        with subtests.test(field=field, value=value):
            body = agency_body() | {field: value}
            problem = await _refused(client, session, "POST", AGENCIES, callers.officer.headers, json=body)
            assert ["body", field] in error_locs(problem)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_invalid_uuid_in_path_is_422(client, callers, session, subtests, method):
    headers = callers.officer.headers | {"If-Match": '"1"'}
    kwargs = {"json": {"acronym": "X"}} if method == "PATCH" else {}
    for bad_id in ["not-a-uuid", "1", "' OR 1=1 --", "00000000-0000-0000-0000-00000000000g"]:
        with subtests.test(bad_id=bad_id):
            problem = await _refused(client, session, method, f"{AGENCIES}/{bad_id}", headers, **kwargs)
            assert ["path", "agency_id"] in error_locs(problem)


async def test_invalid_uuid_in_site_path_is_422(client, callers, session):
    problem = await _refused(client, session, "GET", f"{SITES}/not-a-uuid", callers.viewer.headers)
    assert error_locs(problem) == [["path", "site_id"]]


async def test_unknown_region_code_is_422_naming_region_code(client, callers, session, subtests):
    for code in ["99.99", "99", "53.99", "9999"]:
        with subtests.test(code=code):
            body = agency_body(region_code=code)
            problem = await _refused(client, session, "POST", AGENCIES, callers.officer.headers, json=body)
            assert error_locs(problem) == [["body", "region_code"]]
            assert "unknown region" in problem["errors"][0]["msg"]


async def test_malformed_region_code_is_422(client, callers, session, subtests):
    for code in ["53-71", "5.371", "537", "53.7", "abc", "53.71.01", "", "５３"]:
        with subtests.test(code=code):
            body = agency_body(region_code=code)
            problem = await _refused(client, session, "POST", AGENCIES, callers.officer.headers, json=body)
            assert error_locs(problem) == [["body", "region_code"]]


async def test_undotted_region_code_is_normalized(client, callers):
    response = await client.post(
        AGENCIES, json=agency_body(region_code="5371"), headers=callers.officer.headers
    )
    assert response.status_code == 201
    assert response.json()["region_code"] == "53.71"


async def test_site_in_a_province_is_422_naming_region_code(client, callers, session):
    body = site_body(region_code="53")  # NTT province: a site is in a regency or city
    problem = await _refused(client, session, "POST", SITES, callers.officer.headers, json=body)
    assert error_locs(problem) == [["body", "region_code"]]
    assert "regency" in problem["errors"][0]["msg"]


async def test_site_moved_to_a_province_is_422_and_unchanged(client, callers, session):
    created = await client.post(SITES, json=site_body(), headers=callers.officer.headers)
    assert created.status_code == 201
    headers = callers.officer.headers | {"If-Match": '"1"'}
    problem = await _refused(
        client, session, "PATCH", created.headers["location"], headers, json={"region_code": "53"}
    )
    assert error_locs(problem) == [["body", "region_code"]]


async def test_bad_site_dates_are_422(client, callers, session, subtests):
    for dates in [
        {"closure_announced_on": "2018-10-30", "closed_on": "2018-10-01"},
        {"closed_on": "2018-02-30"},
        {"closed_on": "30/10/2018"},
    ]:
        with subtests.test(dates=dates):
            body = site_body(**dates)
            await _refused(client, session, "POST", SITES, callers.officer.headers, json=body)


async def test_bad_patch_is_422_and_changes_nothing(client, callers, session, subtests, agency):
    headers = callers.officer.headers | {"If-Match": '"1"'}
    for changes in [
        {"region_code": "99.99"},
        {"name": None},
        {"kind": None},
        {"active": None},
        {"kind": "club"},
    ]:
        with subtests.test(changes=changes):
            problem = await _refused(client, session, "PATCH", agency, headers, json=changes)
            assert error_locs(problem) == [["body", next(iter(changes))]]
    assert (await client.get(agency, headers=callers.viewer.headers)).headers["etag"] == '"1"'


async def test_lone_surrogate_is_refused_not_500(client, callers, session):
    content = b'{"name": "Yayasan \\ud800 Uji", "kind": "ngo", "region_code": "53.71"}'
    headers = callers.officer.headers | JSON
    before = await snapshot(session)
    response = await client.post(AGENCIES, content=content, headers=headers)
    assert_problem(response, 422)
    assert await snapshot(session) == before


async def test_odd_search_text_finds_nothing(client, callers, subtests):
    for q in ["' OR '1'='1", "%' --", "\\", "%%", "_", "\ufffd"]:
        with subtests.test(q=q):
            response = await client.get(AGENCIES, params={"q": q}, headers=callers.viewer.headers)
            assert response.status_code == 200
            assert response.json()["items"] == []


async def test_control_bytes_or_bad_utf8_in_search_never_match_all_or_500(client, callers, subtests):
    """A NUL would truncate the LIKE pattern on SQLite (matching everything) and fails on PostgreSQL."""
    for raw in ["%00", "Uji%00", "%1B", "%ED%A0%BC", "%FF%FE", "%C0%AF"]:
        with subtests.test(raw=raw):
            response = await client.get(f"{AGENCIES}?q={raw}", headers=callers.viewer.headers)
            if response.status_code == 200:
                assert response.json()["items"] == []
            else:
                assert error_locs(assert_problem(response, 422)) == [["query", "q"]]


async def test_nul_in_any_text_query_parameter_is_never_500(client, callers, subtests):
    """The database's own refusal of a value (SQLSTATE class 22) is the caller's 422, not a 500."""
    for raw in ["%00", "a%00b"]:
        with subtests.test(raw=raw):
            response = await client.get(f"/api/v1/audit-events?action={raw}", headers=callers.admin.headers)
            if response.status_code == 200:
                assert response.json()["items"] == []
            else:
                assert_problem(response, 422)


@pytest.mark.parametrize(
    "name",
    [
        "Robert'); DROP TABLE agencies;--",
        "<script>alert(1)</script>",
        'Yayasan "Uji" & <b>Mitra</b>',
        "Yayasan Nusa Tenggara Timur — Ñ 🌺 漢字",
        '=HYPERLINK("http://example.invalid")',
        "100% Uji_Satu",
    ],
)
async def test_hostile_looking_names_are_stored_and_returned_intact(client, callers, session, name):
    created = await client.post(AGENCIES, json=agency_body(name=name), headers=callers.officer.headers)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == name
    assert created.headers["content-type"] == "application/json"
    read = await client.get(created.headers["location"], headers=callers.viewer.headers)
    assert read.json()["name"] == name
    found = await client.get(AGENCIES, params={"q": name}, headers=callers.viewer.headers)
    assert [item["name"] for item in found.json()["items"]] == [name]
    # The table survived: the callers' two agencies and the new one.
    listed = await client.get(AGENCIES, headers=callers.viewer.headers)
    assert len(listed.json()["items"]) == 3


async def test_script_text_in_site_notes_is_kept_intact(client, callers):
    notes = "<script>alert('KD')</script>\nRobert'); DROP TABLE sites;--"
    created = await client.post(SITES, json=site_body(notes=notes), headers=callers.officer.headers)
    assert created.status_code == 201, created.text
    read = await client.get(created.headers["location"], headers=callers.viewer.headers)
    assert read.json()["notes"] == notes


@pytest.mark.parametrize(
    ("q", "expected"), [("%", ["100% Uji"]), ("_", ["Uji_Garis"]), ("uji_g", ["Uji_Garis"])]
)
async def test_search_wildcards_are_literal(client, callers, q, expected):
    """`%` and `_` in q are characters to find, not LIKE wildcards matching everything."""
    for name in ("100% Uji", "Uji_Garis", "Yayasan Biasa"):
        response = await client.post(AGENCIES, json=agency_body(name=name), headers=callers.officer.headers)
        assert response.status_code == 201
    found = await client.get(AGENCIES, params={"q": q}, headers=callers.viewer.headers)
    assert [item["name"] for item in found.json()["items"]] == expected


async def test_random_unknown_ids_are_404_not_500(client, callers, session):
    for url in (f"{AGENCIES}/{uuid.uuid4()}", f"{SITES}/{uuid.uuid4()}"):
        await _refused(client, session, "GET", url, callers.viewer.headers, status=404)

"""Every error is RFC 9457 application/problem+json, without stack traces or the caller's data."""

import uuid

import httpx

from tests.platform import AGENCIES, SITES, agency_body, assert_problem, error_locs

# Synthetic "personal" text: it must never come back in an error or leak from an exception.
FAKE_PERSONAL = "Warga Uji Rahasia 0812-0000-0000"


async def test_unknown_route_is_404_problem(client, callers):
    response = await client.get("/api/v1/no-such-resource", headers=callers.admin.headers)
    body = assert_problem(response, 404)
    assert body["title"] == "Not Found"


async def test_unknown_route_without_token_is_404_problem(client):
    assert_problem(await client.get("/api/v1/no-such-resource"), 404)


async def test_wrong_method_is_405_problem_with_allow(client, callers):
    response = await client.put(AGENCIES, json=agency_body(), headers=callers.admin.headers)
    assert_problem(response, 405)
    # Starlette names only the first route that matched the path (GET), not POST as well.
    assert "GET" in {m.strip() for m in response.headers["allow"].split(",")}


async def test_wrong_method_on_item_is_405_problem(client, callers):
    # Sites cannot be deleted (they are closed instead).
    response = await client.delete(f"{SITES}/{uuid.uuid4()}", headers=callers.admin.headers)
    assert_problem(response, 405)


async def test_validation_error_lists_loc_and_msg_without_input(client, callers):
    body = agency_body(name="", kind=FAKE_PERSONAL, contact_email=FAKE_PERSONAL)
    response = await client.post(AGENCIES, json=body, headers=callers.officer.headers)
    problem = assert_problem(response, 422)
    assert problem["type"] == "/problems/validation-error"
    assert ["body", "name"] in error_locs(problem)
    assert ["body", "kind"] in error_locs(problem)
    assert ["body", "contact_email"] in error_locs(problem)
    for error in problem["errors"]:
        # pydantic's `input`, `ctx` and `url` would echo the caller's values back.
        assert set(error) == {"loc", "msg"}, error
        assert isinstance(error["msg"], str) and error["msg"]
    assert FAKE_PERSONAL not in response.text


async def test_unknown_agency_is_404_problem(client, callers):
    response = await client.get(f"{AGENCIES}/{uuid.uuid4()}", headers=callers.officer.headers)
    problem = assert_problem(response, 404)
    assert problem["type"] == "/problems/agency-not-found"
    assert problem["title"] == "Agency not found"


async def test_patch_of_unknown_agency_is_404_problem(client, callers):
    headers = callers.officer.headers | {"If-Match": '"1"'}
    response = await client.patch(f"{AGENCIES}/{uuid.uuid4()}", json={"acronym": "X"}, headers=headers)
    assert assert_problem(response, 404)["type"] == "/problems/agency-not-found"


async def test_duplicate_agency_is_409_problem(client, callers):
    first = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    assert first.status_code == 201, first.text
    # Case and inner spacing do not make another agency.
    again = agency_body(name="  yayasan   UJI platform ")
    response = await client.post(AGENCIES, json=again, headers=callers.officer.headers)
    problem = assert_problem(response, 409)
    assert problem["type"] == "/problems/duplicate-agency"


async def test_unexpected_error_is_500_problem_without_trace_or_data(app):
    async def explode() -> None:
        raise RuntimeError(f"lookup failed for {FAKE_PERSONAL}")

    app.add_api_route("/api/v1/_test/explode", explode, methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/api/v1/_test/explode")
    problem = assert_problem(response, 500)
    assert problem["type"] == "/problems/internal-error"
    for leak in (FAKE_PERSONAL, "Traceback", "RuntimeError", "lookup failed", 'File "'):
        assert leak not in response.text

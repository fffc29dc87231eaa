"""Request bodies: no unknown fields (no mass assignment), nothing over 1 MiB; nothing is written."""

import json

import pytest

from tests.platform import AGENCIES, SITES, agency_body, assert_problem, error_locs, site_body, snapshot

MIB = 1024 * 1024


def _oversized_agency() -> bytes:
    """A syntactically valid agency JSON body just over 1 MiB."""
    return json.dumps(agency_body(address="x" * MIB)).encode()


async def test_unknown_field_on_create_is_422(client, callers, session, subtests):
    before = await snapshot(session)
    for field, value in [
        ("id", "00000000-0000-7000-8000-000000000001"),
        ("version", 7),
        ("name_key", "x"),
        ("created_at", "2018-10-26T00:00:00Z"),
        ("is_admin", True),
    ]:
        with subtests.test(field=field):
            body = agency_body() | {field: value}
            response = await client.post(AGENCIES, json=body, headers=callers.officer.headers)
            assert error_locs(assert_problem(response, 422)) == [["body", field]]
    assert await snapshot(session) == before


async def test_unknown_field_on_update_is_422(client, callers, session):
    created = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    before = await snapshot(session)
    headers = callers.officer.headers | {"If-Match": '"1"'}
    response = await client.patch(
        created.headers["location"], json={"acronym": "X", "version": 99}, headers=headers
    )
    assert error_locs(assert_problem(response, 422)) == [["body", "version"]]
    assert await snapshot(session) == before


async def test_unknown_field_on_site_is_422(client, callers, session):
    before = await snapshot(session)
    response = await client.post(
        SITES, json=site_body(status_changed_by="x"), headers=callers.officer.headers
    )
    assert error_locs(assert_problem(response, 422)) == [["body", "status_changed_by"]]
    assert await snapshot(session) == before


async def test_body_over_1_mib_is_413(client, callers, session):
    before = await snapshot(session)
    content = _oversized_agency()
    assert len(content) > MIB
    headers = callers.officer.headers | {"Content-Type": "application/json"}
    response = await client.post(AGENCIES, content=content, headers=headers)
    assert_problem(response, 413)
    assert response.headers["x-request-id"]
    assert await snapshot(session) == before


async def test_streamed_body_over_1_mib_is_413(client, callers, session):
    """Without Content-Length the limit is enforced on the bytes as they arrive."""
    before = await snapshot(session)
    content = _oversized_agency()

    async def chunks():
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    headers = callers.officer.headers | {"Content-Type": "application/json"}
    response = await client.post(AGENCIES, content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert await snapshot(session) == before


async def test_body_over_1_mib_does_not_claim_the_idempotency_key(client, callers, session):
    headers = callers.officer.headers | {"Idempotency-Key": "uji-besar", "Content-Type": "application/json"}
    assert_problem(await client.post(AGENCIES, content=_oversized_agency(), headers=headers), 413)
    response = await client.post(AGENCIES, json=agency_body(), headers=headers)
    assert response.status_code == 201, response.text


async def test_body_of_exactly_1_mib_is_not_413(client, callers):
    """The limit is "over 1 MiB": a body of exactly 1 MiB is read (and here refused for its content)."""
    prefix = b'{"name": "Yayasan Uji", "kind": "ngo", "region_code": "53.71", "address": "'
    content = prefix + b"x" * (MIB - len(prefix) - 2) + b'"}'
    assert len(content) == MIB
    headers = callers.officer.headers | {"Content-Type": "application/json"}
    response = await client.post(AGENCIES, content=content, headers=headers)
    assert error_locs(assert_problem(response, 422)) == [["body", "address"]]


async def test_body_over_1_mib_on_a_route_without_body_is_413_problem(client, callers):
    """Even where the route never reads the body, the answer is a problem, not plain text."""
    headers = callers.officer.headers | {"Content-Type": "application/json"}
    response = await client.request("GET", AGENCIES, content=_oversized_agency(), headers=headers)
    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("params", "loc"),
    [({"q": "x" * 101}, ["query", "q"]), ({"cursor": "c" * 513}, ["query", "cursor"])],
)
async def test_overlong_query_parameters_are_422(client, callers, params, loc):
    response = await client.get(AGENCIES, params=params, headers=callers.viewer.headers)
    assert error_locs(assert_problem(response, 422)) == [loc]


async def test_overlong_if_match_is_422(client, callers, session):
    created = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    before = await snapshot(session)
    headers = callers.officer.headers | {"If-Match": '"' + "1" * 100 + '"'}
    response = await client.patch(created.headers["location"], json={"acronym": "X"}, headers=headers)
    assert error_locs(assert_problem(response, 422)) == [["header", "if-match"]]
    assert await snapshot(session) == before

"""Optimistic concurrency: `version` as a strong ETag; PATCH needs If-Match (428 missing, 412 stale)."""

import asyncio

import pytest

from tests.platform import AGENCIES, SITES, agency_body, assert_problem, site_body


@pytest.fixture
async def agency(client, callers) -> str:
    """The URL of a new agency at version 1."""
    response = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    assert response.status_code == 201, response.text
    return response.headers["location"]


async def _read(client, url: str, headers: dict[str, str]) -> dict:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200
    return response.json() | {"etag": response.headers["etag"]}


async def test_created_and_read_carry_version_1_as_strong_etag(client, callers):
    created = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    assert created.json()["version"] == 1
    assert created.headers["etag"] == '"1"'
    read = await client.get(created.headers["location"], headers=callers.viewer.headers)
    assert read.headers["etag"] == '"1"'
    assert read.json()["version"] == 1


async def test_patch_without_if_match_is_428(client, callers, agency):
    response = await client.patch(agency, json={"acronym": "YUP"}, headers=callers.officer.headers)
    assert assert_problem(response, 428)["type"] == "/problems/precondition-required"
    after = await _read(client, agency, callers.officer.headers)
    assert (after["acronym"], after["version"]) == (None, 1)


async def test_patch_with_current_etag_bumps_version(client, callers, agency):
    headers = callers.officer.headers | {"If-Match": '"1"'}
    response = await client.patch(agency, json={"acronym": "YUP"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["acronym"] == "YUP"
    assert response.headers["etag"] == '"2"'
    after = await _read(client, agency, callers.viewer.headers)
    assert (after["acronym"], after["version"], after["etag"]) == ("YUP", 2, '"2"')


async def test_patch_with_stale_etag_is_412_and_changes_nothing(client, callers, agency):
    first = await client.patch(
        agency, json={"acronym": "SATU"}, headers=callers.officer.headers | {"If-Match": '"1"'}
    )
    assert first.status_code == 200
    stale = await client.patch(
        agency, json={"acronym": "DUA"}, headers=callers.admin.headers | {"If-Match": '"1"'}
    )
    assert assert_problem(stale, 412)["type"] == "/problems/precondition-failed"
    after = await _read(client, agency, callers.viewer.headers)
    assert (after["acronym"], after["version"], after["etag"]) == ("SATU", 2, '"2"')


async def test_weak_malformed_or_wrong_etag_is_412(client, callers, agency, subtests):
    """A weak ETag never matches for a change (RFC 9110 13.1.1); neither does anything but "1"."""
    for if_match in ['W/"1"', "1", '"01x"', "*", '"2"', '"0"', '"1", "2"', '"-1"', ""]:
        with subtests.test(if_match=if_match):
            headers = callers.officer.headers | {"If-Match": if_match}
            response = await client.patch(agency, json={"acronym": "YUP"}, headers=headers)
            assert_problem(response, 412)
            after = await _read(client, agency, callers.viewer.headers)
            assert (after["acronym"], after["version"]) == (None, 1)


async def test_site_patch_follows_the_same_rules(client, callers):
    created = await client.post(SITES, json=site_body(), headers=callers.officer.headers)
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    assert_problem(await client.patch(url, json={"status": "closing"}, headers=callers.officer.headers), 428)
    ok = await client.patch(
        url, json={"status": "closing"}, headers=callers.officer.headers | {"If-Match": '"1"'}
    )
    assert (ok.status_code, ok.headers["etag"]) == (200, '"2"')
    stale = await client.patch(
        url, json={"status": "closed"}, headers=callers.officer.headers | {"If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    assert (await _read(client, url, callers.viewer.headers))["status"] == "closing"


async def test_concurrent_patches_with_one_etag_one_wins(client, callers, agency):
    """Two writers that read version 1 race: exactly one change lands, the other gets 412."""
    headers = callers.officer.headers | {"If-Match": '"1"'}
    responses = await asyncio.gather(
        client.patch(agency, json={"acronym": "KIRI"}, headers=headers),
        client.patch(agency, json={"acronym": "KANAN"}, headers=headers),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 412], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    loser = next(r for r in responses if r.status_code == 412)
    assert_problem(loser, 412)
    after = await _read(client, agency, callers.viewer.headers)
    assert after["version"] == 2
    assert after["acronym"] == winner.json()["acronym"]


async def test_many_concurrent_patches_with_one_etag_one_wins(client, callers, agency):
    headers = callers.officer.headers | {"If-Match": '"1"'}
    responses = await asyncio.gather(
        *(client.patch(agency, json={"acronym": f"A{i}"}, headers=headers) for i in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 7, [r.text for r in responses]
    assert (await _read(client, agency, callers.viewer.headers))["version"] == 2

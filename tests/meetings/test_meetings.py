"""Meetings: creation, conventions, filters, status rules and bad input."""

import uuid

import pytest

from app.meetings.models import Meeting
from tests.factories import make_agency
from tests.meetings import (
    FUTURE_START,
    MEETINGS,
    RAKOR_END,
    RAKOR_START,
    assert_problem,
    count_rows,
    create_meeting,
    instant,
    locs,
    make_world,
    meeting_body,
    patch,
)


async def test_create_returns_201_location_etag_and_defaults(client, session, callers):
    dinsos = await make_agency(session, "Dinas Sosial Uji", kind="government")
    await session.commit()
    body = meeting_body(dinsos.id, description="Penutupan lokalisasi KD (uji).")
    response = await client.post(MEETINGS, json=body, headers=callers.officer.headers)
    assert response.status_code == 201, response.text
    meeting = response.json()
    assert response.headers["location"] == f"{MEETINGS}/{meeting['id']}"
    assert response.headers["etag"] == '"1"'
    assert meeting["status"] == "planned"
    assert meeting["timezone"] == "Asia/Makassar"
    assert meeting["starts_at"] == RAKOR_START
    assert meeting["ends_at"] == RAKOR_END
    assert meeting["minutes"] is None and meeting["version"] == 1

    fetched = await client.get(response.headers["location"], headers=callers.auditor.headers)
    assert fetched.status_code == 200
    assert fetched.json() == meeting
    assert fetched.headers["etag"] == '"1"'


async def test_create_with_site(client, session, callers):
    dinsos = await make_agency(session, "Dinas Sosial Uji", kind="government")
    await session.commit()
    site = await client.post(
        "/api/v1/sites",
        json={"name": "Lokasi Uji", "code": "KD", "region_code": "53.71"},
        headers=callers.officer.headers,
    )
    assert site.status_code == 201, site.text
    site_id = site.json()["id"]
    meeting = await create_meeting(
        client, callers.officer.headers, dinsos.id, kind="outreach", site_id=site_id
    )
    assert meeting["site_id"] == site_id
    other = await create_meeting(client, callers.officer.headers, dinsos.id)
    listed = await client.get(MEETINGS, params={"site_id": site_id}, headers=callers.viewer.headers)
    assert [m["id"] for m in listed.json()["items"]] == [meeting["id"]]
    assert other["site_id"] is None


async def test_idempotency_key_replays_the_first_response(app, client, session, callers):
    dinsos = await make_agency(session, "Dinas Sosial Uji", kind="government")
    await session.commit()
    headers = callers.officer.headers | {"Idempotency-Key": "rakor-uji-1"}
    first = await client.post(MEETINGS, json=meeting_body(dinsos.id), headers=headers)
    again = await client.post(MEETINGS, json=meeting_body(dinsos.id), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_rows(app, Meeting) == 1


async def test_patch_needs_if_match_and_the_current_version(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}"
    missing = await client.patch(url, json={"title": "Rakor Uji baru"}, headers=callers.officer.headers)
    assert_problem(missing, 428)
    changed = await patch(client, url, callers.officer.headers, {"title": "Rakor Uji baru"}, 1)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.headers["etag"] == '"2"'
    stale = await patch(client, url, callers.officer.headers, {"title": "Rakor Uji lama"}, 1)
    assert_problem(stale, 412)
    assert (await client.get(url, headers=callers.officer.headers)).json()["title"] == "Rakor Uji baru"


async def test_minutes_are_markdown_text(client, session, callers):
    world = await make_world(client, session, callers)
    minutes = "# Notulen rakor uji\n\n- Sosialisasi di lokasi\n- Pendataan ulang: **145** orang"
    url = f"{MEETINGS}/{world.rakor['id']}"
    response = await patch(client, url, callers.officer.headers, {"minutes": minutes}, 1)
    assert response.status_code == 200, response.text
    assert (await client.get(url, headers=callers.viewer.headers)).json()["minutes"] == minutes


async def test_list_filters_by_kind_status_and_agency(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.auditor.headers

    async def ids(**params: str) -> set[str]:
        response = await client.get(MEETINGS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {m["id"] for m in response.json()["items"]}

    everything = {world.rakor["id"], world.police_meeting["id"], world.own_meeting["id"]}
    assert await ids() == everything
    assert await ids(kind="census") == {world.own_meeting["id"]}
    assert await ids(kind="outreach") == {world.police_meeting["id"]}
    # Organizer or participant.
    assert await ids(agency_id=str(callers.agency_a.id)) == {world.rakor["id"], world.own_meeting["id"]}
    assert await ids(agency_id=str(callers.agency_b.id)) == {world.rakor["id"], world.police_meeting["id"]}
    assert await ids(agency_id=str(world.dinsos.id)) == {world.rakor["id"]}
    held = await patch(
        client, f"{MEETINGS}/{world.rakor['id']}", callers.officer.headers, {"status": "held"}, 1
    )
    assert held.status_code == 200, held.text
    assert await ids(status="held") == {world.rakor["id"]}
    assert await ids(status="planned") == {world.police_meeting["id"], world.own_meeting["id"]}


async def test_list_is_paginated(client, session, callers):
    world = await make_world(client, session, callers)
    first = await client.get(MEETINGS, params={"limit": 2}, headers=callers.officer.headers)
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    second = await client.get(
        MEETINGS, params={"limit": 2, "cursor": page["next_cursor"]}, headers=callers.officer.headers
    )
    rest = second.json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    seen = {m["id"] for m in page["items"] + rest["items"]}
    assert seen == {world.rakor["id"], world.police_meeting["id"], world.own_meeting["id"]}
    assert_problem(await client.get(MEETINGS, params={"limit": 201}, headers=callers.officer.headers), 422)


async def test_updated_since(client, session, callers):
    world = await make_world(client, session, callers)
    rakor = (await client.get(f"{MEETINGS}/{world.rakor['id']}", headers=callers.officer.headers)).json()
    await patch(
        client,
        f"{MEETINGS}/{world.own_meeting['id']}",
        callers.officer.headers,
        {"title": "Pendataan Uji 2"},
        1,
    )
    changed = (
        await client.get(f"{MEETINGS}/{world.own_meeting['id']}", headers=callers.officer.headers)
    ).json()
    since = changed["updated_at"]
    response = await client.get(MEETINGS, params={"updated_since": since}, headers=callers.officer.headers)
    assert [m["id"] for m in response.json()["items"]] == [world.own_meeting["id"]]
    assert instant(rakor["updated_at"]) < instant(since)


# --- status rules ---------------------------------------------------------------------------


async def test_held_meeting_cannot_be_cancelled(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}"
    held = await patch(client, url, callers.officer.headers, {"status": "held"}, 1)
    assert held.status_code == 200, held.text
    cancel = await patch(client, url, callers.officer.headers, {"status": "cancelled"}, 2)
    problem = assert_problem(cancel, 409)
    assert problem["type"] == "/problems/illegal-transition"
    assert "held" in problem["detail"] and "cancelled" in problem["detail"]
    assert (await client.get(url, headers=callers.officer.headers)).json()["status"] == "held"
    # Nor postponed, nor planned again.
    for status in ("postponed", "planned"):
        assert_problem(await patch(client, url, callers.officer.headers, {"status": status}, 2), 409)


async def test_meeting_cannot_be_held_before_it_starts(client, session, callers):
    world = await make_world(client, session, callers)
    future = await create_meeting(
        client, callers.officer.headers, world.dinsos.id, starts_at=FUTURE_START, ends_at=None
    )
    response = await patch(
        client, f"{MEETINGS}/{future['id']}", callers.officer.headers, {"status": "held"}, 1
    )
    problem = assert_problem(response, 409)
    assert "before it starts" in problem["detail"]


async def test_planned_meeting_can_be_cancelled_and_reinstated(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.police_meeting['id']}"
    cancelled = await patch(client, url, callers.officer.headers, {"status": "cancelled"}, 1)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_problem(await patch(client, url, callers.officer.headers, {"status": "held"}, 2), 409)
    reinstated = await patch(client, url, callers.officer.headers, {"status": "planned"}, 2)
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "planned"


async def test_postponing_moves_the_time_and_keeps_the_duration(client, session, callers):
    world = await make_world(client, session, callers)
    meeting = await create_meeting(
        client,
        callers.officer.headers,
        world.dinsos.id,
        starts_at=FUTURE_START,
        ends_at="2099-01-10T11:30:00+08:00",
    )
    url = f"{MEETINGS}/{meeting['id']}"
    body = {"status": "postponed", "starts_at": "2099-01-17T09:00:00+08:00"}
    response = await patch(client, url, callers.officer.headers, body, 1)
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["status"] == "postponed"
    assert moved["starts_at"] == "2099-01-17T09:00:00+08:00"
    assert moved["ends_at"] == "2099-01-17T11:30:00+08:00"
    # A postponed meeting is planned again once it has its new date.
    again = await patch(client, url, callers.officer.headers, {"status": "planned"}, 2)
    assert again.status_code == 200 and again.json()["status"] == "planned"


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"ends_at": "2018-10-30T08:59:59+08:00"}, ["body", "ends_at"]),
        ({"timezone": "Asia/Kupang"}, ["body", "timezone"]),
        ({"timezone": "../../etc/passwd"}, ["body", "timezone"]),
        ({"timezone": ""}, ["body", "timezone"]),
        ({"starts_at": "30/10/2018 09:00"}, ["body", "starts_at"]),
        ({"starts_at": "2018-10-32T09:00:00+08:00"}, ["body", "starts_at"]),
        # No offset: which instant is meant cannot be known.
        ({"starts_at": "2018-10-30T09:00:00"}, ["body", "starts_at"]),
        ({"ends_at": "tomorrow"}, ["body", "ends_at"]),
        ({"kind": "party"}, ["body", "kind"]),
        ({"title": ""}, ["body", "title"]),
        ({"status": "held"}, ["body", "status"]),  # set by PATCH, not at creation
        ({"organizer_agency_id": "not-a-uuid"}, ["body", "organizer_agency_id"]),
        ({"organizer_agency_id": str(uuid.uuid4())}, ["body", "organizer_agency_id"]),
        ({"site_id": str(uuid.uuid4())}, ["body", "site_id"]),
    ],
)
async def test_bad_meeting_is_422_naming_the_field(app, client, session, callers, fields, loc):
    dinsos = await make_agency(session, "Dinas Sosial Uji", kind="government")
    await session.commit()
    response = await client.post(
        MEETINGS, json=meeting_body(dinsos.id, **fields), headers=callers.officer.headers
    )
    assert loc in locs(assert_problem(response, 422))
    assert await count_rows(app, Meeting) == 0


async def test_inactive_organizer_is_409(client, session, callers):
    closed = await make_agency(session, "Yayasan Uji Bubar")
    closed.active = False
    await session.commit()
    response = await client.post(MEETINGS, json=meeting_body(closed.id), headers=callers.officer.headers)
    assert assert_problem(response, 409)["type"] == "/problems/inactive-agency"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"ends_at": "2018-10-30T08:00:00+08:00"}, ["body", "ends_at"]),
        # Moving the start past the end (ends_at sent too, so it is not shifted along).
        ({"starts_at": "2018-10-30T13:00:00+08:00", "ends_at": RAKOR_END}, ["body", "ends_at"]),
        ({"timezone": "Mars/Olympus_Mons"}, ["body", "timezone"]),
        ({"starts_at": None}, ["body", "starts_at"]),
        ({"status": None}, ["body", "status"]),
        ({"status": "adjourned"}, ["body", "status"]),
        ({"organizer_agency_id": str(uuid.uuid4())}, ["body", "organizer_agency_id"]),
        ({"version": 7}, ["body", "version"]),
    ],
)
async def test_bad_update_is_422_and_changes_nothing(client, session, callers, body, loc):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}"
    response = await patch(client, url, callers.officer.headers, body, 1)
    assert loc in locs(assert_problem(response, 422))
    assert (await client.get(url, headers=callers.officer.headers)).json() == world.rakor


async def test_malformed_ids_and_unknown_meeting(client, callers):
    assert_problem(await client.get(f"{MEETINGS}/not-a-uuid", headers=callers.officer.headers), 422)
    missing = await client.get(f"{MEETINGS}/{uuid.uuid4()}", headers=callers.officer.headers)
    assert assert_problem(missing, 404)["type"] == "/problems/meeting-not-found"


async def test_requires_authentication(client):
    assert_problem(await client.get(MEETINGS), 401)
    assert_problem(await client.get(f"{MEETINGS}.ics"), 401)

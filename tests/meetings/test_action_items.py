"""Action items: decisions turned into tasks for the organizer or a participant."""

import uuid

import pytest

from tests.meetings import (
    ACTION_ITEMS,
    MEETINGS,
    add_action_item,
    assert_problem,
    create_meeting,
    instant,
    locs,
    make_world,
    patch,
)


async def test_create_get_and_complete(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.officer.headers
    agenda = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/agenda-items", json={"title": "Sosialisasi"}, headers=headers
    )
    body = {
        "title": "Sosialisasi di lokasi",
        "description": "Bersama Satpol PP, Dinas Pariwisata, Dinas Kesehatan dan KPA (uji).",
        "assignee_agency_id": str(callers.agency_a.id),
        "due_on": "2018-11-05",
        "agenda_item_id": agenda.json()["id"],
    }
    response = await client.post(f"{MEETINGS}/{world.rakor['id']}/action-items", json=body, headers=headers)
    assert response.status_code == 201, response.text
    item = response.json()
    assert response.headers["location"] == f"{MEETINGS}/{world.rakor['id']}/action-items/{item['id']}"
    assert item["status"] == "open" and item["completed_at"] is None
    assert item["meeting_id"] == world.rakor["id"]
    fetched = await client.get(response.headers["location"], headers=callers.auditor.headers)
    assert fetched.json() == item

    done = await patch(client, response.headers["location"], headers, {"status": "done"}, 1)
    assert done.status_code == 200, done.text
    completed_at = done.json()["completed_at"]
    assert completed_at is not None and instant(completed_at).utcoffset() is not None
    # Reopened: the completion is cleared by the server.
    reopened = await patch(client, response.headers["location"], headers, {"status": "in_progress"}, 2)
    assert reopened.json()["completed_at"] is None


async def test_completed_at_is_server_set(client, session, callers):
    world = await make_world(client, session, callers)
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/action-items",
        json={
            "title": "x",
            "assignee_agency_id": str(callers.agency_a.id),
            "completed_at": "2018-11-01T00:00:00Z",
        },
        headers=callers.officer.headers,
    )
    assert ["body", "completed_at"] in locs(assert_problem(response, 422))


async def test_due_before_the_meeting_is_422(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}/action-items"
    body = {"title": "x", "assignee_agency_id": str(callers.agency_a.id), "due_on": "2018-10-29"}
    response = await client.post(url, json=body, headers=callers.officer.headers)
    assert locs(assert_problem(response, 422)) == [["body", "due_on"]]
    # Due the day of the meeting is fine.
    await add_action_item(
        client, callers.officer.headers, world.rakor["id"], callers.agency_a.id, due_on="2018-10-30"
    )


async def test_due_date_is_compared_in_the_meetings_timezone(client, session, callers):
    """00:30 WITA on 30 Oct is still 29 Oct in UTC: an item due 30 Oct is not before the meeting."""
    world = await make_world(client, session, callers)
    early = await create_meeting(
        client,
        callers.officer.headers,
        callers.agency_a.id,
        starts_at="2018-10-30T00:30:00+08:00",
        ends_at=None,
    )
    await add_action_item(
        client, callers.officer.headers, early["id"], callers.agency_a.id, due_on="2018-10-30"
    )
    response = await client.post(
        f"{MEETINGS}/{early['id']}/action-items",
        json={"title": "x", "assignee_agency_id": str(callers.agency_a.id), "due_on": "2018-10-29"},
        headers=callers.officer.headers,
    )
    assert locs(assert_problem(response, 422)) == [["body", "due_on"]]
    assert world.rakor["id"] != early["id"]


async def test_due_date_change_is_checked_too(client, session, callers):
    world = await make_world(client, session, callers)
    item = await add_action_item(client, callers.officer.headers, world.rakor["id"], callers.agency_a.id)
    url = f"{MEETINGS}/{world.rakor['id']}/action-items/{item['id']}"
    response = await patch(client, url, callers.officer.headers, {"due_on": "2018-10-01"}, 1)
    assert locs(assert_problem(response, 422)) == [["body", "due_on"]]


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"assignee_agency_id": str(uuid.uuid4())}, ["body", "assignee_agency_id"]),
        ({"assignee_agency_id": "polisi"}, ["body", "assignee_agency_id"]),
        ({"due_on": "2018-11-31"}, ["body", "due_on"]),
        ({"due_on": "05/11/2018"}, ["body", "due_on"]),
        ({"status": "later"}, ["body", "status"]),
        ({"title": ""}, ["body", "title"]),
        ({"agenda_item_id": str(uuid.uuid4())}, ["body", "agenda_item_id"]),
    ],
)
async def test_bad_action_item_is_422(client, session, callers, fields, loc):
    world = await make_world(client, session, callers)
    body = {"title": "x", "assignee_agency_id": str(callers.agency_a.id), **fields}
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/action-items", json=body, headers=callers.officer.headers
    )
    assert locs(assert_problem(response, 422)) == [loc]


async def test_assignee_must_take_part(client, session, callers):
    world = await make_world(client, session, callers)
    # Agency A neither organizes nor attends the police meeting.
    response = await client.post(
        f"{MEETINGS}/{world.police_meeting['id']}/action-items",
        json={"title": "x", "assignee_agency_id": str(callers.agency_a.id)},
        headers=callers.officer.headers,
    )
    assert locs(assert_problem(response, 422)) == [["body", "assignee_agency_id"]]
    # The organizer may be assigned.
    await add_action_item(client, callers.officer.headers, world.police_meeting["id"], callers.agency_b.id)


async def test_agenda_item_of_another_meeting_is_422(client, session, callers):
    world = await make_world(client, session, callers)
    other = await client.post(
        f"{MEETINGS}/{world.police_meeting['id']}/agenda-items",
        json={"title": "Lain"},
        headers=callers.officer.headers,
    )
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/action-items",
        json={
            "title": "x",
            "assignee_agency_id": str(callers.agency_a.id),
            "agenda_item_id": other.json()["id"],
        },
        headers=callers.officer.headers,
    )
    assert locs(assert_problem(response, 422)) == [["body", "agenda_item_id"]]


async def test_list_across_meetings_with_filters(client, session, callers):
    world = await make_world(client, session, callers)
    staff = callers.officer.headers
    overdue = await add_action_item(
        client, staff, world.rakor["id"], callers.agency_a.id, due_on="2018-11-05"
    )
    later = await add_action_item(client, staff, world.rakor["id"], callers.agency_b.id, due_on="2099-12-31")
    undated = await add_action_item(client, staff, world.police_meeting["id"], callers.agency_b.id)
    finished = await add_action_item(
        client, staff, world.own_meeting["id"], callers.agency_a.id, due_on="2018-11-01", status="done"
    )
    assert finished["completed_at"] is not None

    async def ids(**params: str) -> set[str]:
        response = await client.get(ACTION_ITEMS, params=params, headers=callers.auditor.headers)
        assert response.status_code == 200, response.text
        return {i["id"] for i in response.json()["items"]}

    assert await ids() == {overdue["id"], later["id"], undated["id"], finished["id"]}
    assert await ids(assignee_agency_id=str(callers.agency_a.id)) == {overdue["id"], finished["id"]}
    assert await ids(status="done") == {finished["id"]}
    assert await ids(overdue="true") == {overdue["id"]}
    assert await ids(overdue="false") == {later["id"], undated["id"], finished["id"]}
    assert await ids(due_before="2018-11-05") == {finished["id"]}
    assert await ids(due_before="2018-11-06") == {overdue["id"], finished["id"]}
    assert await ids(overdue="true", assignee_agency_id=str(callers.agency_b.id)) == set()
    per_meeting = await client.get(
        f"{MEETINGS}/{world.rakor['id']}/action-items", headers=callers.viewer.headers
    )
    assert {i["id"] for i in per_meeting.json()["items"]} == {overdue["id"], later["id"]}
    for params in ({"due_before": "5 Nov"}, {"overdue": "mungkin"}, {"status": "late"}):
        assert_problem(await client.get(ACTION_ITEMS, params=params, headers=callers.auditor.headers), 422)


async def test_item_of_another_meeting_is_404(client, session, callers):
    world = await make_world(client, session, callers)
    item = await add_action_item(client, callers.officer.headers, world.rakor["id"], callers.agency_a.id)
    wrong = f"{MEETINGS}/{world.own_meeting['id']}/action-items/{item['id']}"
    problem = assert_problem(await client.get(wrong, headers=callers.officer.headers), 404)
    assert problem["type"] == "/problems/action-item-not-found"

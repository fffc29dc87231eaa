"""Agenda items: numbered, ordered, with outcomes."""

import pytest

from tests.meetings import MEETINGS, add_action_item, assert_problem, locs, make_world, patch


async def _add(client, headers, meeting_id, **body):
    response = await client.post(f"{MEETINGS}/{meeting_id}/agenda-items", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_items_are_numbered_and_listed_in_order(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.officer.headers
    meeting_id = world.rakor["id"]
    third = await _add(client, headers, meeting_id, number=3, title="Pendataan ulang")
    first = await _add(client, headers, meeting_id, number=1, title="Pembukaan")
    fourth = await _add(client, headers, meeting_id, title="Penutup", public=False)
    assert fourth["number"] == 4 and fourth["public"] is False
    second = await _add(client, headers, meeting_id, number=2, title="Rencana sosialisasi")
    url = f"{MEETINGS}/{meeting_id}/agenda-items"
    listed = (await client.get(url, headers=callers.viewer.headers)).json()
    assert [i["id"] for i in listed["items"]] == [first["id"], second["id"], third["id"], fourth["id"]]
    # Pages follow the order of the numbers too.
    page = (await client.get(url, params={"limit": 3}, headers=headers)).json()
    assert [i["number"] for i in page["items"]] == [1, 2, 3]
    rest = (await client.get(url, params={"limit": 3, "cursor": page["next_cursor"]}, headers=headers)).json()
    assert [i["number"] for i in rest["items"]] == [4] and rest["next_cursor"] is None


async def test_outcome_and_renumbering(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.officer.headers
    one = await _add(client, headers, world.rakor["id"], title="Pembukaan")
    two = await _add(client, headers, world.rakor["id"], title="Sosialisasi")
    url = f"{MEETINGS}/{world.rakor['id']}/agenda-items/{two['id']}"
    outcome = "Sosialisasi di lokasi bersama Satpol PP (uji)."
    response = await patch(client, url, headers, {"outcome": outcome}, 1)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == outcome and response.headers["etag"] == '"2"'
    taken = await patch(client, url, headers, {"number": one["number"]}, 2)
    assert assert_problem(taken, 409)["type"] == "/problems/duplicate-agenda-number"
    moved = await patch(client, url, headers, {"number": 10}, 2)
    assert moved.json()["number"] == 10


async def test_duplicate_number_is_409(client, session, callers):
    world = await make_world(client, session, callers)
    await _add(client, callers.officer.headers, world.rakor["id"], number=1, title="Pembukaan")
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/agenda-items",
        json={"number": 1, "title": "Lagi"},
        headers=callers.officer.headers,
    )
    assert_problem(response, 409)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"title": ""}, ["body", "title"]),
        ({"title": "x", "number": 0}, ["body", "number"]),
        ({"title": "x", "number": "satu"}, ["body", "number"]),
        ({"title": "x", "public": "kadang"}, ["body", "public"]),
        ({"title": "x", "position": 1}, ["body", "position"]),
    ],
)
async def test_bad_agenda_item_is_422(client, session, callers, body, loc):
    world = await make_world(client, session, callers)
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/agenda-items", json=body, headers=callers.officer.headers
    )
    assert loc in locs(assert_problem(response, 422))


async def test_delete_unless_referenced(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.officer.headers
    linked = await _add(client, headers, world.rakor["id"], title="Pemulangan")
    loose = await _add(client, headers, world.rakor["id"], title="Lain-lain")
    await add_action_item(
        client, headers, world.rakor["id"], callers.agency_a.id, agenda_item_id=linked["id"]
    )
    base = f"{MEETINGS}/{world.rakor['id']}/agenda-items"
    assert_problem(await client.delete(f"{base}/{linked['id']}", headers=headers), 409)
    assert (await client.delete(f"{base}/{loose['id']}", headers=headers)).status_code == 204
    assert_problem(await client.get(f"{base}/{loose['id']}", headers=headers), 404)

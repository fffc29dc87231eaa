"""Who may see and change meetings: partners only their agency's meetings and their own answers."""

import pytest

from tests.meetings import (
    ACTION_ITEMS,
    MEETINGS,
    add_action_item,
    add_participant,
    assert_problem,
    make_world,
    meeting_body,
    patch,
)


async def test_partner_lists_only_meetings_its_agency_takes_part_in(client, session, callers):
    world = await make_world(client, session, callers)
    listed = await client.get(MEETINGS, headers=callers.partner_a.headers)
    assert listed.status_code == 200, listed.text
    assert {m["id"] for m in listed.json()["items"]} == {world.rakor["id"], world.own_meeting["id"]}
    other = await client.get(MEETINGS, headers=callers.partner_b.headers)
    assert {m["id"] for m in other.json()["items"]} == {world.rakor["id"], world.police_meeting["id"]}
    # A filter cannot widen the view.
    widened = await client.get(
        MEETINGS, params={"agency_id": str(callers.agency_b.id)}, headers=callers.partner_a.headers
    )
    assert {m["id"] for m in widened.json()["items"]} == {world.rakor["id"]}


async def test_partner_gets_404_for_other_meetings_and_their_parts(client, session, callers):
    world = await make_world(client, session, callers)
    staff = callers.officer.headers
    hidden = world.police_meeting["id"]
    item = await add_action_item(client, staff, hidden, callers.agency_b.id)
    agenda = await client.post(f"{MEETINGS}/{hidden}/agenda-items", json={"title": "Rahasia"}, headers=staff)
    guest = await add_participant(client, staff, hidden, world.dinsos.id)
    base = f"{MEETINGS}/{hidden}"
    urls = [
        base,
        f"{base}.ics",
        f"{base}/history",
        f"{base}/participants",
        f"{base}/agenda-items",
        f"{base}/agenda-items/{agenda.json()['id']}",
        f"{base}/action-items",
        f"{base}/action-items/{item['id']}",
        f"{base}/participants/{guest['id']}",
    ]
    for url in urls:
        response = await client.get(url, headers=callers.partner_a.headers)
        assert assert_problem(response, 404)["type"] == "/problems/meeting-not-found", url
        assert (await client.get(url, headers=callers.partner_b.headers)).status_code == 200, url
    patched = await patch(
        client, f"{base}/action-items/{item['id']}", callers.partner_a.headers, {"status": "done"}, 1
    )
    assert_problem(patched, 404)
    answered = await patch(
        client, f"{base}/participants/{guest['id']}", callers.partner_a.headers, {"response": "declined"}, 1
    )
    assert_problem(answered, 404)
    # The cross-meeting list leaves it out too.
    mine = await client.get(ACTION_ITEMS, headers=callers.partner_a.headers)
    assert item["id"] not in {i["id"] for i in mine.json()["items"]}
    theirs = await client.get(ACTION_ITEMS, headers=callers.partner_b.headers)
    assert item["id"] in {i["id"] for i in theirs.json()["items"]}


async def test_partner_sees_the_whole_meeting_it_takes_part_in(client, session, callers):
    world = await make_world(client, session, callers)
    base = f"{MEETINGS}/{world.rakor['id']}"
    for url in (base, f"{base}.ics", f"{base}/history", f"{base}/participants", f"{base}/agenda-items"):
        assert (await client.get(url, headers=callers.partner_a.headers)).status_code == 200, url
    participants = (await client.get(f"{base}/participants", headers=callers.partner_a.headers)).json()
    assert len(participants["items"]) == 2


async def test_partner_with_declined_invitation_still_sees_the_meeting(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}"
    declined = await patch(client, url, callers.partner_a.headers, {"response": "declined"}, 1)
    assert declined.status_code == 200, declined.text
    assert (
        await client.get(f"{MEETINGS}/{world.rakor['id']}", headers=callers.partner_a.headers)
    ).status_code == 200


async def test_partner_sets_its_own_response_representative_and_attendance(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}"
    body = {
        "response": "confirmed",
        "representative_name": "Petugas Uji Empat",
        "representative_title": "Koordinator Lapangan",
        "attended": True,
    }
    response = await patch(client, url, callers.partner_a.headers, body, 1)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in body} == body


async def test_partner_cannot_change_another_agencys_participation(client, session, callers):
    world = await make_world(client, session, callers)
    participants = await client.get(
        f"{MEETINGS}/{world.rakor['id']}/participants", headers=callers.officer.headers
    )
    b = next(p for p in participants.json()["items"] if p["agency_id"] == str(callers.agency_b.id))
    url = f"{MEETINGS}/{world.rakor['id']}/participants/{b['id']}"
    response = await patch(client, url, callers.partner_a.headers, {"response": "declined"}, 1)
    assert assert_problem(response, 403)["type"] == "/problems/not-own-agency"
    assert (await client.get(url, headers=callers.officer.headers)).json()["response"] == "invited"


async def test_partner_cannot_invite_or_withdraw(client, session, callers):
    world = await make_world(client, session, callers)
    base = f"{MEETINGS}/{world.own_meeting['id']}/participants"
    invite = await client.post(
        base, json={"agency_id": str(callers.agency_b.id)}, headers=callers.partner_a.headers
    )
    assert_problem(invite, 403)
    withdraw = await client.delete(
        f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}",
        headers=callers.partner_a.headers,
    )
    assert_problem(withdraw, 403)


async def test_partner_cannot_create_or_change_meetings_agenda_or_action_items(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.partner_a.headers
    own = world.own_meeting["id"]  # even the one its own agency organizes
    assert_problem(await client.post(MEETINGS, json=meeting_body(callers.agency_a.id), headers=headers), 403)
    assert_problem(await patch(client, f"{MEETINGS}/{own}", headers, {"title": "Diubah"}, 1), 403)
    assert_problem(
        await client.post(f"{MEETINGS}/{own}/agenda-items", json={"title": "x"}, headers=headers), 403
    )
    body = {"title": "x", "assignee_agency_id": str(callers.agency_a.id)}
    assert_problem(await client.post(f"{MEETINGS}/{own}/action-items", json=body, headers=headers), 403)


async def test_partner_updates_only_the_status_of_its_own_action_items(client, session, callers):
    world = await make_world(client, session, callers)
    staff = callers.officer.headers
    mine = await add_action_item(client, staff, world.rakor["id"], callers.agency_a.id, due_on="2018-11-05")
    theirs = await add_action_item(client, staff, world.rakor["id"], callers.agency_b.id)
    base = f"{MEETINGS}/{world.rakor['id']}/action-items"
    headers = callers.partner_a.headers

    progress = await patch(client, f"{base}/{mine['id']}", headers, {"status": "in_progress"}, 1)
    assert progress.status_code == 200, progress.text
    assert progress.json()["status"] == "in_progress"
    done = await patch(client, f"{base}/{mine['id']}", headers, {"status": "done"}, 2)
    assert done.json()["completed_at"] is not None

    for body in (
        {"title": "Diubah"},
        {"due_on": "2099-01-01"},
        {"status": "open", "assignee_agency_id": str(callers.agency_b.id)},
    ):
        response = await patch(client, f"{base}/{mine['id']}", headers, body, 3)
        assert assert_problem(response, 403)["type"] == "/problems/not-own-agency", body
    other = await patch(client, f"{base}/{theirs['id']}", headers, {"status": "done"}, 1)
    assert_problem(other, 403)
    assert (await client.get(f"{base}/{theirs['id']}", headers=staff)).json()["status"] == "open"
    assert (await client.get(f"{base}/{mine['id']}", headers=staff)).json()["title"] == mine["title"]


@pytest.mark.parametrize("role", ["auditor", "viewer"])
async def test_auditors_and_viewers_read_but_do_not_write(client, session, callers, role):
    world = await make_world(client, session, callers)
    headers = getattr(callers, role).headers
    item = await add_action_item(client, callers.officer.headers, world.rakor["id"], callers.agency_a.id)
    listed = await client.get(MEETINGS, headers=headers)
    assert len(listed.json()["items"]) == 3
    for url in (
        f"{MEETINGS}/{world.police_meeting['id']}",
        f"{MEETINGS}/{world.rakor['id']}/history",
        f"{MEETINGS}.ics",
        ACTION_ITEMS,
    ):
        assert (await client.get(url, headers=headers)).status_code == 200, url
    assert_problem(await client.post(MEETINGS, json=meeting_body(world.dinsos.id), headers=headers), 403)
    participant = f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}"
    assert_problem(await patch(client, participant, headers, {"response": "confirmed"}, 1), 403)
    action = f"{MEETINGS}/{world.rakor['id']}/action-items/{item['id']}"
    assert_problem(await patch(client, action, headers, {"status": "done"}, 1), 403)


async def test_admin_does_everything(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.admin.headers
    created = await client.post(MEETINGS, json=meeting_body(world.dinsos.id), headers=headers)
    assert created.status_code == 201
    participant = f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}"
    assert (await patch(client, participant, headers, {"attended": True}, 1)).status_code == 200

"""Every change is audited and shows in GET /meetings/{id}/history, with old and new values."""

from datetime import UTC, datetime

from tests.meetings import (
    FUTURE_START,
    MEETINGS,
    add_action_item,
    add_participant,
    assert_problem,
    audit_actions,
    create_meeting,
    instant,
    make_world,
    patch,
)


async def test_postponement_keeps_the_old_time(client, session, callers):
    world = await make_world(client, session, callers)
    meeting = await create_meeting(
        client,
        callers.officer.headers,
        world.dinsos.id,
        starts_at=FUTURE_START,
        ends_at="2099-01-10T12:00:00+08:00",
    )
    url = f"{MEETINGS}/{meeting['id']}"
    body = {"status": "postponed", "starts_at": "2099-01-24T09:00:00+08:00"}
    assert (await patch(client, url, callers.officer.headers, body, 1)).status_code == 200

    history = (await client.get(f"{url}/history", headers=callers.auditor.headers)).json()
    assert [c["action"] for c in history["items"]] == ["meeting.create", "meeting.postpone"]
    created, postponed = history["items"]
    assert created["subject_type"] == "meeting" and created["subject_id"] == meeting["id"]
    assert instant(created["changes"]["starts_at"]["new"]) == datetime(2099, 1, 10, 1, 0, tzinfo=UTC)
    changes = postponed["changes"]
    assert changes["status"] == {"old": "planned", "new": "postponed"}
    assert instant(changes["starts_at"]["old"]) == instant(FUTURE_START)
    assert instant(changes["starts_at"]["new"]) == datetime(2099, 1, 24, 1, 0, tzinfo=UTC)
    assert instant(changes["ends_at"]["old"]) == datetime(2099, 1, 10, 4, 0, tzinfo=UTC)
    assert set(changes) == {"status", "starts_at", "ends_at"}
    assert postponed["actor_id"] == str(callers.officer.user.id)
    assert postponed["actor_role"] == "officer"


async def test_every_change_is_audited_and_in_the_history(app, client, session, callers):
    world = await make_world(client, session, callers)
    staff = callers.officer.headers
    meeting_id = world.rakor["id"]
    base = f"{MEETINGS}/{meeting_id}"
    agenda = (await client.post(f"{base}/agenda-items", json={"title": "Pembukaan"}, headers=staff)).json()
    await patch(client, f"{base}/agenda-items/{agenda['id']}", staff, {"outcome": "Dibuka (uji)"}, 1)
    item = await add_action_item(client, staff, meeting_id, callers.agency_a.id)
    await patch(client, f"{base}/action-items/{item['id']}", callers.partner_a.headers, {"status": "done"}, 1)
    await patch(
        client, f"{base}/participants/{world.rakor_a['id']}", callers.partner_a.headers, {"attended": True}, 1
    )
    await patch(client, base, staff, {"minutes": "Notulen uji", "status": "held"}, 1)
    guest = await add_participant(client, staff, meeting_id, world.dinsos.id)
    assert (await client.delete(f"{base}/participants/{guest['id']}", headers=staff)).status_code == 204
    await client.delete(f"{base}/agenda-items/{agenda['id']}", headers=staff)

    expected = [
        "meeting.create",
        "meeting.participant.create",
        "meeting.participant.create",
        "meeting.agenda_item.create",
        "meeting.agenda_item.update",
        "meeting.action_item.create",
        "meeting.action_item.update",
        "meeting.participant.update",
        "meeting.hold",
        "meeting.participant.create",
        "meeting.participant.delete",
        "meeting.agenda_item.delete",
    ]
    history = await client.get(f"{base}/history", params={"limit": 200}, headers=callers.partner_a.headers)
    items = history.json()["items"]
    assert [c["action"] for c in items] == expected
    assert await audit_actions(app, meeting_id) == expected

    done = items[6]
    assert done["subject_id"] == item["id"] and done["actor_role"] == "partner"
    assert done["changes"]["status"] == {"old": "open", "new": "done"}
    assert done["changes"]["completed_at"]["old"] is None
    assert items[7]["changes"] == {"attended": {"old": None, "new": True}}
    assert items[8]["changes"]["minutes"] == {"old": None, "new": "Notulen uji"}
    assert items[10]["changes"]["agency_id"] == {"old": str(world.dinsos.id), "new": None}


async def test_rejected_changes_leave_no_history(app, client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}"
    before = (await client.get(f"{url}/history", headers=callers.officer.headers)).json()["items"]
    await patch(client, url, callers.officer.headers, {"status": "held"}, 1)
    assert_problem(await patch(client, url, callers.officer.headers, {"status": "cancelled"}, 2), 409)
    assert_problem(
        await patch(client, url, callers.officer.headers, {"ends_at": "2000-01-01T00:00:00Z"}, 2), 422
    )
    after = (await client.get(f"{url}/history", headers=callers.officer.headers)).json()["items"]
    assert [c["action"] for c in after] == [c["action"] for c in before] + ["meeting.hold"]
    assert (await audit_actions(app, world.rakor["id"])).count("meeting.cancel") == 0


async def test_history_is_paginated(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}"
    for version, title in enumerate(("Rakor Uji A", "Rakor Uji B", "Rakor Uji C"), start=1):
        assert (
            await patch(client, url, callers.officer.headers, {"title": title}, version)
        ).status_code == 200
    first = (await client.get(f"{url}/history", params={"limit": 4}, headers=callers.officer.headers)).json()
    rest = (
        await client.get(
            f"{url}/history",
            params={"limit": 4, "cursor": first["next_cursor"]},
            headers=callers.officer.headers,
        )
    ).json()
    titles = [
        c["changes"]["title"]["new"]
        for c in first["items"] + rest["items"]
        if c["action"] == "meeting.update"
    ]
    assert titles == ["Rakor Uji A", "Rakor Uji B", "Rakor Uji C"]
    assert rest["next_cursor"] is None

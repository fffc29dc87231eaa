"""Participants: one per agency, only active agencies, attendance only once the meeting started."""

import uuid

import pytest

from app.meetings.models import Participant
from tests.factories import make_agency
from tests.meetings import (
    FUTURE_START,
    MEETINGS,
    add_action_item,
    add_participant,
    assert_problem,
    count_rows,
    create_meeting,
    locs,
    make_world,
    patch,
)


async def test_invite_get_and_list(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}/participants"
    polri = await make_agency(session, "Polresta Uji", kind="police")
    await session.commit()
    response = await client.post(
        url,
        json={
            "agency_id": str(polri.id),
            "representative_name": "Petugas Uji Dua",
            "representative_title": "Kasat",
        },
        headers=callers.officer.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{url}/{created['id']}"
    assert created["response"] == "invited" and created["attended"] is None
    assert created["meeting_id"] == world.rakor["id"]
    fetched = await client.get(response.headers["location"], headers=callers.viewer.headers)
    assert fetched.json() == created and fetched.headers["etag"] == '"1"'
    listed = (await client.get(url, headers=callers.auditor.headers)).json()
    agencies = {p["agency_id"] for p in listed["items"]}
    assert agencies == {str(callers.agency_a.id), str(callers.agency_b.id), str(polri.id)}


async def test_agency_appears_once_per_meeting(app, client, session, callers):
    world = await make_world(client, session, callers)
    before = await count_rows(app, Participant)
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/participants",
        json={"agency_id": str(callers.agency_a.id), "response": "confirmed"},
        headers=callers.officer.headers,
    )
    problem = assert_problem(response, 409)
    assert problem["type"] == "/problems/duplicate-participant"
    assert "already" in problem["detail"]
    assert await count_rows(app, Participant) == before
    # The same agency may take part in another meeting.
    await add_participant(client, callers.officer.headers, world.police_meeting["id"], callers.agency_a.id)


async def test_inactive_agency_cannot_be_invited(app, client, session, callers):
    world = await make_world(client, session, callers)
    closed = await make_agency(session, "Yayasan Uji Tutup")
    closed.active = False
    await session.commit()
    before = await count_rows(app, Participant)
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/participants",
        json={"agency_id": str(closed.id)},
        headers=callers.officer.headers,
    )
    problem = assert_problem(response, 409)
    assert problem["type"] == "/problems/inactive-agency"
    assert "inactive" in problem["detail"]
    assert await count_rows(app, Participant) == before


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"agency_id": None}, ["body", "agency_id"]),
        ({"agency_id": "dinsos"}, ["body", "agency_id"]),
        ({"response": "maybe"}, ["body", "response"]),
        ({"attended": "ya"}, ["body", "attended"]),
        ({"representative_name": ""}, ["body", "representative_name"]),
        ({"meeting_id": str(uuid.uuid4())}, ["body", "meeting_id"]),
    ],
)
async def test_bad_participant_is_422(app, client, session, callers, body, loc):
    world = await make_world(client, session, callers)
    polri = await make_agency(session, "Polresta Uji", kind="police")
    await session.commit()
    before = await count_rows(app, Participant)
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/participants",
        json={"agency_id": str(polri.id)} | body,
        headers=callers.officer.headers,
    )
    assert loc in locs(assert_problem(response, 422))
    assert await count_rows(app, Participant) == before


async def test_unknown_agency_is_422(client, session, callers):
    world = await make_world(client, session, callers)
    response = await client.post(
        f"{MEETINGS}/{world.rakor['id']}/participants",
        json={"agency_id": str(uuid.uuid4())},
        headers=callers.officer.headers,
    )
    assert locs(assert_problem(response, 422)) == [["body", "agency_id"]]


async def test_attendance_only_once_the_meeting_started(client, session, callers):
    world = await make_world(client, session, callers)
    future = await create_meeting(
        client, callers.officer.headers, world.dinsos.id, starts_at=FUTURE_START, ends_at=None
    )
    participant = await add_participant(client, callers.officer.headers, future["id"], callers.agency_a.id)
    url = f"{MEETINGS}/{future['id']}/participants/{participant['id']}"
    early = await patch(client, url, callers.officer.headers, {"attended": True}, 1)
    problem = assert_problem(early, 409)
    assert problem["type"] == "/problems/meeting-not-started"
    assert "started" in problem["detail"]
    assert (await client.get(url, headers=callers.officer.headers)).json()["attended"] is None
    # Nor when inviting.
    polri = await make_agency(session, "Polresta Uji", kind="police")
    await session.commit()
    response = await client.post(
        f"{MEETINGS}/{future['id']}/participants",
        json={"agency_id": str(polri.id), "attended": False},
        headers=callers.officer.headers,
    )
    assert_problem(response, 409)
    # Answers and representatives may be given beforehand.
    confirmed = await patch(
        client,
        url,
        callers.officer.headers,
        {"response": "confirmed", "representative_name": "Petugas Uji Tiga"},
        1,
    )
    assert confirmed.status_code == 200, confirmed.text


async def test_attendance_recorded_after_start(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}"
    response = await patch(
        client, url, callers.officer.headers, {"attended": True, "response": "confirmed"}, 1
    )
    assert response.status_code == 200, response.text
    assert response.json()["attended"] is True
    assert response.headers["etag"] == '"2"'
    # Recorded false (did not come), then back to unknown.
    absent = await patch(client, url, callers.officer.headers, {"attended": False}, 2)
    assert absent.json()["attended"] is False
    unknown = await patch(client, url, callers.officer.headers, {"attended": None}, 3)
    assert unknown.json()["attended"] is None


async def test_no_attendance_for_a_cancelled_or_postponed_meeting(client, session, callers):
    world = await make_world(client, session, callers)
    meeting_url = f"{MEETINGS}/{world.rakor['id']}"
    participant_url = f"{meeting_url}/participants/{world.rakor_a['id']}"
    for version, status in enumerate(("postponed", "cancelled"), start=1):
        changed = await patch(client, meeting_url, callers.officer.headers, {"status": status}, version)
        assert changed.status_code == 200, changed.text
        response = await patch(client, participant_url, callers.officer.headers, {"attended": True}, 1)
        assert status in assert_problem(response, 409)["detail"]


async def test_response_may_not_be_null(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}"
    response = await patch(client, url, callers.officer.headers, {"response": None}, 1)
    assert locs(assert_problem(response, 422)) == [["body", "response"]]
    stale = await patch(client, url, callers.officer.headers, {"response": "declined"}, 9)
    assert_problem(stale, 412)


async def test_withdraw_invitation(client, session, callers):
    world = await make_world(client, session, callers)
    url = f"{MEETINGS}/{world.rakor['id']}/participants/{world.rakor_a['id']}"
    await add_action_item(client, callers.officer.headers, world.rakor["id"], callers.agency_a.id)
    blocked = await client.delete(url, headers=callers.officer.headers)
    assert assert_problem(blocked, 409)["type"] == "/problems/still-referenced"
    own = await add_participant(client, callers.officer.headers, world.own_meeting["id"], callers.agency_b.id)
    own_url = f"{MEETINGS}/{world.own_meeting['id']}/participants/{own['id']}"
    assert (await client.delete(own_url, headers=callers.officer.headers)).status_code == 204
    assert_problem(await client.get(own_url, headers=callers.officer.headers), 404)


async def test_participant_of_another_meeting_is_404(client, session, callers):
    world = await make_world(client, session, callers)
    wrong = f"{MEETINGS}/{world.police_meeting['id']}/participants/{world.rakor_a['id']}"
    problem = assert_problem(await client.get(wrong, headers=callers.officer.headers), 404)
    assert problem["type"] == "/problems/participant-not-found"
    assert_problem(await patch(client, wrong, callers.officer.headers, {"response": "confirmed"}, 1), 404)

"""The status lifecycle: the declared transition table, enforced; every change in the history."""

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from app import clock
from app.persons.models import Person
from app.persons.transitions import TRANSITIONS, Status, allowed_targets
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, assert_problem, change_rows, person_row


async def _force_status(session, person_id: str, status: Status) -> None:
    """Put the person in `status` directly (arranging the starting point, not testing a change)."""
    await session.execute(update(Person).where(Person.id == uuid.UUID(person_id)).values(status=status.value))
    await session.commit()


@pytest.mark.parametrize("current", list(Status))
async def test_transition_table_is_enforced(client, callers, session, current):
    """From each status, every allowed target succeeds and every other one is 409 naming the allowed."""
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    url = f"{PERSONS}/{person['id']}/status-changes"
    expected_allowed = sorted(s.value for s in TRANSITIONS[current])
    assert allowed_targets(current) == expected_allowed
    for target in Status:
        await _force_status(session, person["id"], current)
        body = {"to_status": target.value, "reason": f"uji {target.value}", "occurred_on": "2018-10-30"}
        response = await client.post(url, json=body, headers=callers.officer.headers)
        if target in TRANSITIONS[current]:
            assert response.status_code == 200, (current, target, response.text)
            assert response.json()["status"] == target.value
            assert (await person_row(session, person["id"])).status == target.value
        else:
            problem = assert_problem(response, 409)
            assert problem["allowed"] == expected_allowed, (current, target)
            assert problem["current_status"] == current.value
            assert (await person_row(session, person["id"])).status == current.value

    status_rows = [c for c in await change_rows(session, person["id"]) if c.kind == "status"]
    assert [(c.old_value, c.new_value) for c in status_rows] == [
        (current.value, target.value) for target in Status if target in TRANSITIONS[current]
    ]
    for change in status_rows:
        assert change.reason == f"uji {change.new_value}"
        assert change.occurred_on == date(2018, 10, 30)
        assert change.actor_id == callers.officer.user.id
        assert change.actor_kind == "user"


async def test_main_path_is_recorded_in_the_history(client, callers):
    """registered -> verified -> awaiting_return -> repatriated -> handed_over, then nothing more."""
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    url = f"{PERSONS}/{person['id']}/status-changes"
    path = ["verified", "awaiting_return", "repatriated", "handed_over"]
    for step, status in enumerate(path):
        body = {"to_status": status, "reason": f"langkah {step}", "occurred_on": f"2018-11-0{step + 1}"}
        caller = callers.admin if status == "repatriated" else callers.officer
        response = await client.post(url, json=body, headers=caller.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
        assert response.headers["etag"] == f'"{response.json()["version"]}"'

    terminal = await client.post(url, json={"to_status": "verified"}, headers=callers.officer.headers)
    problem = assert_problem(terminal, 409)
    assert problem["allowed"] == []
    assert "none" in problem["detail"]

    history = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.officer.headers)
    assert history.status_code == 200
    changes = [c for c in history.json() if c["kind"] == "status"]
    assert [(c["old_value"], c["new_value"]) for c in changes] == list(
        zip(["registered", *path[:-1]], path, strict=True)
    )
    for step, change in enumerate(changes):
        assert change["field"] == "status"
        assert change["reason"] == f"langkah {step}"
        assert change["occurred_on"] == f"2018-11-0{step + 1}"
        expected_actor = callers.admin if change["new_value"] == "repatriated" else callers.officer
        assert change["actor_id"] == str(expected_actor.user.id)
        assert change["actor_kind"] == "user"
        assert change["occurred_at"]


async def test_occurred_on_defaults_to_today_in_kupang(client, callers, monkeypatch):
    # 20:00 UTC on 1 November is 04:00 WITA on 2 November: the office's date, not the server's.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2018, 11, 1, 20, 0, tzinfo=UTC))
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    response = await client.post(
        f"{PERSONS}/{person['id']}/status-changes",
        json={"to_status": "not_located"},
        headers=callers.officer.headers,
    )
    assert response.status_code == 200, response.text
    history = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.officer.headers)
    [change] = [c for c in history.json() if c["kind"] == "status"]
    assert change["occurred_on"] == "2018-11-02"
    assert change["reason"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"to_status": "pulang"},
        {"to_status": "verified", "occurred_on": "2018-02-30"},
        {"to_status": "verified", "status_changed_at": "2018-10-30T00:00:00Z"},
        {"to_status": "verified", "reason": ""},
    ],
)
async def test_bad_status_change_is_422_and_changes_nothing(client, callers, session, body):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    response = await client.post(
        f"{PERSONS}/{person['id']}/status-changes", json=body, headers=callers.officer.headers
    )
    assert_problem(response, 422)
    assert (await person_row(session, person["id"])).status == "registered"


async def test_status_is_not_patchable(client, callers):
    """The status changes only through status-changes: PATCH refuses it as an unknown field."""
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    response = await client.patch(
        f"{PERSONS}/{person['id']}",
        json={"status": "handed_over"},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert_problem(response, 422)

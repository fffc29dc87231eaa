"""Calendar feeds: a URL a calendar app subscribes to with no Authorization header, revocable."""

import logging
from urllib.parse import urlsplit

from icalendar import Calendar
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.calendars.models import CalendarFeed
from app.logging import JsonFormatter
from app.security.policy import Role
from app.security.tokens import token_digest
from tests.access import bearer, password_user, sign_in
from tests.meetings import assert_problem, make_world

FEEDS = "/api/v1/calendar-feeds"


async def _create(client, caller, name: str = "Rakor di ponsel") -> dict:
    response = await client.post(FEEDS, json={"name": name}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _path(feed: dict) -> str:
    """The feed URL as a calendar app would request it (the test client's base is http://test)."""
    url = urlsplit(feed["url"])
    return url.path + (f"?{url.query}" if url.query else "")


def _titles(response) -> set[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return {str(event["summary"]) for event in Calendar.from_ical(response.content).walk("VEVENT")}


async def test_a_calendar_app_reads_the_agencys_meetings_with_the_url_alone(client, session, callers):
    world = await make_world(client, session, callers)
    feed = await _create(client, callers.partner_a)
    assert feed["user_id"] == str(callers.partner_a.user.id)
    assert feed["agency_id"] == str(callers.agency_a.id) and feed["revoked_at"] is None
    assert feed["url"].startswith("http://test/api/v1/calendar-feeds/")

    response = await client.get(_path(feed))  # no Authorization header
    # Agency A's meetings only: the rakor it takes part in and its own, not the police meeting.
    assert _titles(response) == {world.rakor["title"], world.own_meeting["title"]}
    assert world.police_meeting["title"] not in response.text
    # The meeting filters of GET /meetings.ics apply.
    census_only = await client.get(_path(feed), params={"kind": "census"})
    assert _titles(census_only) == {world.own_meeting["title"]}

    staff_feed = await _create(client, callers.officer)
    everything = {world.rakor["title"], world.own_meeting["title"], world.police_meeting["title"]}
    assert _titles(await client.get(_path(staff_feed))) == everything


async def test_the_token_is_stored_as_a_digest_and_never_listed(client, session, callers):
    feed = await _create(client, callers.partner_a)
    token = _path(feed).split("/")[-2]
    [row] = (await session.scalars(select(CalendarFeed))).all()
    assert row.token_digest == token_digest(token) and token not in row.token_digest
    await session.rollback()  # end the read (SQLite: the API writes next)
    listed = await client.get(FEEDS, headers=callers.partner_a.headers)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == feed["id"] and "url" not in item and token not in listed.text


async def test_a_revoked_token_is_404(client, session, callers):
    await make_world(client, session, callers)
    feed = await _create(client, callers.partner_a)
    assert (await client.get(_path(feed))).status_code == 200
    # Another user cannot see or revoke it: 404, and the feed still works.
    assert_problem(await client.delete(f"{FEEDS}/{feed['id']}", headers=callers.partner_b.headers), 404)
    assert (await client.get(FEEDS, headers=callers.partner_b.headers)).json()["items"] == []
    assert (await client.get(_path(feed))).status_code == 200

    revoked = await client.delete(f"{FEEDS}/{feed['id']}", headers=callers.partner_a.headers)
    assert revoked.status_code == 204
    problem = assert_problem(await client.get(_path(feed)), 404)
    assert problem["type"] == "/problems/calendar-feed-not-found"
    [item] = (await client.get(FEEDS, headers=callers.partner_a.headers)).json()["items"]
    assert item["revoked_at"] is not None
    # Revoking again changes nothing.
    again = await client.delete(f"{FEEDS}/{feed['id']}", headers=callers.partner_a.headers)
    assert again.status_code == 204


async def test_an_admin_sees_and_revokes_anyones_feed(client, session, callers):
    feed = await _create(client, callers.viewer)
    listed = await client.get(FEEDS, headers=callers.admin.headers)
    assert [item["id"] for item in listed.json()["items"]] == [feed["id"]]
    assert (await client.delete(f"{FEEDS}/{feed['id']}", headers=callers.admin.headers)).status_code == 204
    assert_problem(await client.get(_path(feed)), 404)


async def test_unknown_tokens_and_deactivated_users_are_404(client, session, callers):
    assert_problem(await client.get(f"{FEEDS}/not-a-token/meetings.ics"), 404)
    feed = await _create(client, callers.partner_a)
    user = await client.get(f"/api/v1/users/{callers.partner_a.user.id}", headers=callers.admin.headers)
    deactivated = await client.patch(
        f"/api/v1/users/{user.json()['id']}",
        json={"active": False},
        headers={**callers.admin.headers, "If-Match": user.headers["etag"]},
    )
    assert deactivated.status_code == 200, deactivated.text
    assert_problem(await client.get(_path(feed)), 404)


async def test_bad_names_are_422(client, callers):
    for body in ({}, {"name": ""}, {"name": "a\nb"}, {"name": "x" * 101}, {"name": "ok", "token": "mine"}):
        assert_problem(await client.post(FEEDS, json=body, headers=callers.officer.headers), 422)
    assert_problem(await client.post(FEEDS, json={"name": "x"}), 401)


async def test_the_token_is_in_no_log_line_and_no_audit_event(client, session, callers, caplog):
    await make_world(client, session, callers)
    with caplog.at_level(logging.INFO):
        feed = await _create(client, callers.partner_a)
        token = _path(feed).split("/")[-2]
        assert (await client.get(_path(feed), params={"kind": "coordination"})).status_code == 200
        await client.delete(f"{FEEDS}/{feed['id']}", headers=callers.partner_a.headers)
        assert (await client.get(_path(feed))).status_code == 404
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert any("/api/v1/calendar-feeds/{token}/meetings.ics" in line for line in lines)
    assert not [line for line in lines if token in line]
    events = (await session.scalars(select(AuditEvent))).all()
    assert events and not [e for e in events if token in repr(e.__dict__)]


async def _patch(client, caller, url: str, fields: dict) -> None:
    current = await client.get(url, headers=caller.headers)
    changed = await client.patch(
        url, json=fields, headers={**caller.headers, "If-Match": current.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text


async def test_a_feed_ends_with_every_revocation_of_its_user_or_agency(client, session, callers):
    """A feed URL is a token: a sign-out everywhere, a reactivation or a new password never revive it."""
    user_url = f"/api/v1/users/{callers.partner_a.user.id}"
    agency_url = f"/api/v1/agencies/{callers.agency_a.id}"
    signed_out = await _create(client, callers.partner_a)
    everywhere = await client.delete(f"{user_url}/sessions", headers=callers.admin.headers)
    assert everywhere.status_code == 204, everywhere.text
    assert_problem(await client.get(_path(signed_out)), 404)

    # An agency deactivated: its users' feeds stop, and its reactivation does not revive them.
    partner = await password_user(session, Role.partner, agency_id=callers.agency_a.id)
    token = await sign_in(client, partner.username)
    feed = await client.post(FEEDS, json={"name": "Rakor"}, headers=bearer(token))
    assert feed.status_code == 201, feed.text
    await _patch(client, callers.admin, agency_url, {"active": False})
    assert_problem(await client.get(_path(feed.json())), 404)
    await _patch(client, callers.admin, agency_url, {"active": True})
    assert_problem(await client.get(_path(feed.json())), 404)

"""The iCalendar feed, parsed back with the icalendar library."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.meetings import MEETINGS, assert_problem, create_meeting, make_world, patch


def parse(response) -> Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, object]:
    """VEVENTs by meeting id (the UID is `<id>@...`)."""
    return {str(event["uid"]).split("@")[0]: event for event in calendar.walk("VEVENT")}


async def test_single_meeting_in_its_timezone(client, session, callers):
    world = await make_world(client, session, callers)
    base = f"{MEETINGS}/{world.rakor['id']}"
    await client.post(
        f"{base}/agenda-items", json={"title": "Rencana sosialisasi"}, headers=callers.officer.headers
    )
    await client.post(
        f"{base}/agenda-items",
        json={"title": "Data orang (internal)", "public": False},
        headers=callers.officer.headers,
    )
    response = await client.get(f"{base}.ics", headers=callers.viewer.headers)
    calendar = parse(response)
    assert "inline" in response.headers["content-disposition"]
    (event,) = calendar.walk("VEVENT")
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert event["dtstart"].params["TZID"] == "Asia/Makassar"
    assert start == datetime(2018, 10, 30, 9, 0, tzinfo=ZoneInfo("Asia/Makassar"))
    assert start == datetime(2018, 10, 30, 1, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=8)
    assert end == datetime(2018, 10, 30, 4, 0, tzinfo=UTC)
    assert str(event["summary"]) == world.rakor["title"]
    assert str(event["location"]) == world.rakor["location"]
    assert str(event["status"]) == "CONFIRMED"
    assert event["sequence"] == 0
    # Public agenda items only: the feed travels beyond the participants.
    assert "Rencana sosialisasi" in str(event["description"])
    assert "internal" not in str(event["description"])
    zones = {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")}
    assert zones == {"Asia/Makassar"}


async def test_feed_has_every_zone_and_the_dst_change(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.officer.headers
    summer = await create_meeting(
        client,
        headers,
        world.dinsos.id,
        title="Rapat Uji Amsterdam",
        timezone="Europe/Amsterdam",
        starts_at="2024-10-26T10:00:00+02:00",
        ends_at=None,
    )
    winter = await create_meeting(
        client,
        headers,
        world.dinsos.id,
        title="Rapat Uji Amsterdam 2",
        timezone="Europe/Amsterdam",
        starts_at="2024-11-02T10:00:00+01:00",
        ends_at=None,
    )
    utc = await create_meeting(
        client,
        headers,
        world.dinsos.id,
        title="Rapat Uji UTC",
        timezone="UTC",
        starts_at="2024-11-02T09:00:00Z",
        ends_at=None,
    )
    calendar = parse(await client.get(f"{MEETINGS}.ics", headers=headers))
    found = events(calendar)
    assert set(found) == {
        world.rakor["id"],
        world.police_meeting["id"],
        world.own_meeting["id"],
        summer["id"],
        winter["id"],
        utc["id"],
    }

    amsterdam = ZoneInfo("Europe/Amsterdam")
    summer_start = found[summer["id"]].decoded("dtstart")
    winter_start = found[winter["id"]].decoded("dtstart")
    assert found[summer["id"]]["dtstart"].params["TZID"] == "Europe/Amsterdam"
    assert summer_start == datetime(2024, 10, 26, 8, 0, tzinfo=UTC)
    assert winter_start == datetime(2024, 11, 2, 9, 0, tzinfo=UTC)
    # Both 10:00 on the wall clock, an hour apart in UTC offset.
    assert summer_start.astimezone(amsterdam).hour == winter_start.astimezone(amsterdam).hour == 10
    assert summer_start.utcoffset() == timedelta(hours=2) and winter_start.utcoffset() == timedelta(hours=1)
    # UTC events are written in UTC ("Z"), needing no VTIMEZONE.
    assert "TZID" not in found[utc["id"]]["dtstart"].params
    assert found[utc["id"]].decoded("dtstart") == datetime(2024, 11, 2, 9, 0, tzinfo=UTC)

    zones = {str(tz["tzid"]): tz for tz in calendar.walk("VTIMEZONE")}
    assert set(zones) == {"Asia/Makassar", "Europe/Amsterdam"}
    kinds = {component.name for component in zones["Europe/Amsterdam"].subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}
    raw = (await client.get(f"{MEETINGS}.ics", headers=headers)).content
    assert b"DTSTART;TZID=Europe/Amsterdam:20241026T100000" in raw
    assert b"DTSTART;TZID=Europe/Amsterdam:20241102T100000" in raw
    assert b"DTSTART;TZID=Asia/Makassar:20181030T090000" in raw


async def test_feed_takes_the_list_filters(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.officer.headers

    async def ids(**params: str) -> set[str]:
        return set(events(parse(await client.get(f"{MEETINGS}.ics", params=params, headers=headers))))

    assert await ids(kind="census") == {world.own_meeting["id"]}
    assert await ids(agency_id=str(callers.agency_b.id)) == {world.rakor["id"], world.police_meeting["id"]}
    assert await ids(**{"from": "2018-10-30T04:00:00Z"}) == set()
    assert await ids(**{"from": "2018-10-30T00:00:00+08:00", "to": "2018-10-31T00:00:00+08:00"}) == {
        world.rakor["id"],
        world.police_meeting["id"],
        world.own_meeting["id"],
    }
    assert_problem(await client.get(f"{MEETINGS}.ics", params={"kind": "pesta"}, headers=headers), 422)
    empty = parse(await client.get(f"{MEETINGS}.ics", params={"status": "cancelled"}, headers=headers))
    assert list(empty.walk("VEVENT")) == []


async def test_partner_feed_has_only_its_agencys_meetings(client, session, callers):
    world = await make_world(client, session, callers)
    calendar = parse(await client.get(f"{MEETINGS}.ics", headers=callers.partner_a.headers))
    assert set(events(calendar)) == {world.rakor["id"], world.own_meeting["id"]}


async def test_postponed_and_cancelled_meetings_update_subscribers(client, session, callers):
    world = await make_world(client, session, callers)
    headers = callers.officer.headers
    url = f"{MEETINGS}/{world.police_meeting['id']}"
    moved = await patch(
        client, url, headers, {"status": "postponed", "starts_at": "2018-11-06T09:00:00+08:00"}, 1
    )
    assert moved.status_code == 200, moved.text
    event = events(parse(await client.get(f"{url}.ics", headers=headers)))[world.police_meeting["id"]]
    assert str(event["status"]) == "TENTATIVE"
    assert event["sequence"] == 1  # grew, so calendars replace their copy
    assert event.decoded("dtstart") == datetime(2018, 11, 6, 1, 0, tzinfo=UTC)
    await patch(client, url, headers, {"status": "cancelled"}, 2)
    event = events(parse(await client.get(f"{url}.ics", headers=headers)))[world.police_meeting["id"]]
    assert str(event["status"]) == "CANCELLED" and event["sequence"] == 2


async def test_ics_routes_are_not_taken_for_meeting_ids(client, session, callers):
    """`/meetings.ics` is the feed, and `/meetings/{id}.ics` is not a malformed id."""
    world = await make_world(client, session, callers)
    assert (await client.get(f"{MEETINGS}.ics", headers=callers.viewer.headers)).status_code == 200
    assert (
        await client.get(f"{MEETINGS}/{world.rakor['id']}.ics", headers=callers.viewer.headers)
    ).status_code == 200
    unknown = await client.get(
        f"{MEETINGS}/0190a000-0000-7000-8000-000000000000.ics", headers=callers.viewer.headers
    )
    assert assert_problem(unknown, 404)["type"] == "/problems/meeting-not-found"
    assert_problem(await client.get(f"{MEETINGS}/rakor.ics", headers=callers.viewer.headers), 422)

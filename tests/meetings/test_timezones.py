"""Times round-trip as the same instant, shown in the meeting's timezone; windows compare instants."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_agency
from tests.meetings import MEETINGS, assert_problem, create_meeting, instant, locs, patch


@pytest.fixture
async def organizer(session):
    agency = await make_agency(session, "Dinas Sosial Uji", kind="government")
    await session.commit()
    return agency


async def test_wita_round_trip_is_exact(client, callers, organizer):
    meeting = await create_meeting(
        client, callers.officer.headers, organizer.id, starts_at="2018-10-30T09:00:00+08:00"
    )
    assert meeting["starts_at"] == "2018-10-30T09:00:00+08:00"
    fetched = (await client.get(f"{MEETINGS}/{meeting['id']}", headers=callers.viewer.headers)).json()
    assert fetched["starts_at"] == "2018-10-30T09:00:00+08:00"
    assert instant(fetched["starts_at"]) == datetime(2018, 10, 30, 1, 0, tzinfo=UTC)


async def test_utc_input_comes_back_in_the_meetings_zone(client, callers, organizer):
    # The same instant written in UTC: shown with the WITA offset of the meeting's timezone.
    meeting = await create_meeting(
        client, callers.officer.headers, organizer.id, starts_at="2018-10-30T01:00:00Z", ends_at=None
    )
    assert meeting["starts_at"] == "2018-10-30T09:00:00+08:00"


async def test_utc_meeting(client, callers, organizer):
    meeting = await create_meeting(
        client,
        callers.officer.headers,
        organizer.id,
        timezone="UTC",
        starts_at="2018-10-30T09:00:00+08:00",
        ends_at="2018-10-30T05:00:00+02:00",
    )
    start, end = instant(meeting["starts_at"]), instant(meeting["ends_at"])
    assert start == datetime(2018, 10, 30, 1, 0, tzinfo=UTC) and start.utcoffset() == timedelta(0)
    assert end == datetime(2018, 10, 30, 3, 0, tzinfo=UTC) and end.utcoffset() == timedelta(0)
    assert meeting["timezone"] == "UTC"


async def test_microseconds_survive(client, callers, organizer):
    meeting = await create_meeting(
        client,
        callers.officer.headers,
        organizer.id,
        starts_at="2018-10-30T09:00:00.123456+08:00",
        ends_at=None,
    )
    fetched = (await client.get(f"{MEETINGS}/{meeting['id']}", headers=callers.officer.headers)).json()
    assert fetched["starts_at"] == "2018-10-30T09:00:00.123456+08:00"


async def test_amsterdam_across_the_dst_change(client, callers, organizer):
    """CEST (+02:00) ends on 27 Oct 2024: a meeting moved across it keeps its instants exactly."""
    headers = callers.officer.headers
    summer = await create_meeting(
        client,
        headers,
        organizer.id,
        timezone="Europe/Amsterdam",
        starts_at="2024-10-26T10:00:00+02:00",
        ends_at="2024-10-26T11:00:00+02:00",
    )
    assert summer["starts_at"] == "2024-10-26T10:00:00+02:00"
    assert summer["ends_at"] == "2024-10-26T11:00:00+02:00"
    # Postponed by a week, to 10:00 local time again (CET, +01:00): one hour later in UTC terms.
    url = f"{MEETINGS}/{summer['id']}"
    moved = await patch(client, url, headers, {"status": "postponed", "starts_at": "2024-11-02T09:00:00Z"}, 1)
    assert moved.status_code == 200, moved.text
    winter = moved.json()
    assert winter["starts_at"] == "2024-11-02T10:00:00+01:00"
    # The duration is kept in real time: one hour.
    assert winter["ends_at"] == "2024-11-02T11:00:00+01:00"
    assert instant(winter["starts_at"]) - instant(summer["starts_at"]) == timedelta(days=7, hours=1)
    history = (await client.get(f"{url}/history", headers=headers)).json()["items"]
    old = history[-1]["changes"]["starts_at"]
    assert instant(old["old"]) == datetime(2024, 10, 26, 8, 0, tzinfo=UTC)
    assert instant(old["new"]) == datetime(2024, 11, 2, 9, 0, tzinfo=UTC)


async def test_changing_the_timezone_keeps_the_instant(client, callers, organizer):
    meeting = await create_meeting(client, callers.officer.headers, organizer.id)
    url = f"{MEETINGS}/{meeting['id']}"
    response = await patch(client, url, callers.officer.headers, {"timezone": "Asia/Jakarta"}, 1)
    assert response.status_code == 200, response.text
    assert response.json()["starts_at"] == "2018-10-30T08:00:00+07:00"
    assert instant(response.json()["starts_at"]) == instant(meeting["starts_at"])


async def test_window_compares_instants_not_strings(client, callers, organizer):
    headers = callers.officer.headers
    rakor = await create_meeting(client, headers, organizer.id)  # 01:00Z to 04:00Z on 30 Oct
    outreach = await create_meeting(
        client, headers, organizer.id, kind="outreach", starts_at="2018-10-31T09:00:00+08:00", ends_at=None
    )
    amsterdam = await create_meeting(
        client,
        headers,
        organizer.id,
        timezone="Europe/Amsterdam",
        starts_at="2018-10-30T20:00:00+01:00",  # 19:00Z on 30 Oct, 03:00 WITA on 31 Oct
        ends_at=None,
    )

    async def window(**params: str) -> set[str]:
        response = await client.get(MEETINGS, params=params, headers=callers.viewer.headers)
        assert response.status_code == 200, response.text
        return {m["id"] for m in response.json()["items"]}

    # 30 Oct in WITA: the rakor, and the Amsterdam meeting is already on 31 Oct there.
    day = {"from": "2018-10-30T00:00:00+08:00", "to": "2018-10-31T00:00:00+08:00"}
    assert await window(**day) == {rakor["id"]}
    # 30 Oct in UTC: the rakor and the Amsterdam evening meeting.
    assert await window(**{"from": "2018-10-30T00:00:00Z", "to": "2018-10-31T00:00:00Z"}) == {
        rakor["id"],
        amsterdam["id"],
    }
    # Meetings that are still going on at `from` count: the rakor ends at 04:00Z.
    assert await window(**{"from": "2018-10-30T03:59:00Z", "to": "2018-10-30T12:00:00+08:00"}) == {
        rakor["id"]
    }
    assert rakor["id"] not in await window(**{"from": "2018-10-30T12:00:00+08:00"})
    # `to` is exclusive: the outreach starts exactly at 01:00Z on 31 Oct.
    assert outreach["id"] not in await window(**{"to": "2018-10-31T09:00:00+08:00"})
    assert outreach["id"] in await window(**{"to": "2018-10-31T01:00:01Z"})
    assert await window(**{"from": "2018-10-31T09:00:00+08:00"}) == {outreach["id"]}


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"from": "2018-10-30"}, ["query", "from"]),
        ({"from": "2018-10-30T09:00:00"}, ["query", "from"]),
        ({"from": "kemarin"}, ["query", "from"]),
        ({"to": "2018-02-30T00:00:00Z"}, ["query", "to"]),
        ({"from": "2018-10-31T00:00:00Z", "to": "2018-10-30T00:00:00Z"}, ["query", "to"]),
        ({"updated_since": "2018-10-30T09:00"}, ["query", "updated_since"]),
    ],
)
async def test_bad_window_is_422(client, callers, params, loc):
    for url in (MEETINGS, f"{MEETINGS}.ics"):
        response = await client.get(url, params=params, headers=callers.viewer.headers)
        assert locs(assert_problem(response, 422)) == [loc]

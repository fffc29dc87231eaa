"""The meeting visibility statements of app.meetings.queries: the set form agrees with `readable`."""

import uuid

from sqlalchemy import select

from app.meetings.models import Meeting
from app.meetings.queries import agencies_reading, readable
from app.security.policy import Role
from app.security.principal import Actor
from tests.factories import make_agency
from tests.meetings import make_world


def _partner(agency_id: uuid.UUID) -> Actor:
    nobody = uuid.UUID(int=0)
    return Actor(kind="system", id=nobody, role=Role.partner, agency_id=agency_id, token_id=nobody)


async def test_agencies_reading_a_meeting_are_those_whose_partners_may_read_it(client, session, callers):
    world = await make_world(client, session, callers)
    stranger = await make_agency(session, "Yayasan Uji Lain")
    agencies = {world.dinsos.id, callers.agency_a.id, callers.agency_b.id, stranger.id}
    expected = {
        world.rakor["id"]: sorted([world.dinsos.id, callers.agency_a.id, callers.agency_b.id]),
        world.police_meeting["id"]: [callers.agency_b.id],
        world.own_meeting["id"]: [callers.agency_a.id],
    }
    for meeting_id, readers in expected.items():
        one_by_one = [
            agency
            for agency in sorted(agencies)
            if await session.scalar(
                select(Meeting.id).where(Meeting.id == uuid.UUID(meeting_id), readable(_partner(agency)))
            )
        ]
        assert one_by_one == readers
        assert await agencies_reading(session, uuid.UUID(meeting_id), agencies) == readers
    assert await agencies_reading(session, uuid.UUID(world.rakor["id"]), set()) == []
    assert await agencies_reading(session, uuid.uuid4(), agencies) == []

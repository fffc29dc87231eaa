"""determination.changed: staff subscriptions hear of each flipped outcome; partners never do."""

import uuid

import pytest

from app.webhooks import service as webhook_service
from tests.coordination.helpers import set_status
from tests.eligibility.helpers import PROGRAMS, active_program
from tests.persons.helpers import make_person, make_site
from tests.persons.support import refer
from tests.webhooks import deliveries, subscribe

pytestmark = pytest.mark.usefixtures("private_targets")


async def _run(client, callers, program_id: str) -> dict:
    response = await client.post(
        f"{PROGRAMS}/{program_id}/determinations", json={}, headers=callers.officer.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_each_flipped_outcome_is_an_event_for_staff_only(app, client, callers):
    staff = await subscribe(client, callers.admin, "http://127.0.0.1:9/s", ["determination.changed"])
    partner = await subscribe(client, callers.partner_a, "http://127.0.0.1:9/p", ["person.status_changed"])
    program, _ = await active_program(client, callers)
    site = await make_site(client, callers)
    flips = await make_person(client, callers, site["id"], identity_verified=True, identity_document="ktp")
    stays = await make_person(client, callers, site["id"], identity_verified=True, identity_document="ktp")
    await refer(client, callers, flips["id"], callers.agency_a)

    first = await _run(client, callers, program["id"])
    assert first["eligible"] == 2
    assert await deliveries(app, staff["id"]) == []  # a first run changes no earlier outcome

    await set_status(client, callers, flips["id"], "declined")
    second = await _run(client, callers, program["id"])
    assert second["became_ineligible"] == 1

    [event] = await deliveries(app, staff["id"])
    assert event.event_type == "determination.changed"
    assert event.payload == {
        "person_id": flips["id"],
        "program_id": program["id"],
        "run_id": second["id"],
        "as_of": second["as_of"],
        "eligible": False,
    }
    assert stays["id"] not in str(event.payload)
    # The partner's subscription heard of the status change of its referred person, not of the run.
    assert [d.event_type for d in await deliveries(app, partner["id"])] == ["person.status_changed"]


async def test_an_agency_subscription_never_gets_a_determination(app, client, callers):
    """Even one forced past the API's check (an old row, a direct write) is skipped at emission."""
    hook = await subscribe(client, callers.partner_a, "http://127.0.0.1:9/p", ["person.referred"])
    async with app.state.sessionmaker() as session:
        forced = [
            webhook_service.Subscriber(
                uuid.UUID(hook["id"]), callers.agency_a.id, frozenset({"determination.changed"})
            )
        ]
        written = await webhook_service.enqueue(
            session, "determination.changed", forced, [{callers.agency_a.id: {"eligible": True}}]
        )
        assert written == 0
        await session.rollback()

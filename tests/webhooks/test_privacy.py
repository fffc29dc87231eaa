"""A partner's webhook carries only what the partner could read, under its own ids; nothing else."""

import json
import uuid

import pytest
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook

from app.agencies.models import Agency
from app.persons.models import Referral
from app.security import crypto
from tests.coordination.helpers import make_batch, make_case, make_counterpart, set_status, verified_person
from tests.meetings import add_participant, create_meeting
from tests.persons.helpers import make_person, make_site
from tests.persons.support import partner_id, refer, synthetic_nik
from tests.webhooks import deliveries, hook_url, received, run_worker, subscribe

pytestmark = pytest.mark.usefixtures("private_targets")
PERSON_EVENTS = ["person.status_changed", "person.referred"]


async def test_a_partner_hears_only_of_persons_referred_to_it_under_its_own_id(
    app, client, callers, receiver
):
    receiver.expect_request("/staff", method="POST").respond_with_data("ok")
    receiver.expect_request("/partner", method="POST").respond_with_data("ok")
    staff = await subscribe(client, callers.admin, hook_url(receiver, "/staff"), PERSON_EVENTS)
    partner = await subscribe(client, callers.partner_a, hook_url(receiver, "/partner"), PERSON_EVENTS)
    assert partner["agency_id"] == str(callers.agency_a.id)
    site = await make_site(client, callers)
    nik = synthetic_nik(9301)
    unseen = await make_person(client, callers, site["id"], full_name="Warga Uji 301")
    seen = await make_person(client, callers, site["id"], full_name="Warga Uji 302", nik=nik)

    # Not referred to A: staff hear of it, partner A does not.
    await set_status(client, callers, unseen["id"], "verified")
    # Referred to B: not A's to know either.
    await refer(client, callers, unseen["id"], callers.agency_b)
    assert len(await deliveries(app, staff["id"])) == 2
    assert await deliveries(app, partner["id"]) == []

    # Referred to A: A hears of the referral and of the status change, under its own id.
    await refer(client, callers, seen["id"], callers.agency_a)
    await set_status(client, callers, seen["id"], "verified")
    assert len(await deliveries(app, partner["id"])) == 2

    await run_worker(app)
    own_id = await partner_id(client, callers.partner_a, "Warga Uji 302")
    assert own_id == str(crypto.pseudonym(uuid.UUID(seen["id"]), callers.agency_a.id)) != seen["id"]
    to_partner = received(receiver, "/partner")
    messages = [Webhook(partner["secret"]).verify(body, headers) for body, headers in to_partner]
    assert sorted(m["type"] for m in messages) == ["person.referred", "person.status_changed"]
    assert {m["data"]["person_id"] for m in messages} == {own_id}
    for body, _ in to_partner:
        text = body.decode()
        assert seen["id"] not in text and unseen["id"] not in text  # never the real id
        for secret_value in ("Warga Uji", "Uji", nik, nik[:12]):  # no name, alias or NIK
            assert secret_value not in text
    # Staff see real ids, still without personal data.
    staff_bodies = [body.decode() for body, _ in received(receiver, "/staff")]
    assert any(seen["id"] in body for body in staff_bodies)
    assert not any("Warga Uji" in body or nik in body for body in staff_bodies)


async def test_a_partners_person_id_is_the_one_its_api_answers_to(app, client, callers):
    """The referral's stored id, not one computed again (it would change with the secret key)."""
    partner = await subscribe(client, callers.partner_a, "http://127.0.0.1:9/p", ["person.status_changed"])
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], full_name="Warga Uji 303")
    await refer(client, callers, person["id"], callers.agency_a)
    stored = uuid.uuid4()  # as if the referral had been made under an earlier secret key
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Referral).where(Referral.person_id == uuid.UUID(person["id"])).values(pseudonym=stored)
        )
    assert await partner_id(client, callers.partner_a, "Warga Uji 303") == str(stored)

    await set_status(client, callers, person["id"], "verified")
    [row] = await deliveries(app, partner["id"])
    assert row.payload["person_id"] == str(stored)


async def test_a_restricted_person_is_not_pushed_to_partners(app, client, callers):
    partner = await subscribe(client, callers.partner_a, "http://127.0.0.1:9/p", ["person.status_changed"])
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    restrict = await client.post(
        f"/api/v1/persons/{person['id']}/restriction",
        json={"reason": "keberatan subjek data (uji)"},
        headers=callers.officer.headers,
    )
    assert restrict.status_code == 200, restrict.text
    await set_status(client, callers, person["id"], "verified", purpose="legal_obligation")
    assert await deliveries(app, partner["id"]) == []


async def test_meeting_events_reach_only_agencies_that_take_part(app, client, callers, session):
    partner = await subscribe(
        client, callers.partner_a, "http://127.0.0.1:9/p", ["meeting.created", "meeting.updated"]
    )
    staff = await subscribe(client, callers.admin, "http://127.0.0.1:9/s", ["meeting.created"])
    a, b = callers.agency_a.id, callers.agency_b.id
    theirs = await create_meeting(client, callers.officer.headers, b, title="Rapat Uji Beta")
    ours = await create_meeting(client, callers.officer.headers, a, title="Rapat Uji Alfa")
    assert len(await deliveries(app, staff["id"])) == 2
    [created] = await deliveries(app, partner["id"])
    assert created.payload["meeting_id"] == ours["id"] and created.event_type == "meeting.created"

    # Once A is invited to B's meeting, A sees it and hears of its changes.
    await add_participant(client, callers.officer.headers, theirs["id"], a)
    response = await client.patch(
        f"/api/v1/meetings/{theirs['id']}",
        json={"location": "Ruang Uji Lain"},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    rows = await deliveries(app, partner["id"])
    assert [r.event_type for r in rows] == ["meeting.created", "meeting.updated"]
    assert rows[1].payload["meeting_id"] == theirs["id"] and rows[1].payload["changed"] == ["location"]
    assert "Ruang Uji Lain" not in json.dumps(rows[1].payload)  # names of fields, not their values


async def test_repatriation_events_reach_the_counterpart_only(app, client, callers, session):
    counterpart = await make_counterpart(session)
    other = await make_counterpart(session)
    theirs = await subscribe(
        client, counterpart.caller, "http://127.0.0.1:9/c", ["repatriation.status_changed"]
    )
    not_theirs = await subscribe(
        client, other.caller, "http://127.0.0.1:9/o", ["repatriation.status_changed"]
    )
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"], counterpart_id=counterpart.agency_id)
    person = await verified_person(client, callers, site["id"])
    batch = await make_batch(client, callers, case["id"], [person["id"]])
    response = await client.post(
        f"/api/v1/repatriations/{batch['id']}/depart", headers=callers.officer.headers
    )
    assert response.status_code == 200, response.text

    [row] = await deliveries(app, theirs["id"])
    assert row.payload == {
        "repatriation_id": batch["id"],
        "coordination_id": case["id"],
        "from_status": "planned",
        "to_status": "departed",
    }
    assert await deliveries(app, not_theirs["id"]) == []


async def test_a_deactivated_agency_loses_its_api_access_and_its_webhooks(
    app, client, callers, session, receiver
):
    """Deactivating an agency cuts its partners off at once: tokens, new events, queued deliveries."""
    receiver.expect_request("/partner", method="POST").respond_with_data("ok")
    partner = await subscribe(client, callers.partner_a, hook_url(receiver, "/partner"), PERSON_EVENTS)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)  # queued, not yet sent
    assert (await client.get("/api/v1/persons", headers=callers.partner_a.headers)).status_code == 200

    await session.execute(update(Agency).where(Agency.id == callers.agency_a.id).values(active=False))
    await session.commit()

    assert (await client.get("/api/v1/persons", headers=callers.partner_a.headers)).status_code == 401
    await set_status(client, callers, person["id"], "verified")
    assert len(await deliveries(app, partner["id"])) == 1  # only the referral queued before
    await run_worker(app)
    assert received(receiver, "/partner") == []

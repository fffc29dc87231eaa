"""The outbox commits with the change: a change that rolls back leaves no delivery and sends nothing."""

import uuid

import pytest
from sqlalchemy import select

from app.persons import service as person_service
from app.persons.models import Person
from app.security.principal import system_actor
from app.webhooks.models import WebhookDelivery
from tests.coordination.helpers import make_batch, make_case, set_status, verified_person
from tests.persons.helpers import make_person, make_site
from tests.webhooks import deliveries, hook_url, run_worker, subscribe

pytestmark = pytest.mark.usefixtures("private_targets")


async def test_a_request_that_fails_after_the_change_sends_nothing(app, client, callers, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    hook = await subscribe(
        client,
        callers.admin,
        hook_url(receiver),
        ["person.status_changed", "repatriation.status_changed"],
    )
    site = await make_site(client, callers)
    case = await make_case(client, callers, site["id"])
    ids = [(await verified_person(client, callers, site["id"]))["id"] for _ in range(3)]
    batch = await make_batch(client, callers, case["id"], ids)
    # Members move in id order: the last one fails after the batch and the others were changed
    # (and their events queued) in the same transaction.
    await set_status(client, callers, max(ids, key=uuid.UUID), "staying")
    before = await deliveries(app, hook["id"])

    response = await client.post(
        f"/api/v1/repatriations/{batch['id']}/depart", headers=callers.officer.headers
    )
    assert response.status_code == 409, response.text

    after = await deliveries(app, hook["id"])
    assert [d.id for d in after] == [d.id for d in before]
    assert not any(d.event_type == "repatriation.status_changed" for d in after)
    assert not any(d.payload.get("to_status") == "repatriated" for d in after)
    await run_worker(app)
    sent = [request.get_json() for request, _ in receiver.log]
    assert all(m["data"].get("to_status") != "repatriated" for m in sent)
    assert all(m["type"] != "repatriation.status_changed" for m in sent)


async def test_an_event_emitted_in_a_rolled_back_transaction_is_gone(app, client, callers):
    await subscribe(client, callers.admin, "http://127.0.0.1:9/hook", ["person.status_changed"])
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])

    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(Person).where(Person.id == uuid.UUID(person["id"])))
        await person_service.apply_status_change(
            session, system_actor(), row, "verified", reason=None, occurred_on=None
        )
        await session.flush()
        queued = (await session.scalars(select(WebhookDelivery))).all()
        assert len(queued) == 1  # queued inside the transaction...
        await session.rollback()

    assert await deliveries(app) == []  # ...and gone with it
    assert await run_worker(app) == 0

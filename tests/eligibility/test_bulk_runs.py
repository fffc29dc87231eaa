"""Bulk runs: the counts and lists made while recording agree with the stored rows, at their limits."""

import uuid

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app.eligibility import queries, service
from app.eligibility.models import Determination, DeterminationRun
from tests.eligibility.helpers import PROGRAMS, active_program
from tests.persons.helpers import make_person, make_site


async def _run(client, caller, program_id: str) -> dict:
    response = await client.post(f"{PROGRAMS}/{program_id}/determinations", json={}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _patch(client, callers, person_id: str, **changes) -> None:
    current = await client.get(f"/api/v1/persons/{person_id}", headers=callers.officer.headers)
    headers = {**callers.officer.headers, "If-Match": current.headers["etag"]}
    response = await client.patch(f"/api/v1/persons/{person_id}", json=changes, headers=headers)
    assert response.status_code == 200, response.text


async def _stored_counts(session, run_id: str) -> tuple[int, int, int, int]:
    """The run's counts recomputed from the stored rows, independently of the service."""
    run = await session.get(DeterminationRun, uuid.UUID(run_id))
    now, before = aliased(Determination), aliased(Determination)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(now.eligible.is_(True)),
                func.count().filter(and_(now.eligible.is_(True), before.eligible.is_(False))),
                func.count().filter(and_(now.eligible.is_(False), before.eligible.is_(True))),
            )
            .select_from(now)
            .outerjoin(before, and_(before.run_id == run.previous_run_id, before.person_id == now.person_id))
            .where(now.run_id == run.id)
        )
    ).one()
    await session.rollback()
    return tuple(row)


async def test_changed_ids_are_capped_and_the_stored_rows_give_the_same_lists(
    client, callers, session, monkeypatch
):
    monkeypatch.setattr(queries, "MAX_LISTED_IDS", 2)
    site = await make_site(client, callers)
    gaining = sorted(
        [(await make_person(client, callers, site["id"], identity_verified=False))["id"] for _ in range(3)],
        key=uuid.UUID,
    )
    losing = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    program, _ = await active_program(client, callers)
    await _run(client, callers.officer, program["id"])
    for person_id in gaining:
        await _patch(client, callers, person_id, identity_verified=True)
    await _patch(client, callers, losing, domicile_region_code="53.01")

    run = await _run(client, callers.officer, program["id"])

    assert (run["became_eligible"], run["became_ineligible"]) == (3, 1)
    assert run["became_eligible_ids"] == gaining[:2] and run["became_ineligible_ids"] == [losing]
    assert run["ids_truncated"] is True
    # GET one run lists from the stored rows (a different query): the same first ids.
    url = f"{PROGRAMS}/{program['id']}/determination-runs/{run['id']}"
    read = (await client.get(url, headers=callers.officer.headers)).json()
    assert (read["became_eligible_ids"], read["became_ineligible_ids"]) == (gaining[:2], [losing])
    assert read["ids_truncated"] is True
    assert await _stored_counts(session, run["id"]) == (4, 3, 3, 1)


async def test_newcomers_and_leavers_are_counted_in_the_run_but_not_as_changes(client, callers, session):
    site = await make_site(client, callers)
    staying = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    leaving = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    program, _ = await active_program(client, callers)
    first = await _run(client, callers.officer, program["id"])
    newcomer = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    restricted = await client.post(
        f"/api/v1/persons/{leaving}/restriction",
        json={"reason": "permintaan subjek data"},
        headers=callers.officer.headers,
    )
    assert restricted.status_code == 200, restricted.text

    second = await _run(client, callers.officer, program["id"])

    assert (first["total"], first["eligible"]) == (2, 2)
    assert first["became_eligible_ids"] is None  # nothing to compare the first run with
    assert (second["total"], second["eligible"]) == (2, 2)
    assert (second["became_eligible"], second["became_ineligible"]) == (0, 0)
    assert second["became_eligible_ids"] == [] and second["became_ineligible_ids"] == []
    assert second["ids_truncated"] is False
    listed = await client.get(
        f"{PROGRAMS}/{program['id']}/determinations",
        params={"run_id": second["id"]},
        headers=callers.officer.headers,
    )
    assert {d["person_id"] for d in listed.json()["items"]} == {staying, newcomer}
    assert await _stored_counts(session, second["id"]) == (2, 2, 0, 0)


async def test_per_person_reads_find_the_latest_run_that_holds_the_person(client, callers, session):
    site = await make_site(client, callers)
    person = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    others = [(await make_person(client, callers, site["id"]))["id"] for _ in range(2)]
    program, _ = await active_program(client, callers)
    for _ in range(3):
        await _run(client, callers.officer, program["id"])
    await _patch(client, callers, person, identity_verified=False)
    last = await _run(client, callers.officer, program["id"])

    mine = await client.get(
        f"{PROGRAMS}/{program['id']}/determinations",
        params={"person_id": person, "limit": 3},
        headers=callers.officer.headers,
    )
    assert mine.status_code == 200, mine.text
    page = mine.json()
    assert [d["eligible"] for d in page["items"]] == [True, True, True] and page["next_cursor"]
    rest = await client.get(
        f"{PROGRAMS}/{program['id']}/determinations",
        params={"person_id": person, "cursor": page["next_cursor"]},
        headers=callers.officer.headers,
    )
    assert [(d["run_id"], d["eligible"]) for d in rest.json()["items"]] == [(last["id"], False)]
    assert others[0] not in mine.text
    current = await service.has_current_eligible_determination(
        session, uuid.UUID(person), uuid.UUID(program["id"])
    )
    await session.rollback()
    assert current is False

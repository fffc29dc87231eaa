"""Determinations: one run records everyone in scope in SQL, and reports who changed since the last run."""

import uuid

from app.eligibility import service
from tests.eligibility.helpers import PEM_RULE, PROGRAMS, activate, active_program, make_rule_set
from tests.persons.helpers import make_person, make_site
from tests.persons.support import assert_problem, audit_events


async def _run(client, caller, program_id: str, **body):
    return await client.post(f"{PROGRAMS}/{program_id}/determinations", json=body, headers=caller.headers)


async def _determinations(client, caller, program_id: str, **params):
    response = await client.get(
        f"{PROGRAMS}/{program_id}/determinations", params=params, headers=caller.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _patch_person(client, callers, person_id: str, **changes) -> None:
    current = await client.get(f"/api/v1/persons/{person_id}", headers=callers.officer.headers)
    headers = {**callers.officer.headers, "If-Match": current.headers["etag"]}
    response = await client.patch(f"/api/v1/persons/{person_id}", json=changes, headers=headers)
    assert response.status_code == 200, response.text


async def _registry(client, callers):
    """Five persons: three residents (one restricted, one erased), a non-resident, an unverified resident."""
    site = await make_site(client, callers)
    names = ("resident", "restricted", "erased", "outsider", "unverified")
    people = {}
    for name in names:
        overrides = {"identity_verified": name != "unverified"}
        if name == "outsider":
            overrides["domicile_region_code"] = "53.01"
        people[name] = (await make_person(client, callers, site["id"], **overrides))["id"]
    restricted = await client.post(
        f"/api/v1/persons/{people['restricted']}/restriction",
        json={"reason": "permintaan subjek data"},
        headers=callers.officer.headers,
    )
    assert restricted.status_code == 200, restricted.text
    erased = await client.post(
        f"/api/v1/persons/{people['erased']}/erasure",
        json={"reason": "permintaan subjek data"},
        headers=callers.admin.headers,
    )
    assert erased.status_code == 200, erased.text
    return site, people


async def test_a_run_records_everyone_in_scope_but_restricted_and_erased_persons(client, callers):
    site, people = await _registry(client, callers)
    program, rule_set = await active_program(client, callers)

    response = await _run(client, callers.officer, program["id"], as_of="2018-11-01")

    assert response.status_code == 201, response.text
    run = response.json()
    assert response.headers["location"] == f"{PROGRAMS}/{program['id']}/determination-runs/{run['id']}"
    assert run["number"] == 1 and run["previous_run_id"] is None
    assert run["rule_set"] == {"id": rule_set["id"], "version": 1, "hash": rule_set["content_hash"]}
    assert (run["total"], run["eligible"], run["ineligible"]) == (3, 1, 2)
    assert (run["became_eligible"], run["became_ineligible"]) == (0, 0)
    assert run["decided_by"] == str(callers.officer.user.id) and run["as_of"] == "2018-11-01"

    items = await _determinations(client, callers.officer, program["id"], run_id=run["id"])
    by_person = {d["person_id"]: d for d in items}
    assert set(by_person) == {people["resident"], people["outsider"], people["unverified"]}
    resident = by_person[people["resident"]]
    assert resident["eligible"] is True
    assert resident["facts"] == {
        "status": "registered",
        "domicile_region_code": "53.71",
        "identity_verified": True,
    }
    assert resident["rule_set"] == run["rule_set"] and resident["evaluated_at"] == run["evaluated_at"]
    assert resident["decided_by"] == run["decided_by"] and resident["as_of"] == "2018-11-01"
    assert by_person[people["outsider"]]["facts"]["domicile_region_code"] == "53.01"
    assert by_person[people["unverified"]]["facts"]["identity_verified"] is False

    eligible = await _determinations(client, callers.auditor, program["id"], eligible="true")
    assert [d["person_id"] for d in eligible] == [people["resident"]]
    mine = await _determinations(client, callers.officer, program["id"], person_id=people["outsider"])
    assert [d["eligible"] for d in mine] == [False]
    site_run = await _run(client, callers.officer, program["id"], site_id=site["id"])
    assert site_run.json()["total"] == 3 and site_run.json()["site_id"] == site["id"]


async def test_a_new_run_reports_who_changed_after_a_data_change(client, callers):
    site = await make_site(client, callers)
    losing = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    gaining = (await make_person(client, callers, site["id"], identity_verified=False))["id"]
    steady = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    program, _ = await active_program(client, callers)
    first = (await _run(client, callers.officer, program["id"])).json()

    await _patch_person(client, callers, losing, domicile_region_code="53.01")
    await _patch_person(client, callers, gaining, identity_verified=True)
    second = (await _run(client, callers.officer, program["id"])).json()

    assert second["previous_run_id"] == first["id"] and second["number"] == 2
    assert (second["became_eligible"], second["became_ineligible"]) == (1, 1)
    assert second["became_eligible_ids"] == [gaining]
    assert second["became_ineligible_ids"] == [losing]
    assert second["ids_truncated"] is False

    url = f"{PROGRAMS}/{program['id']}/determination-runs/{second['id']}"
    for_officer = (await client.get(url, headers=callers.officer.headers)).json()
    assert for_officer["became_eligible_ids"] == [gaining]
    for_auditor = (await client.get(url, headers=callers.auditor.headers)).json()
    assert (for_auditor["became_eligible"], for_auditor["became_ineligible"]) == (1, 1)
    assert for_auditor["became_eligible_ids"] is None and for_auditor["became_ineligible_ids"] is None

    flipped = await _determinations(
        client, callers.officer, program["id"], run_id=second["id"], change="became_ineligible"
    )
    assert [(d["person_id"], d["eligible"]) for d in flipped] == [(losing, False)]
    runs = (
        await client.get(f"{PROGRAMS}/{program['id']}/determination-runs", headers=callers.auditor.headers)
    ).json()["items"]
    assert sorted(r["number"] for r in runs) == [1, 2]
    assert steady not in second["became_eligible_ids"] + second["became_ineligible_ids"]

    # And back: the third run sees both return.
    await _patch_person(client, callers, losing, domicile_region_code="53.71")
    await _patch_person(client, callers, gaining, identity_verified=False)
    third = (await _run(client, callers.officer, program["id"])).json()
    assert third["became_eligible_ids"] == [losing] and third["became_ineligible_ids"] == [gaining]


async def test_a_rule_change_is_reported_by_the_next_run(client, callers):
    site = await make_site(client, callers)
    woman = (await make_person(client, callers, site["id"], identity_verified=True, sex="female"))["id"]
    man = (await make_person(client, callers, site["id"], identity_verified=True, sex="male"))["id"]
    program, _ = await active_program(client, callers)
    await _run(client, callers.officer, program["id"])
    narrower = {"all": [*PEM_RULE["all"], {"fact": "sex", "op": "eq", "value": "female"}]}
    draft = await make_rule_set(client, callers, program["id"], narrower, effective_from="2018-01-01")
    await activate(client, callers, program["id"], draft["id"])

    run = (await _run(client, callers.officer, program["id"])).json()

    assert run["rule_set"]["version"] == 2
    assert run["became_ineligible_ids"] == [man] and run["became_eligible_ids"] == []
    assert woman not in run["became_ineligible_ids"]


async def test_runs_refuse_drafts_unknown_sites_and_programs_without_rules(client, callers):
    program, _ = await active_program(client, callers)
    draft = await make_rule_set(client, callers, program["id"], PEM_RULE)
    refused = await _run(client, callers.officer, program["id"], rule_set_id=draft["id"])
    assert assert_problem(refused, 409)["type"] == "/problems/draft-rule-set"
    unknown_site = await _run(client, callers.officer, program["id"], site_id=str(uuid.uuid4()))
    assert assert_problem(unknown_site, 422)["errors"][0]["loc"] == ["body", "site_id"]
    assert_problem(await _run(client, callers.officer, program["id"], as_of="2017-01-01"), 409)
    assert_problem(await _run(client, callers.officer, str(uuid.uuid4())), 404)
    assert_problem(await _run(client, callers.officer, program["id"], note="x"), 422)
    listed = await client.get(
        f"{PROGRAMS}/{program['id']}/determination-runs", headers=callers.officer.headers
    )
    assert listed.json()["items"] == []


async def test_partners_and_viewers_neither_run_nor_list_determinations(client, callers):
    program, _ = await active_program(client, callers)
    for caller in (callers.partner_a, callers.viewer, callers.auditor):
        assert_problem(await _run(client, caller, program["id"]), 403)
    for caller in (callers.partner_a, callers.viewer):
        listed = await client.get(f"{PROGRAMS}/{program['id']}/determinations", headers=caller.headers)
        assert_problem(listed, 403)
        runs = await client.get(f"{PROGRAMS}/{program['id']}/determination-runs", headers=caller.headers)
        assert_problem(runs, 403)


async def test_a_replayed_run_is_not_run_twice(client, callers):
    site = await make_site(client, callers)
    await make_person(client, callers, site["id"], identity_verified=True)
    program, _ = await active_program(client, callers)
    headers = {**callers.officer.headers, "Idempotency-Key": "run-pem-2018-11-01"}
    url = f"{PROGRAMS}/{program['id']}/determinations"
    first = await client.post(url, json={"as_of": "2018-11-01"}, headers=headers)
    replay = await client.post(url, json={"as_of": "2018-11-01"}, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == first.json()
    runs = await client.get(f"{PROGRAMS}/{program['id']}/determination-runs", headers=callers.officer.headers)
    assert len(runs.json()["items"]) == 1


async def test_listing_determinations_is_audited_and_paginated(client, callers, session):
    site = await make_site(client, callers)
    ids = {(await make_person(client, callers, site["id"]))["id"] for _ in range(3)}
    program, _ = await active_program(client, callers)
    await _run(client, callers.officer, program["id"])
    await _run(client, callers.officer, program["id"])
    url = f"{PROGRAMS}/{program['id']}/determinations"

    seen, cursor = [], None
    while True:
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(url, params=params, headers=callers.officer.headers)).json()
        seen += [(d["run_id"], d["person_id"]) for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6 and len(set(seen)) == 6 and {p for _, p in seen} == ids
    assert_problem(await client.get(url, params={"cursor": "bogus"}, headers=callers.officer.headers), 422)
    assert_problem(
        await client.get(url, params={"change": "became_eligible"}, headers=callers.officer.headers), 422
    )

    events = await audit_events(session, "eligibility.determinations_list")
    assert {str(p) for e in events for p in e.person_ids} == ids


async def test_the_current_determination_is_what_the_coordination_service_reads(client, callers, session):
    site = await make_site(client, callers)
    resident = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    outsider = (await make_person(client, callers, site["id"], domicile_region_code="53.05"))["id"]
    program, _ = await active_program(client, callers)

    async def current(person_id: str) -> bool:
        result = await service.has_current_eligible_determination(
            session, uuid.UUID(person_id), uuid.UUID(program["id"])
        )
        await session.rollback()
        return result

    assert await current(resident) is False  # nothing decided yet
    await _run(client, callers.officer, program["id"])
    assert await current(resident) is True and await current(outsider) is False

    # The latest run decides: the resident moves away.
    await _patch_person(client, callers, resident, domicile_region_code="53.05")
    await _run(client, callers.officer, program["id"])
    assert await current(resident) is False

    # A new active set has no determination yet, so nobody is currently eligible under it.
    await _patch_person(client, callers, resident, domicile_region_code="53.71")
    await _run(client, callers.officer, program["id"])
    assert await current(resident) is True
    newer = await make_rule_set(client, callers, program["id"], PEM_RULE, effective_from="2018-01-01")
    await activate(client, callers, program["id"], newer["id"])
    assert await current(resident) is False


async def test_erasure_empties_the_facts_of_earlier_determinations_and_keeps_the_outcome(client, callers):
    site = await make_site(client, callers)
    person = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    other = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    program, _ = await active_program(client, callers)
    run = (await _run(client, callers.officer, program["id"])).json()

    erased = await client.post(
        f"/api/v1/persons/{person}/erasure",
        json={"reason": "permintaan subjek data"},
        headers=callers.admin.headers,
    )
    assert erased.status_code == 200, erased.text

    items = {
        d["person_id"]: d
        for d in await _determinations(client, callers.officer, program["id"], run_id=run["id"])
    }
    assert items[person]["facts"] == {} and items[person]["eligible"] is True
    assert items[other]["facts"] != {}


async def test_an_inactive_program_records_no_determinations(client, callers):
    program, _ = await active_program(client, callers)
    current = await client.get(f"{PROGRAMS}/{program['id']}", headers=callers.officer.headers)
    headers = {**callers.officer.headers, "If-Match": current.headers["etag"]}
    closed = await client.patch(f"{PROGRAMS}/{program['id']}", json={"active": False}, headers=headers)
    assert closed.status_code == 200, closed.text

    refused = await _run(client, callers.officer, program["id"])

    assert assert_problem(refused, 409)["type"] == "/problems/program-inactive"
    runs = await client.get(f"{PROGRAMS}/{program['id']}/determination-runs", headers=callers.officer.headers)
    assert runs.json()["items"] == []

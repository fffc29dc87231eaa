"""One person, explained: every condition with expected and actual values, masked for partners."""

import uuid

from tests.eligibility.helpers import (
    PEM_RULE,
    PROGRAMS,
    activate,
    active_program,
    evaluate,
    make_program,
    make_rule_set,
)
from tests.persons.helpers import make_person, make_site
from tests.persons.support import assert_problem, audit_events, partner_id, refer, synthetic_nik


def condition(fact, op, expected, actual, result, masked=False):
    return {
        "fact": fact,
        "op": op,
        "expected": expected,
        "actual": actual,
        "result": result,
        "masked": masked,
    }


async def test_an_eligible_resident_is_explained_condition_by_condition(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], identity_verified=True)
    program, rule_set = await active_program(client, callers)

    response = await evaluate(client, callers.officer, program["id"], person["id"], as_of="2018-11-01")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["eligible"] is True
    assert body["dry_run"] is False
    assert body["person_id"] == person["id"]
    assert body["as_of"] == "2018-11-01"
    assert body["program"] == {"id": program["id"], "code": program["code"], "name": program["name"]}
    assert body["rule_set"] == {"id": rule_set["id"], "version": 1, "hash": rule_set["content_hash"]}
    assert body["explanation"] == {
        "all": [
            condition("domicile_region_code", "eq", "53.71", "53.71", True),
            condition("identity_verified", "eq", True, True, True),
            condition("status", "not_in", ["not_located", "declined"], "registered", True),
        ],
        "result": True,
    }


async def test_a_non_resident_is_told_which_condition_failed(client, callers):
    site = await make_site(client, callers)
    # A Kupang-issued NIK does not make a resident: the KTP/KK address (domicile) decides.
    person = await make_person(
        client,
        callers,
        site["id"],
        domicile_region_code="53.01",
        identity_verified=True,
        nik=synthetic_nik(9101),
    )
    program, _ = await active_program(client, callers)

    body = (await evaluate(client, callers.officer, program["id"], person["id"])).json()

    assert body["eligible"] is False
    first, verified, status = body["explanation"]["all"]
    assert first == condition("domicile_region_code", "eq", "53.71", "53.01", False)
    assert verified["result"] is True and status["result"] is True
    assert body["explanation"]["result"] is False


async def test_a_missing_fact_fails_every_comparison_and_not_inverts_that(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], domicile_region_code=None, birth_date=None)
    rule = {
        "all": [
            {"not": {"fact": "domicile_region_code", "op": "eq", "value": "53.71"}},
            {"not": {"fact": "domicile_region_code", "op": "ne", "value": "53.71"}},
            {"fact": "age_years", "op": "is_null"},
        ]
    }
    program, _ = await active_program(client, callers, rule)

    body = (await evaluate(client, callers.officer, program["id"], person["id"])).json()

    eq, ne, missing = body["explanation"]["all"]
    assert eq["not"] == condition("domicile_region_code", "eq", "53.71", None, False)
    assert ne["not"] == condition("domicile_region_code", "ne", "53.71", None, False)
    assert eq["result"] is True and ne["result"] is True
    assert missing == condition("age_years", "is_null", None, None, True)
    assert body["eligible"] is True


async def test_a_draft_is_evaluated_as_a_dry_run_and_the_default_is_the_set_in_force(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], identity_verified=True)
    program, active = await active_program(client, callers)
    stricter = {"all": [*PEM_RULE["all"], {"fact": "sex", "op": "eq", "value": "male"}]}
    draft = await make_rule_set(client, callers, program["id"], stricter)

    default = (await evaluate(client, callers.officer, program["id"], person["id"])).json()
    dry = (
        await evaluate(client, callers.officer, program["id"], person["id"], rule_set_id=draft["id"])
    ).json()

    assert default["rule_set"]["id"] == active["id"] and default["eligible"] is True
    assert dry["rule_set"] == {"id": draft["id"], "version": 2, "hash": draft["content_hash"]}
    assert dry["dry_run"] is True and dry["eligible"] is False
    assert dry["explanation"]["all"][3] == condition("sex", "eq", "male", "female", False)


async def test_age_is_whole_years_on_the_evaluation_date(client, callers):
    site = await make_site(client, callers)
    leapling = await make_person(client, callers, site["id"], birth_date="2000-02-29")
    program, _ = await active_program(client, callers, {"fact": "age_years", "op": "gte", "value": 18})

    async def age_on(day: str) -> tuple[int, bool]:
        body = (await evaluate(client, callers.officer, program["id"], leapling["id"], as_of=day)).json()
        return body["explanation"]["actual"], body["eligible"]

    assert await age_on("2018-02-28") == (17, False)
    assert await age_on("2018-03-01") == (18, True)
    assert await age_on("2020-02-28") == (19, True)
    assert await age_on("2020-02-29") == (20, True)


async def test_the_set_in_force_follows_the_effective_dates(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    program, first = await active_program(client, callers, {"fact": "sex", "op": "eq", "value": "female"})
    second = await make_rule_set(
        client,
        callers,
        program["id"],
        {"fact": "sex", "op": "eq", "value": "male"},
        effective_from="2019-01-01",
    )
    await activate(client, callers, program["id"], second["id"])

    before = (await evaluate(client, callers.officer, program["id"], person["id"], as_of="2018-06-01")).json()
    after = (await evaluate(client, callers.officer, program["id"], person["id"], as_of="2019-06-01")).json()

    assert (before["rule_set"]["id"], before["eligible"]) == (first["id"], True)
    assert (after["rule_set"]["id"], after["eligible"]) == (second["id"], False)
    too_early = await evaluate(client, callers.officer, program["id"], person["id"], as_of="2017-12-31")
    assert assert_problem(too_early, 409)["type"] == "/problems/no-rule-set-in-force"


async def test_a_program_without_an_active_set_has_nothing_in_force(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    program = await make_program(client, callers)
    await make_rule_set(client, callers, program["id"], PEM_RULE)
    response = await evaluate(client, callers.officer, program["id"], person["id"])
    assert assert_problem(response, 409)["type"] == "/problems/no-rule-set-in-force"


async def test_partners_evaluate_only_their_referred_persons_with_nik_facts_masked(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], nik=synthetic_nik(9102), identity_verified=True)
    rule = {"all": [*PEM_RULE["all"], {"fact": "nik_region_code", "op": "starts_with", "value": "53"}]}
    program, _ = await active_program(client, callers, rule)
    await refer(client, callers, person["id"], callers.agency_a)
    pseudonym = await partner_id(client, callers.partner_a, person["full_name"])

    response = await evaluate(client, callers.partner_a, program["id"], pseudonym)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["person_id"] == pseudonym and body["eligible"] is True
    assert body["explanation"]["all"][3] == condition(
        "nik_region_code", "starts_with", "53", None, True, True
    )
    assert body["explanation"]["all"][0]["actual"] == "53.71"  # what partners see of the person anyway
    assert synthetic_nik(9102) not in response.text and "nik" not in body
    # Another agency's partner, or the real id, reach nothing.
    assert_problem(await evaluate(client, callers.partner_b, program["id"], pseudonym), 404)
    assert_problem(await evaluate(client, callers.partner_a, program["id"], person["id"]), 404)
    # Auditors do not see the NIK's region either: with the birth date it rebuilds the NIK (issue 13,
    # finding 4); staff do. Viewers evaluate no one.
    audited = (await evaluate(client, callers.auditor, program["id"], person["id"])).json()
    assert audited["explanation"]["all"][3]["actual"] is None and audited["explanation"]["all"][3]["masked"]
    staff = (await evaluate(client, callers.officer, program["id"], person["id"])).json()
    assert staff["explanation"]["all"][3]["actual"] == "53.71"
    assert_problem(await evaluate(client, callers.viewer, program["id"], person["id"]), 403)


async def test_each_evaluation_is_audited_with_the_person(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    program, _ = await active_program(client, callers)
    assert (await evaluate(client, callers.auditor, program["id"], person["id"])).status_code == 200

    events = await audit_events(session, "eligibility.evaluate")
    assert len(events) == 1
    assert events[0].person_ids == [uuid.UUID(person["id"])]
    assert events[0].actor_id == callers.auditor.user.id
    assert events[0].resource_id == program["id"]


async def test_restricted_records_need_a_stated_purpose(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    program, _ = await active_program(client, callers)
    restricted = await client.post(
        f"/api/v1/persons/{person['id']}/restriction",
        json={"reason": "permintaan subjek data"},
        headers=callers.officer.headers,
    )
    assert restricted.status_code == 200, restricted.text

    refused = await evaluate(client, callers.officer, program["id"], person["id"])
    assert assert_problem(refused, 403)["type"] == "/problems/restricted-record"
    allowed = await evaluate(client, callers.officer, program["id"], person["id"], purpose="legal_obligation")
    assert allowed.status_code == 200, allowed.text


async def test_erased_records_are_not_evaluated(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    program, _ = await active_program(client, callers)
    erased = await client.post(
        f"/api/v1/persons/{person['id']}/erasure",
        json={"reason": "permintaan subjek data"},
        headers=callers.admin.headers,
    )
    assert erased.status_code == 200, erased.text
    response = await evaluate(client, callers.officer, program["id"], person["id"])
    assert assert_problem(response, 409)["type"] == "/problems/person-erased"


async def test_unknown_program_person_or_rule_set_is_404(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    program, _ = await active_program(client, callers)
    other, _ = await active_program(client, callers)
    other_sets = await client.get(f"{PROGRAMS}/{other['id']}/rule-sets", headers=callers.officer.headers)
    foreign_set = other_sets.json()["items"][0]["id"]

    assert_problem(await evaluate(client, callers.officer, str(uuid.uuid4()), person["id"]), 404)
    assert_problem(await evaluate(client, callers.officer, program["id"], str(uuid.uuid4())), 404)
    response = await evaluate(client, callers.officer, program["id"], person["id"], rule_set_id=foreign_set)
    assert_problem(response, 404)


async def _census(client, callers, site_id, name, held_on, presence):
    created = await client.post(
        f"/api/v1/sites/{site_id}/censuses",
        json={"name": name, "held_on": held_on},
        headers=callers.officer.headers,
    )
    assert created.status_code == 201, created.text
    observations = [{"person_id": p, "presence": v} for p, v in presence.items()]
    recorded = await client.post(
        f"/api/v1/sites/{site_id}/censuses/{created.json()['id']}/observations",
        json={"observations": observations},
        headers=callers.officer.headers,
    )
    assert recorded.status_code == 200, recorded.text


async def test_presence_is_read_from_the_latest_round_held_by_the_evaluation_date(client, callers):
    site = await make_site(client, callers)
    stays, leaves, unseen = [(await make_person(client, callers, site["id"]))["id"] for _ in range(3)]
    program, _ = await active_program(
        client, callers, {"fact": "present_in_latest_census", "op": "eq", "value": True}
    )

    async def present(person_id: str, as_of: str) -> bool:
        body = (await evaluate(client, callers.officer, program["id"], person_id, as_of=as_of)).json()
        return body["eligible"]

    assert await present(stays, "2018-11-01") is False  # no round yet
    await _census(client, callers, site["id"], "pertama", "2018-10-30", {stays: "present", leaves: "present"})
    await _census(client, callers, site["id"], "kedua", "2018-11-20", {stays: "present", leaves: "absent"})
    assert [await present(p, "2018-11-01") for p in (stays, leaves, unseen)] == [True, True, False]
    assert [await present(p, "2018-11-25") for p in (stays, leaves, unseen)] == [True, False, False]

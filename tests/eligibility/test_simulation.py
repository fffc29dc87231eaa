"""What-if simulation: counts against the set in force, ids for staff only, nothing recorded."""

from sqlalchemy import func, select

from app.eligibility.models import Determination, DeterminationRun
from tests.eligibility.helpers import PEM_RULE, PROGRAMS, active_program, make_program, make_rule_set
from tests.persons.helpers import make_person, make_site
from tests.persons.support import assert_problem

WOMEN_ONLY = {"all": [*PEM_RULE["all"], {"fact": "sex", "op": "eq", "value": "female"}]}
ANY_VERIFIED = {"fact": "identity_verified", "op": "eq", "value": True}


async def _simulate(client, caller, program_id: str, rule_set_id: str, **body):
    return await client.post(
        f"{PROGRAMS}/{program_id}/rule-sets/{rule_set_id}/simulate", json=body, headers=caller.headers
    )


async def _count(session, model) -> int:
    count = await session.scalar(select(func.count()).select_from(model))
    await session.rollback()
    return count


async def test_a_draft_is_compared_with_the_set_in_force_and_nothing_is_recorded(client, callers, session):
    site = await make_site(client, callers)
    woman = (await make_person(client, callers, site["id"], identity_verified=True))["id"]
    man = (await make_person(client, callers, site["id"], identity_verified=True, sex="male"))["id"]
    visitor = (
        await make_person(client, callers, site["id"], identity_verified=True, domicile_region_code="52.71")
    )["id"]
    await make_person(client, callers, site["id"], identity_verified=False)
    program, active = await active_program(client, callers)
    narrower = await make_rule_set(client, callers, program["id"], WOMEN_ONLY)
    broader = await make_rule_set(client, callers, program["id"], ANY_VERIFIED)

    narrow = await _simulate(client, callers.officer, program["id"], narrower["id"])
    broad = await _simulate(client, callers.officer, program["id"], broader["id"])

    assert narrow.status_code == 200, narrow.text
    body = narrow.json()
    assert body["rule_set"]["id"] == narrower["id"] and body["compared_with"]["id"] == active["id"]
    assert (body["total"], body["eligible"], body["ineligible"]) == (4, 1, 3)
    assert (body["newly_eligible"], body["newly_ineligible"]) == (0, 1)
    assert body["newly_eligible_ids"] == [] and body["newly_ineligible_ids"] == [man]
    assert body["suppression_threshold"] is None
    wide = broad.json()
    assert (wide["eligible"], wide["newly_eligible"], wide["newly_ineligible"]) == (3, 1, 0)
    assert wide["newly_eligible_ids"] == [visitor]
    assert woman not in wide["newly_eligible_ids"]

    assert await _count(session, Determination) == 0 and await _count(session, DeterminationRun) == 0
    draft = await client.get(
        f"{PROGRAMS}/{program['id']}/rule-sets/{narrower['id']}", headers=callers.officer.headers
    )
    assert draft.json()["status"] == "draft" and draft.json()["revision"] == 1


async def test_partners_and_viewers_get_suppressed_counts_and_no_ids(client, callers):
    site = await make_site(client, callers)
    man = None
    for i in range(7):
        person = await make_person(
            client, callers, site["id"], identity_verified=True, sex="male" if i == 0 else "female"
        )
        man = man or person["id"]
    program, _ = await active_program(client, callers)
    draft = await make_rule_set(client, callers, program["id"], WOMEN_ONLY)

    for caller in (callers.partner_a, callers.viewer):
        response = await _simulate(client, caller, program["id"], draft["id"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 7 and body["suppression_threshold"] == 5
        # One ineligible man: hidden, and the eligible count too (total - eligible would reveal it).
        assert body["eligible"] is None and body["ineligible"] is None
        assert body["newly_ineligible"] is None and body["newly_eligible"] == 0
        assert body["newly_eligible_ids"] is None and body["newly_ineligible_ids"] is None
        assert man not in response.text

    auditor = (await _simulate(client, callers.auditor, program["id"], draft["id"])).json()
    assert (auditor["eligible"], auditor["ineligible"], auditor["newly_ineligible"]) == (6, 1, 1)
    assert auditor["newly_ineligible_ids"] is None and auditor["suppression_threshold"] is None
    officer = (await _simulate(client, callers.officer, program["id"], draft["id"])).json()
    assert officer["newly_ineligible_ids"] == [man]


async def test_tiny_populations_are_hidden_entirely_from_partners(client, callers):
    site = await make_site(client, callers)
    await make_person(client, callers, site["id"], identity_verified=True)
    program, active = await active_program(client, callers)
    body = (await _simulate(client, callers.viewer, program["id"], active["id"])).json()
    # The one person is hidden; zeros may show (nobody is ineligible), which the range audit allows.
    assert body["total"] is None and body["eligible"] is None
    assert body["ineligible"] == body["newly_eligible"] == body["newly_ineligible"] == 0


async def test_restricted_and_erased_persons_and_other_sites_are_not_counted(client, callers):
    site = await make_site(client, callers)
    other = await make_site(client, callers, code="KX")
    kept = await make_person(client, callers, site["id"], identity_verified=True)
    restricted = await make_person(client, callers, site["id"], identity_verified=True)
    await make_person(client, callers, other["id"], identity_verified=True)
    response = await client.post(
        f"/api/v1/persons/{restricted['id']}/restriction",
        json={"reason": "permintaan"},
        headers=callers.officer.headers,
    )
    assert response.status_code == 200
    program, active = await active_program(client, callers)

    everywhere = (await _simulate(client, callers.officer, program["id"], active["id"])).json()
    one_site = (
        await _simulate(client, callers.officer, program["id"], active["id"], site_id=site["id"])
    ).json()

    assert (everywhere["total"], everywhere["eligible"]) == (2, 2)
    assert (one_site["total"], one_site["eligible"], one_site["site_id"]) == (1, 1, site["id"])
    assert one_site["newly_eligible_ids"] == [] and kept["id"] not in str(one_site["newly_ineligible_ids"])


async def test_without_a_set_in_force_there_is_nothing_to_compare(client, callers):
    site = await make_site(client, callers)
    await make_person(client, callers, site["id"], identity_verified=True)
    program = await make_program(client, callers)
    draft = await make_rule_set(client, callers, program["id"], PEM_RULE)
    body = (await _simulate(client, callers.officer, program["id"], draft["id"], as_of="2018-11-01")).json()
    assert body["compared_with"] is None and body["as_of"] == "2018-11-01"
    assert (body["eligible"], body["newly_eligible"], body["newly_ineligible"]) == (1, None, None)
    assert body["newly_eligible_ids"] is None
    assert_problem(await _simulate(client, callers.officer, program["id"], draft["id"], extra=1), 422)

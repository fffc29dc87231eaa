"""Programs and versioned rule sets: drafts change, activation retires, active and retired never change."""

from datetime import UTC, datetime, timedelta

from app.eligibility.evaluator import facts_used
from tests.access.test_cli import cli
from tests.eligibility.helpers import PEM_RULE, PROGRAMS, activate, evaluate, make_program, make_rule_set
from tests.persons.helpers import make_person, make_site
from tests.persons.support import assert_problem

SEX_RULE = {"fact": "sex", "op": "eq", "value": "female"}


async def test_a_program_is_created_read_and_changed_with_if_match(client, callers):
    program = await make_program(client, callers, code="PEMUJI")
    url = f"{PROGRAMS}/{program['id']}"
    assert (
        program["code"] == "PEMUJI" and program["benefit_amount"] == 5_000_000 and program["active"] is True
    )

    read = await client.get(url, headers=callers.viewer.headers)
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    duplicate = await client.post(
        PROGRAMS,
        json={"code": "PEMUJI", "name": "Lagi", "benefit_kind": "loan"},
        headers=callers.officer.headers,
    )
    assert_problem(duplicate, 409)

    assert_problem(await client.patch(url, json={"active": False}, headers=callers.officer.headers), 428)
    stale = {**callers.officer.headers, "If-Match": '"7"'}
    assert_problem(await client.patch(url, json={"active": False}, headers=stale), 412)
    fresh = {**callers.officer.headers, "If-Match": '"1"'}
    assert_problem(await client.patch(url, json={"code": "OTHER"}, headers=fresh), 422)
    assert_problem(await client.patch(url, json={"name": None}, headers=fresh), 422)
    changed = await client.patch(url, json={"active": False, "benefit_amount": 2_500_000}, headers=fresh)
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False and changed.json()["benefit_amount"] == 2_500_000
    assert changed.headers["etag"] == '"2"'

    listed = await client.get(PROGRAMS, params={"active": "false"}, headers=callers.partner_a.headers)
    assert [p["id"] for p in listed.json()["items"]] == [program["id"]]


async def test_only_staff_write_programs_and_rules(client, callers):
    program = await make_program(client, callers)
    body = {"code": "XPARTNER", "name": "Dana Mitra", "benefit_kind": "grant"}
    for caller in (callers.partner_a, callers.auditor, callers.viewer):
        assert_problem(await client.post(PROGRAMS, json=body, headers=caller.headers), 403)
        response = await client.post(
            f"{PROGRAMS}/{program['id']}/rule-sets", json={"rule": SEX_RULE}, headers=caller.headers
        )
        assert_problem(response, 403)


async def test_versions_are_numbered_per_program_and_activation_retires_the_previous(client, callers):
    program = await make_program(client, callers)
    other = await make_program(client, callers)
    first = await make_rule_set(
        client, callers, program["id"], PEM_RULE, reference="SK Wali Kota (uji) 1/2018"
    )
    second = await make_rule_set(client, callers, program["id"], SEX_RULE)
    elsewhere = await make_rule_set(client, callers, other["id"], SEX_RULE)
    assert (first["version"], second["version"], elsewhere["version"]) == (1, 2, 1)
    assert first["created_by"] == str(callers.officer.user.id)

    active = await activate(client, callers, program["id"], first["id"])
    assert active["status"] == "active" and active["activated_by"] == str(callers.officer.user.id)
    replaced = await activate(client, callers, program["id"], second["id"])
    assert replaced["status"] == "active"

    url = f"{PROGRAMS}/{program['id']}/rule-sets"
    retired = (await client.get(f"{url}/{first['id']}", headers=callers.officer.headers)).json()
    assert retired["status"] == "retired" and retired["retired_at"] is not None
    assert retired["rule"] == first["rule"] and retired["content_hash"] == first["content_hash"]
    actives = await client.get(url, params={"status": "active"}, headers=callers.officer.headers)
    assert [r["id"] for r in actives.json()["items"]] == [second["id"]]


async def test_activation_without_a_decree_date_is_in_force_from_today(client, callers):
    program = await make_program(client, callers)
    draft = await make_rule_set(client, callers, program["id"], SEX_RULE)
    active = await activate(client, callers, program["id"], draft["id"])
    wita_today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()
    assert active["effective_from"] == wita_today


async def test_active_and_retired_sets_never_change(client, callers):
    program = await make_program(client, callers)
    first = await make_rule_set(client, callers, program["id"], PEM_RULE)
    await activate(client, callers, program["id"], first["id"])
    second = await make_rule_set(client, callers, program["id"], SEX_RULE)
    await activate(client, callers, program["id"], second["id"])
    url = f"{PROGRAMS}/{program['id']}/rule-sets"

    for rule_set in (first, second):
        current = await client.get(f"{url}/{rule_set['id']}", headers=callers.officer.headers)
        headers = {**callers.officer.headers, "If-Match": current.headers["etag"]}
        for change in ({"note": "ubah"}, {"rule": SEX_RULE}, {"effective_to": "2030-01-01"}):
            response = await client.patch(f"{url}/{rule_set['id']}", json=change, headers=headers)
            assert assert_problem(response, 409)["type"] == "/problems/rule-set-immutable"
        again = await client.post(f"{url}/{rule_set['id']}/activate", headers=callers.officer.headers)
        assert_problem(again, 409)
        unchanged = await client.get(f"{url}/{rule_set['id']}", headers=callers.officer.headers)
        assert unchanged.json() == current.json()


async def test_a_draft_is_edited_with_if_match_and_its_hash_follows_the_rule(client, callers):
    program = await make_program(client, callers)
    draft = await make_rule_set(client, callers, program["id"], PEM_RULE)
    url = f"{PROGRAMS}/{program['id']}/rule-sets/{draft['id']}"
    assert_problem(await client.patch(url, json={"note": "x"}, headers=callers.officer.headers), 428)
    stale = {**callers.officer.headers, "If-Match": '"9"'}
    assert_problem(await client.patch(url, json={"note": "x"}, headers=stale), 412)
    headers = {**callers.officer.headers, "If-Match": '"1"'}
    assert_problem(await client.patch(url, json={"rule": None}, headers=headers), 422)
    bad = await client.patch(
        url, json={"rule": {"all": [{"fact": "sex", "op": "gt", "value": 1}]}}, headers=headers
    )
    assert assert_problem(bad, 422)["errors"][0]["loc"] == ["body", "rule", "all", 0, "op"]
    backwards = {"effective_from": "2019-01-01", "effective_to": "2018-01-01"}
    assert_problem(await client.patch(url, json=backwards, headers=headers), 422)

    edited = await client.patch(url, json={"rule": SEX_RULE, "note": "draf kedua"}, headers=headers)

    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["note"] == "draf kedua" and body["revision"] == 2 and edited.headers["etag"] == '"2"'
    assert body["content_hash"] != draft["content_hash"]
    assert body["version"] == 1 and body["status"] == "draft"
    assert facts_used(body["rule"]) == ["sex"]


async def test_the_pem_program_is_seeded_as_data_and_reseeding_changes_nothing(app, client, callers):
    first = await cli(app, "eligibility", "seed-pem")
    assert first.returncode == 0, first.stderr
    assert "rule set v1 activated" in first.stdout
    again = await cli(app, "eligibility", "seed-pem")
    assert again.returncode == 0 and "already in place" in again.stdout, again.stdout

    [program] = (await client.get(PROGRAMS, headers=callers.viewer.headers)).json()["items"]
    assert program["code"] == "PEM" and program["benefit_kind"] == "grant"
    sets = await client.get(f"{PROGRAMS}/{program['id']}/rule-sets", headers=callers.viewer.headers)
    [rule_set] = sets.json()["items"]
    assert rule_set["status"] == "active"
    assert rule_set["rule"]["all"][0] == {"fact": "domicile_region_code", "op": "eq", "value": "53.71"}
    assert [c["fact"] for c in rule_set["rule"]["all"]] == [
        "domicile_region_code",
        "identity_verified",
        "status",
    ]
    assert sorted(rule_set["rule"]["all"][2]["value"]) == ["declined", "not_located"]

    # The seeded rule decides like any other: residents by KTP/KK address, identity checked.
    site = await make_site(client, callers)
    resident = await make_person(client, callers, site["id"], identity_verified=True)
    visitor = await make_person(
        client, callers, site["id"], identity_verified=True, domicile_region_code="53.05"
    )
    for person, eligible in ((resident, True), (visitor, False)):
        body = (
            await evaluate(client, callers.officer, program["id"], person["id"], as_of="2018-11-01")
        ).json()
        assert body["eligible"] is eligible and body["rule_set"]["id"] == rule_set["id"]


async def test_the_last_activated_set_is_in_force_whatever_its_number(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    program = await make_program(client, callers)
    older = await make_rule_set(client, callers, program["id"], SEX_RULE, effective_from="2018-01-01")
    newer = await make_rule_set(
        client,
        callers,
        program["id"],
        {"fact": "sex", "op": "eq", "value": "male"},
        effective_from="2018-01-01",
    )
    await activate(client, callers, program["id"], newer["id"])
    await activate(client, callers, program["id"], older["id"])  # a return to the earlier wording

    body = (await evaluate(client, callers.officer, program["id"], person["id"])).json()
    assert body["rule_set"]["version"] == 1 and body["eligible"] is True

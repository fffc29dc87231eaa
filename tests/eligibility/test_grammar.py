"""The rule grammar: typed JSON trees, their 422s located by JSON path, and the OpenAPI schema."""

import hashlib
import json
import re
from typing import Any

from tests.eligibility.helpers import PEM_RULE, PROGRAMS, make_program, make_rule_set
from tests.persons.support import assert_problem


def leaf(fact: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"fact": fact, "op": op} | ({} if value is None else {"value": value})


async def _post(client, callers, rule: Any) -> Any:
    program = await make_program(client, callers)
    return await client.post(
        f"{PROGRAMS}/{program['id']}/rule-sets", json={"rule": rule}, headers=callers.officer.headers
    )


def _errors(response) -> list[tuple[list[Any], str]]:
    body = assert_problem(response, 422)
    return [(e["loc"], e["msg"]) for e in body["errors"]]


BAD_RULES = [
    (
        {"all": [PEM_RULE["all"][0], leaf("income", "gt", 5)]},
        ["body", "rule", "all", 1, "fact"],
        "unknown fact",
    ),
    (
        {"any": [leaf("sex", "eq", "female"), {"not": leaf("status", "gt", "verified")}]},
        ["body", "rule", "any", 1, "not", "op"],
        "gt is not allowed for status",
    ),
    ({"all": [leaf("age_years", "gte", "18")]}, ["body", "rule", "all", 0, "value"], "must be an integer"),
    ({"all": [leaf("age_years", "gte", 18.5)]}, ["body", "rule", "all", 0, "value"], "must be an integer"),
    ({"all": [leaf("identity_verified", "eq", 1)]}, ["body", "rule", "all", 0, "value"], "true or false"),
    ({"all": [leaf("status", "in", ["verified", "gone"])]}, ["body", "rule", "all", 0, "value", 1], "one of"),
    ({"all": [leaf("status", "in", [])]}, ["body", "rule", "all", 0, "value"], "non-empty list"),
    ({"all": [leaf("status", "in", "verified")]}, ["body", "rule", "all", 0, "value"], "non-empty list"),
    ({"all": [leaf("status", "eq")]}, ["body", "rule", "all", 0, "value"], "is required"),
    ({"all": [leaf("age_years", "is_null", 3)]}, ["body", "rule", "all", 0, "value"], "takes no value"),
    ({"all": [leaf("status", "is_null")]}, ["body", "rule", "all", 0, "op"], "not allowed for status"),
    ({"all": [leaf("domicile_region_code", "eq", "53")]}, ["body", "rule", "all", 0, "value"], "regency"),
    ({"all": [leaf("domicile_region_code", "eq", "Kupang")]}, ["body", "rule", "all", 0, "value"], "code"),
    ({"all": [leaf("site_id", "eq", "KD")]}, ["body", "rule", "all", 0, "value"], "UUID"),
    ({"all": [leaf("sex", "starts_with", "f")]}, ["body", "rule", "all", 0, "op"], "not allowed"),
    ({"all": [leaf("sex", "like", "f")]}, ["body", "rule", "all", 0, "op"], "unknown operator"),
    ({"all": []}, ["body", "rule", "all"], "must not be empty"),
    ({"any": []}, ["body", "rule", "any"], "must not be empty"),
    ({"all": [{"any": []}]}, ["body", "rule", "all", 0, "any"], "must not be empty"),
    ({"all": PEM_RULE["all"], "note": "x"}, ["body", "rule", "note"], "unknown key"),
    (
        {"all": [leaf("sex", "eq", "male") | {"weight": 2}]},
        ["body", "rule", "all", 0, "weight"],
        "unknown key",
    ),
    ({"nor": [leaf("sex", "eq", "male")]}, ["body", "rule"], "must have one of"),
    ({"not": [leaf("sex", "eq", "male")]}, ["body", "rule", "not"], "must be an object"),
    ({"all": leaf("sex", "eq", "male")}, ["body", "rule", "all"], "must be a list"),
    ("all", ["body", "rule"], "must be an object"),
]


async def test_bad_rules_are_422_at_the_json_path_of_the_bad_node(client, callers):
    program = await make_program(client, callers)
    for rule, loc, message in BAD_RULES:
        response = await client.post(
            f"{PROGRAMS}/{program['id']}/rule-sets", json={"rule": rule}, headers=callers.officer.headers
        )
        errors = _errors(response)
        assert any(e_loc == loc and message in msg for e_loc, msg in errors), (rule, errors)


async def test_every_bad_node_is_reported_not_only_the_first(client, callers):
    rule = {"all": [leaf("nope", "eq", 1), leaf("age_years", "eq", True), leaf("sex", "eq", "female")]}
    locs = [loc for loc, _ in _errors(await _post(client, callers, rule))]
    assert locs == [["body", "rule", "all", 0, "fact"], ["body", "rule", "all", 1, "value"]]


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = leaf("sex", "eq", "female")
    for _ in range(depth - 1):
        node = {"not": node}
    return node


async def test_depth_is_limited_to_twenty(client, callers):
    ok = await _post(client, callers, _nested(20))
    assert ok.status_code == 201, ok.text
    errors = _errors(await _post(client, callers, _nested(21)))
    assert errors == [(["body", "rule", *["not"] * 20], "the rule is nested deeper than 20 levels")]


async def test_nodes_are_limited_to_five_hundred(client, callers):
    ok = await _post(client, callers, {"any": [leaf("age_years", "eq", i) for i in range(499)]})
    assert ok.status_code == 201, ok.text
    errors = _errors(await _post(client, callers, {"any": [leaf("age_years", "eq", i) for i in range(500)]}))
    assert errors == [(["body", "rule", "any", 499], "the rule has more than 500 nodes")]


async def test_a_bad_rule_writes_nothing(client, callers):
    program = await make_program(client, callers)
    await _post(client, callers, {"all": []})
    listed = await client.get(f"{PROGRAMS}/{program['id']}/rule-sets", headers=callers.officer.headers)
    assert listed.json()["items"] == []


async def test_the_rule_is_stored_canonical_and_hashed(client, callers):
    program = await make_program(client, callers)
    site_id = "0192F2C3-5B8A-7000-8000-000000000001"
    rule = {
        "any": [
            {"value": "5371", "op": "eq", "fact": "domicile_region_code"},
            leaf("site_id", "in", [site_id]),
            leaf("age_years", "is_null"),
            leaf("nik_region_code", "starts_with", "53."),
        ]
    }
    created = await make_rule_set(client, callers, program["id"], rule)

    canonical = {
        "any": [
            leaf("domicile_region_code", "eq", "53.71"),
            leaf("site_id", "in", [site_id.lower()]),
            leaf("age_years", "is_null"),
            leaf("nik_region_code", "starts_with", "53."),
        ]
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    assert created["content_hash"] == hashlib.sha256(text.encode()).hexdigest()
    stored = {"any": [{k: v for k, v in node.items() if v is not None} for node in created["rule"]["any"]]}
    assert stored == canonical
    assert created["version"] == 1 and created["status"] == "draft"


async def test_facts_are_listed_with_types_and_operators(client, callers):
    response = await client.get("/api/v1/eligibility/facts", headers=callers.viewer.headers)
    assert response.status_code == 200, response.text
    facts = {f["name"]: f for f in response.json()["items"]}
    required = {
        "status",
        "sex",
        "age_years",
        "domicile_region_code",
        "domicile_province_code",
        "origin_region_code",
        "origin_province_code",
        "nik_region_code",
        "identity_verified",
        "identity_document",
        "site_id",
        "days_since_registration",
        "present_in_latest_census",
    }
    assert required <= facts.keys()
    assert facts["age_years"]["type"] == "integer" and "gte" in facts["age_years"]["operators"]
    assert facts["age_years"]["nullable"] is True and "is_null" in facts["age_years"]["operators"]
    assert facts["status"]["operators"] == ["eq", "ne", "in", "not_in"]
    assert "declined" in facts["status"]["values"]
    assert facts["domicile_region_code"]["type"] == "region_code"
    assert "starts_with" in facts["domicile_region_code"]["operators"]
    assert facts["identity_verified"]["operators"] == ["eq", "ne"]


async def test_the_openapi_schema_describes_the_whole_grammar(client):
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    create = components["RuleSetCreate"]["properties"]["rule"]
    rule_refs = json.dumps(create)
    for node in ("AllOf", "AnyOf", "NotOf"):
        assert node in rule_refs or any(node in name for name in components), node
    all_of = next(v for k, v in components.items() if k.startswith("AllOf"))
    children = json.dumps(all_of["properties"]["all"])
    assert "discriminator" in children and '"propertyName": "fact"' in children
    status = next(v for k, v in components.items() if k.startswith("StatusCondition"))
    assert status["properties"]["fact"]["const"] == "status"
    # Enums are named components (app/openapi.py): read them through their references.
    named = {f"#/components/schemas/{k}": v for k, v in components.items()}
    ref = re.compile(r'\{"\$ref": ("[^"]+")\}')
    status = json.loads(ref.sub(lambda m: json.dumps(named[json.loads(m[1])]), json.dumps(status)))
    assert set(status["properties"]["op"]["enum"]) == {"eq", "ne", "in", "not_in"}
    assert "declined" in json.dumps(status["properties"]["value"])
    age = next(v for k, v in components.items() if k.startswith("AgeYearsCondition"))
    assert "integer" in json.dumps(age["properties"]["value"])
    not_of = next(v for k, v in components.items() if k.startswith("NotOf"))
    assert "not" in not_of["properties"] and not_of["additionalProperties"] is False

"""The OpenAPI document itself, as client generators read it (app/openapi.py)."""

import json
import re
from collections import Counter
from typing import Any

import pytest

from app.main import create_app
from app.openapi import ENUM_NAMES
from app.security.policy import Role, allowed
from tests.access.test_role_matrix import OPERATIONS

METHODS = {"get", "put", "post", "patch", "delete"}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
KEBAB = re.compile(r"^[a-z]+(-[a-z]+)*$")
COMPONENTS = "#/components/schemas/"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _component(document: dict[str, Any], ref: str) -> dict[str, Any]:
    return document["components"]["schemas"][ref.removeprefix(COMPONENTS)]


def test_operation_ids_are_the_route_names_short_and_unique(document):
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) > 130
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert [i for i in ids if not SNAKE.match(i) or len(i) > 40] == []
    by_route = {(m, p): op["operationId"] for p, m, op in _operations(document)}
    assert by_route["get", "/api/v1/persons"] == "list_persons"
    assert by_route["get", "/api/v1/persons/{person_id}"] == "get_person"
    assert by_route["post", "/api/v1/meetings"] == "create_meeting"
    assert by_route["post", "/api/v1/webhooks/{webhook_id}/rotate-secret"] == "rotate_webhook_secret"


def test_every_operation_has_one_tag_in_one_style(document):
    tags = [op.get("tags", []) for _, _, op in _operations(document)]
    assert all(len(t) == 1 and KEBAB.match(t[0]) for t in tags), sorted({str(t) for t in tags})
    assert "change-requests" in {t[0] for t in tags}
    assert {t["name"] for t in document["tags"]} == {t[0] for t in tags}


def test_every_reference_is_a_component_and_none_goes_into_defs(document):
    text = json.dumps(document)
    assert "$defs" not in text
    refs = set(re.findall(r'"\$ref": "([^"]+)"', text))
    assert refs and all(ref.startswith(COMPONENTS) for ref in refs)
    assert {ref.removeprefix(COMPONENTS) for ref in refs} <= set(document["components"]["schemas"])


def test_the_problem_schema_and_its_parts_are_components(document):
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert problem["properties"]["errors"]["items"] == {"$ref": COMPONENTS + "ProblemLocation"}
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert {"allowed", "current_status"} <= set(problem["properties"])
    assert '"type": "null"' not in json.dumps(problem)  # optional fields are absent, never null
    row_errors = schemas["ImportProblem"]["properties"]["errors"]["items"]
    assert row_errors == {"$ref": COMPONENTS + "ImportRowError"}


def test_component_titles_are_distinct_and_readable(document):
    schemas = document["components"]["schemas"]
    titles = [s.get("title", name) for name, s in schemas.items()]
    assert [t for t, n in Counter(titles).items() if n > 1] == []
    assert [n for n in schemas if not re.match(r"^[A-Z][A-Za-z0-9]*$", n)] == []
    assert {"AllOf", "AnyOf", "NotOf", "PersonPage", "MeetingPage", "RuleSetPage"} <= set(schemas)
    listed = document["paths"]["/api/v1/persons"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"] == {"$ref": COMPONENTS + "PersonPage"}


def _inline_enums(node: Any, found: Counter) -> Counter:
    if isinstance(node, dict):
        if "enum" in node and node.get("type") == "string":
            found[tuple(node["enum"])] += 1
        for value in node.values():
            _inline_enums(value, found)
    elif isinstance(node, list):
        for value in node:
            _inline_enums(value, found)
    return found


def test_enums_are_named_components_never_repeated_inline(document):
    schemas = document["components"]["schemas"]
    inline = _inline_enums(document["paths"], Counter())
    for schema in schemas.values():
        if "enum" not in schema:
            _inline_enums(schema, inline)
    assert [values for values, n in inline.items() if n > 1] == []
    named = {tuple(s["enum"]): name for name, s in schemas.items() if "enum" in s}
    assert [v for v, name in ENUM_NAMES.items() if named.get(v) != name] == []  # no stale name
    assert schemas["MeetingCreate"]["properties"]["kind"]["$ref"] == COMPONENTS + "MeetingKind"
    assert schemas["PersonRead"]["properties"]["status"]["$ref"] == COMPONENTS + "PersonStatus"


def test_the_person_views_are_a_discriminated_union(document):
    mapping = {"staff": COMPONENTS + "PersonRead", "partner": COMPONENTS + "PartnerPersonRead"}
    one = document["paths"]["/api/v1/persons/{person_id}"]["get"]["responses"]["200"]
    page = _component(document, "PersonPage")["properties"]["items"]["items"]
    for union in (one["content"]["application/json"]["schema"], page):
        assert union["discriminator"] == {"propertyName": "view", "mapping": mapping}
        assert sorted(v["$ref"] for v in union["oneOf"]) == sorted(mapping.values())
    for view, ref in mapping.items():
        schema = _component(document, ref)
        assert schema["properties"]["view"]["const"] == view and "view" in schema["required"]


def test_no_path_parameter_is_nullable(document):
    nullable = [
        (method, path, p["name"])
        for path, method, op in _operations(document)
        for p in op.get("parameters", [])
        if p["in"] == "path" and "null" in json.dumps(p["schema"])
    ]
    assert nullable == []


def test_errors_are_named_per_operation_never_only_default(document):
    for path, method, op in _operations(document):
        statuses = set(op["responses"])
        assert "default" not in statuses, (method, path)
        assert any(s.startswith("2") for s in statuses), (method, path)
        for status in statuses - {s for s in statuses if s[0] in "23"}:
            content = op["responses"][status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            assert "Problem" in json.dumps(content), (method, path, status)
        if "security" in op:
            assert {"401", "403"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
    create = document["paths"]["/api/v1/persons/import"]["post"]["responses"]["422"]
    assert "ImportProblem" in json.dumps(create)


def test_if_match_is_required_on_every_patch(document):
    patches = [(path, op) for path, method, op in _operations(document) if method == "patch"]
    assert len(patches) >= 15
    for path, op in patches:
        if_match = [p for p in op["parameters"] if p["in"] == "header" and p["name"] == "If-Match"]
        assert if_match and if_match[0]["required"] is True, path
        assert {"412", "428"} <= set(op["responses"]), path


def test_both_oauth2_flows_are_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert list(schemes) == ["OAuth2"]
    flows = schemes["OAuth2"]["flows"]
    assert set(flows) == {"authorizationCode", "password", "clientCredentials"}
    assert {f["tokenUrl"] for f in flows.values()} == {"/api/v1/auth/token"}
    assert flows["authorizationCode"]["authorizationUrl"] == "/api/v1/auth/authorize"
    secured = [op["security"] for _, _, op in _operations(document) if "security" in op]
    assert secured and all(s == [{"OAuth2": []}] for s in secured)


def test_the_conventions_headers_are_declared(document):
    paths = document["paths"]
    assert "ETag" in paths["/api/v1/persons/{person_id}"]["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["/api/v1/meetings/{meeting_id}"]["patch"]["responses"]["200"]["headers"]
    created = paths["/api/v1/meetings"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location", "Idempotent-Replayed"} <= set(created)
    assert "Retry-After" in paths["/api/v1/persons"]["get"]["responses"]["503"]["headers"]
    assert "Retry-After" in paths["/api/v1/auth/token"]["post"]["responses"]["429"]["headers"]


def _matrix_statuses(operation) -> set[str]:
    """The outcomes tests/access/test_role_matrix.py expects of an operation, over every role."""
    outcomes = {"401"} | {"2xx" if allowed(role, operation.permission) else "403" for role in Role}
    if operation.if_match:
        outcomes.add("412")  # the matrix sends If-Match "1", which a changed resource refuses
    return outcomes


def test_every_status_the_role_matrix_observes_is_declared(document):
    for operation in OPERATIONS:
        pattern = re.compile("^" + re.escape(operation.path).replace(re.escape("{id}"), r"\{[a-z_]+\}") + "$")
        paths = [p for p in document["paths"] if pattern.match(p)]
        assert len(paths) == 1, operation.name
        declared = set(document["paths"][paths[0]][operation.method.lower()]["responses"])
        for outcome in _matrix_statuses(operation):
            if outcome == "2xx":
                assert any(s.startswith("2") for s in declared), operation.name
            else:
                assert outcome in declared, (operation.name, outcome)

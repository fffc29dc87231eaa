"""The OpenAPI document as client generators read it: short ids, named components, every answer.

FastAPI's document describes each route as declared; this module adds what holds for all routes
by the API's conventions (app/conventions.py, app/errors.py, app/idempotency), so that routers
declare only what is particular to them: which errors an operation answers with, the headers
of its answers, the required If-Match, both OAuth2 flows, and names for what FastAPI leaves
anonymous (enums, the problem schema's parts).
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema

from app.errors import PROBLEM_JSON, ImportProblem, Problem, ProblemType, problem_types
from app.privacy.purpose import Purpose
from app.webhooks.schemas import EVENT_TYPES

Schema = dict[str, Any]

COMPONENTS = "#/components/schemas/"
SECURITY_SCHEME = "OAuth2"
SIGN_IN_PREFIX = "/api/v1/auth/"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a URL, not a secret

# One name per set of values that FastAPI writes inline (Literal fields and parameters); a set
# used in several places is one component, so a client has one type for it.
ENUM_NAMES: dict[tuple[str, ...], str] = {
    ("apbn_kemensos", "apbd_kota", "apbd_provinsi", "other"): "FundingSource",
    ("female", "male", "unknown"): "Sex",
    ("coordination", "outreach", "census", "other"): "MeetingKind",
    ("planned", "held", "postponed", "cancelled"): "MeetingStatus",
    ("invited", "confirmed", "declined"): "ParticipantResponse",
    ("open", "in_progress", "done", "cancelled"): "ActionItemStatus",
    ("open", "contacted", "agreed", "completed", "closed"): "CoordinationStatus",
    ("outgoing", "incoming"): "CorrespondenceDirection",
    ("letter", "email", "phone", "meeting", "other"): "CorrespondenceChannel",
    ("business_capital", "living_allowance", "transport", "pem_fund", "other"): "AssistanceType",
    ("planned", "paid", "cancelled"): "AssistanceStatus",
    ("person", "program", "funding_source", "type"): "AssistanceGrouping",
    ("ktp", "kk", "other", "none"): "IdentityDocument",
    ("consent", "legal_obligation", "public_task", "vital_interest"): "LegalBasis",
    ("government", "ngo", "police", "other"): "AgencyKind",
    ("active", "closing", "closed"): "SiteStatus",
    ("province", "regency"): "RegionLevel",
    ("status_change", "correction"): "ChangeRequestKind",
    ("pending", "approved", "rejected", "withdrawn"): "ChangeRequestStatus",
    ("pending", "delivered", "failed", "dropped"): "DeliveryStatus",
    ("air", "sea", "land"): "TransportMode",
    ("to_province_capital", "to_regency", "direct"): "RepatriationLeg",
    ("planned", "departed", "arrived", "handed_over", "cancelled"): "RepatriationStatus",
    ("grant", "loan", "in_kind"): "BenefitKind",
    ("draft", "active", "retired"): "RuleSetStatus",
    ("became_eligible", "became_ineligible"): "DeterminationChange",
    ("success", "denied"): "AuditOutcome",
    ("user", "client"): "ActorKind",
    ("meeting", "participant", "agenda_item", "action_item"): "MeetingSubjectType",
    ("present", "absent"): "Presence",
    ("eq", "ne"): "EqualityOp",
    ("eq", "ne", "in", "not_in"): "ChoiceOp",
    ("eq", "ne", "in", "not_in", "is_null", "not_null"): "ProvinceCodeOp",
    ("eq", "ne", "in", "not_in", "starts_with", "is_null", "not_null"): "RegionCodeOp",
    EVENT_TYPES: "WebhookEventType",
    tuple(Purpose): "Purpose",  # the X-Purpose header's codes
}
# Components whose FastAPI name says too little once it stands alone in a client.
RENAMES = {
    "Status": "PersonStatus",
    "Kind": "DataClassKind",
    "Op": "ComparisonOp",
    "Body_issue_token": "TokenRequest",
    "Body_revoke_token": "RevocationRequest",
    "ImportError_": "ImportRowReport",
}

_ERROR_DESCRIPTIONS = {
    400: "The request cannot be processed as sent.",
    401: "Not signed in, or the token expired or was revoked.",
    403: "Your role or agency may not do this.",
    404: "No such resource, or none that you may see.",
    409: "The change conflicts with the resource's state or with other data.",
    412: "If-Match names another version than the current one: fetch the resource again.",
    413: "The request body is over the size limit.",
    422: "An invalid value in the path, query, headers or body; `errors` says where.",
    428: "If-Match is missing.",
    429: "Too many requests: wait `Retry-After` seconds.",
    503: "The database is unavailable or busy: retry after `Retry-After` seconds.",
}
_HEADERS: dict[str, Schema] = {
    "ETag": {"description": "The version of the resource; send it in If-Match to change it."},
    "Location": {"description": "The URL of the created resource."},
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this answer replays an earlier request with the same Idempotency-Key.",
        "schema": {"type": "string"},
    },
}
_WRITES = {"post", "put", "patch", "delete"}


def operation_id(route: APIRoute) -> str:
    """Every operation is named by its route function (`list_persons`): short, stable, unique."""
    return route.name


def install_openapi(app: FastAPI) -> None:
    """Serve the refined document, built once."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = refine(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def refine(document: Schema) -> Schema:
    """The document FastAPI built, with the conventions every route follows made explicit."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_problem_components())
    # A page's component is named by its model's title (`PersonPage`, app/pagination.py).
    pages = {name: s["title"] for name, s in schemas.items() if name.startswith("Page_")}
    for old, new in (RENAMES | pages).items():
        if old in schemas:
            _rename(document, old, new)
    _name_enums(document)
    _security(document)
    for path, method, operation in _operations(document):
        operation["tags"] = [_tag(tag) for tag in operation.get("tags", [])]
        _path_parameters_not_null(operation)
        _name_body_schemas(operation, document["components"]["schemas"])
        _require_if_match(method, operation)
        _declare_errors(path, method, operation)
        _declare_headers(method, operation, schemas)
        operation["responses"] = dict(sorted(operation["responses"].items()))
    tags = sorted({tag for _, _, op in _operations(document) for tag in op["tags"]})
    document["tags"] = [{"name": tag} for tag in tags]
    _drop_unused(document)
    return document


def response_headers(document: Schema) -> set[str]:
    """Every header the document declares on an answer (CORS lets a browser read these)."""
    return {
        name
        for _, _, operation in _operations(document)
        for response in operation.get("responses", {}).values()
        for name in response.get("headers", {})
    }


def _operations(document: Schema) -> Iterator[tuple[str, str, Schema]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield path, method, operation


def _problem_components() -> dict[str, Schema]:
    """Problem, its parts and the problem-type page, each a component of its own (no `$defs`)."""
    models = [(model, "serialization") for model in (Problem, ImportProblem, ProblemType)]
    _, top = models_json_schema(models, ref_template=COMPONENTS + "{model}")
    return top["$defs"]


def _walk(node: Any, visit: Callable[[Schema], Schema | None]) -> Any:
    """`node` with each schema object replaced by `visit`'s answer (None: keep it, walk inside)."""
    if isinstance(node, list):
        return [_walk(item, visit) for item in node]
    if not isinstance(node, dict):
        return node
    replaced = visit(node)
    if replaced is not None:
        return replaced
    return {key: _walk(value, visit) for key, value in node.items()}


def _rename(document: Schema, old: str, new: str) -> None:
    schemas = document["components"]["schemas"]
    schemas[new] = schemas.pop(old) | {"title": new}
    old_ref, new_ref = COMPONENTS + old, COMPONENTS + new

    def visit(node: Schema) -> Schema | None:
        return node | {"$ref": new_ref} if node.get("$ref") == old_ref else None

    document["paths"] = _walk(document["paths"], visit)
    document["components"] = _walk(document["components"], visit)


def _name_enums(document: Schema) -> None:
    """Each inline enum becomes a reference to a named component when it is in ENUM_NAMES or repeated.

    A repeated set without a name in ENUM_NAMES is named after its first place (`SiteStatus` for
    `SiteCreate.status`), so that a new value set is never repeated inline.
    """
    schemas = document["components"]["schemas"]
    named = {tuple(s["enum"]): name for name, s in schemas.items() if "enum" in s} | ENUM_NAMES
    places: dict[tuple[str, ...], list[str]] = {}
    for name, schema in schemas.items():
        for prop, values in _inline_enums(schema):
            places.setdefault(values, []).append(_stem(name) + prop.title().replace("_", ""))
    for values, where in places.items():
        if values not in named and len(where) > 1 and where[0] not in schemas:
            named[values] = where[0]

    def visit(node: Schema) -> Schema | None:
        values = tuple(node.get("enum", ()))
        name = named.get(values)
        if not values or name is None or node.get("type") != "string":
            return None
        schemas.setdefault(name, {"type": "string", "enum": list(values), "title": name})
        rest = {k: v for k, v in node.items() if k in {"description", "default"}}
        return {"$ref": COMPONENTS + name} | rest

    document["paths"] = _walk(document["paths"], visit)
    for name in list(schemas):
        if "enum" not in schemas[name]:
            schemas[name] = _walk(schemas[name], visit)


def _inline_enums(schema: Schema) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(property, values) of each string enum written inside a component's properties."""
    for prop, sub in schema.get("properties", {}).items():
        for node in _nodes(sub):
            if node.get("type") == "string" and "enum" in node:
                yield prop, tuple(node["enum"])


def _nodes(node: Any) -> Iterator[Schema]:
    """Every schema object in `node`, itself included."""
    if isinstance(node, list):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)


def _stem(component: str) -> str:
    return re.sub(r"(Create|Read|Update|Detail|WithSecret)$", "", component)


def _name_body_schemas(operation: Schema, schemas: dict[str, Schema]) -> None:
    """A request body's titled inline object (the import's form) as a component of that title.

    Generators name an inline body after the operation and its media type
    (`ImportCsvFilesPersonImportForm`); a component keeps the name the route gave it.
    """
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        title = schema.get("title")
        # A title another schema already holds stays inline: a component name means one schema.
        if schema.get("type") == "object" and title and schemas.setdefault(title, schema) == schema:
            media["schema"] = {"$ref": COMPONENTS + title}


def _drop_unused(document: Schema) -> None:
    """Remove components nothing refers to (FastAPI's validation error model, never sent)."""
    schemas = document["components"]["schemas"]
    while True:
        used = {n["$ref"] for n in _nodes([document["paths"], document["components"]]) if "$ref" in n}
        unused = [name for name in schemas if COMPONENTS + name not in used]
        if not unused:
            return
        for name in unused:
            del schemas[name]


# The sign-in page of the authorization-code flow: a browser page, not an operation of the API.
AUTHORIZATION_URL = "/api/v1/auth/authorize"


def _security(document: Schema) -> None:
    """One OAuth2 scheme with both grants the token endpoint takes: people's and systems'."""
    document["components"]["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "oauth2",
            "description": "A browser frontend signs people in with the authorization code and PKCE "
            "(S256); scripts with the password grant (off by default in production); partner systems "
            "with client credentials (an API client's id and secret). All at the same token URL.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": AUTHORIZATION_URL,
                    "tokenUrl": TOKEN_URL,
                    "refreshUrl": TOKEN_URL,
                    "scopes": {},
                },
                "password": {"tokenUrl": TOKEN_URL, "scopes": {}},
                "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": {}},
            },
        }
    }
    for _, _, operation in _operations(document):
        if "security" in operation:
            operation["security"] = [{SECURITY_SCHEME: []}]


def _tag(tag: str) -> str:
    """Tags in one style: lower-case words joined by hyphens (`change-requests`)."""
    return re.sub(r"[\s_]+", "-", tag.strip().lower())


def _path_parameters_not_null(operation: Schema) -> None:
    """A path segment is never null: drop the `null` that an optional route argument gets."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "path" and "anyOf" in schema:
            kept = [s for s in schema["anyOf"] if s.get("type") != "null"]
            if len(kept) == 1:
                parameter["schema"] = {k: v for k, v in schema.items() if k != "anyOf"} | kept[0]


def _header(operation: Schema, name: str) -> Schema | None:
    return next(
        (
            p
            for p in operation.get("parameters", [])
            if p["in"] == "header" and p["name"].lower() == name.lower()
        ),
        None,
    )


def _require_if_match(method: str, operation: Schema) -> None:
    """If-Match is required wherever it is taken: the server answers 428 without it."""
    parameter = _header(operation, "If-Match")
    if parameter is not None:
        parameter.update(name="If-Match", required=True, schema={"type": "string", "maxLength": 64})


def _error_statuses(path: str, method: str, operation: Schema) -> set[int]:
    """The 4xx and 5xx answers an operation can give, by the conventions every route follows."""
    # The app refuses a body over `max_body_bytes` before any route reads it (even a GET's): 413.
    statuses = {413, 503} if path.startswith("/api/") else set()
    if "security" in operation:
        # Every caller is checked by app.security.deps: personal data in the URL (400, whatever the
        # query), an X-Purpose code not in the list (422), no valid token (401), the role (403).
        statuses |= {400, 401, 403, 422}
    parameters = operation.get("parameters", [])
    if any(p["in"] == "path" for p in parameters):
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if any(p["in"] == "query" for p in parameters):
        statuses.add(400)  # personal data in the URL (app/privacy/purpose.py)
    if "requestBody" in operation:
        statuses.add(413)
    if method in _WRITES and path.startswith("/api/"):
        statuses.add(409)
    if _header(operation, "If-Match") is not None:
        statuses |= {412, 428}
    if _header(operation, "Idempotency-Key") is not None:
        statuses.add(404)  # a replay answers the read of what was created: 404 once it is gone
    if path == TOKEN_URL:
        statuses |= {400, 429}
    if path.startswith(SIGN_IN_PREFIX):
        statuses |= {401, 429}  # a refused sign-in; throttled (app/auth/throttle.py)
    return statuses


def _declare_errors(path: str, method: str, operation: Schema) -> None:
    """Each error status named, with the problem schema; no catch-all `default`."""
    responses = operation.setdefault("responses", {})
    responses.pop("default", None)
    declared_here = {int(s) for s in responses if s[0] in "45"}  # by the router, e.g. the import's 413
    for status in sorted(_error_statuses(path, method, operation) | declared_here):
        declared = responses.setdefault(str(status), {})
        if declared.get("description") in {None, "Validation Error"}:  # FastAPI's words
            declared["description"] = _ERROR_DESCRIPTIONS[status]
        content = declared.pop("content", {})
        schema: Schema = {"$ref": COMPONENTS + "Problem"}
        if status == 422 and _is_import(operation):  # the file's row errors, or a bad parameter
            schema = {"anyOf": [{"$ref": COMPONENTS + "ImportProblem"}, schema]}
        content.pop("application/json", None)  # FastAPI's HTTPValidationError: never sent
        declared["content"] = content | {PROBLEM_JSON: {"schema": schema}}
        if status in {429, 503}:
            declared["headers"] = {"Retry-After": _HEADERS["Retry-After"]}
        declared["description"] += _problem_type_list(status)


def _is_import(operation: Schema) -> bool:
    return "text/csv" in operation.get("requestBody", {}).get("content", {})


def _problem_type_list(status: int) -> str:
    kinds = [k.type for k in problem_types().values() if k.status == status]
    return " Problem types: " + ", ".join(f"`{k}`" for k in kinds) + "." if kinds else ""


def _declare_headers(method: str, operation: Schema, schemas: dict[str, Schema]) -> None:
    """ETag on versioned resources' answers; Location and Idempotent-Replayed on idempotent creations."""
    idempotent = _header(operation, "Idempotency-Key") is not None
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        headers = response.setdefault("headers", {})
        if _is_versioned(response, schemas):
            headers["ETag"] = _HEADERS["ETag"]
        if idempotent:
            headers["Idempotent-Replayed"] = _HEADERS["Idempotent-Replayed"]
            if status == "201":
                headers["Location"] = _HEADERS["Location"]
        if not headers:
            del response["headers"]


def _is_versioned(response: Schema, schemas: dict[str, Schema]) -> bool:
    """Whether the answer is one resource with a version (`version`, a rule set's `revision`)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    variants = schema.get("anyOf", []) + schema.get("oneOf", [])  # a person's views: oneOf
    refs = [schema.get("$ref", "")] + [s.get("$ref", "") for s in variants]
    properties = [schemas.get(ref.removeprefix(COMPONENTS), {}).get("properties", {}) for ref in refs if ref]
    return bool(properties) and all("version" in p or "revision" in p for p in properties)

"""Issue 13, findings 5, 7, 8, 10 (purpose), 11, 13 and 16: tried as an attacker would.

- A restriction is lifted only by staff naming a purpose code (X-Purpose), on every route that
  returns or changes a restricted person, audited as a break-the-glass read; partners get 404.
- Purposes and NIKs never travel in URLs.
- One text type refuses control characters in every request field, on both databases.
- The CSV export escapes a formula wherever a spreadsheet could start a cell.
"""

import csv
import io
import itertools
import re
import uuid
from typing import Annotated, Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import select, update

import app
from app import schemas
from app.audit.models import AuditEvent
from app.main import create_app
from app.persons.models import Person
from app.schemas import RequestBody
from app.security import crypto
from tests.coordination.helpers import ALOR, make_batch, make_case, make_counterpart, verified_person
from tests.eligibility.helpers import active_program
from tests.persons.helpers import make_site
from tests.persons.support import PERSONS, assert_problem, post_csv, refer, synthetic_nik

API = "/api/v1"
PURPOSE = {"X-Purpose": "legal_obligation"}
RESTRICTED = "/problems/restricted-record"


async def _restricted_world(client: Any, session: Any, callers: Any) -> dict[str, Any]:
    """A verified person of Alor, referred to partner A, member of a batch of a case whose
    counterpart is another partner, with a pending change request; then restricted."""
    site = await make_site(client, callers)
    person = await verified_person(client, callers, site["id"], full_name="Warga Uji Terbatas")
    await refer(client, callers, person["id"], callers.agency_a)
    office = await make_counterpart(session, ALOR)
    case = await make_case(client, callers, site["id"], counterpart_id=office.agency_id)
    batch = await make_batch(client, callers, case["id"], [person["id"]])
    spare = await make_batch(client, callers, case["id"], [])
    program, _ = await active_program(client, callers)
    partner_ref = str(crypto.pseudonym(uuid.UUID(person["id"]), callers.agency_a.id))
    submitted = await client.post(
        f"{PERSONS}/{partner_ref}/change-requests",
        json={"kind": "correction", "payload": {"alias": "Uji Lain"}},
        headers=callers.partner_a.headers,
    )
    assert submitted.status_code == 201, submitted.text
    restrict = await client.post(
        f"{PERSONS}/{person['id']}/restriction",
        json={"reason": "keberatan subjek data (uji)"},
        headers=callers.officer.headers,
    )
    assert restrict.status_code == 200, restrict.text
    return {
        "person": person,
        "partner_ref": partner_ref,
        "office": office,
        "office_ref": str(crypto.pseudonym(uuid.UUID(person["id"]), office.agency_id)),
        "case": case,
        "batch": batch,
        "spare": spare,
        "program": program,
        "change_request": submitted.json(),
        "version": restrict.json()["version"],
    }


# --- findings 5 and 13: partners never lift a restriction, and never learn of one ------------


async def test_a_restricted_person_is_404_for_partners_everywhere(client, session, callers):
    w = await _restricted_world(client, session, callers)
    partner, office = callers.partner_a, w["office"].caller
    ref, office_ref = w["partner_ref"], w["office_ref"]
    case_url = f"{API}/coordinations/{w['case']['id']}/persons"
    for headers in ({}, PURPOSE, {"X-Purpose": "vital_interest"}):
        for caller, url in (
            (partner, f"{PERSONS}/{ref}"),
            (partner, f"{PERSONS}/{ref}/change-requests"),
            (partner, f"{API}/change-requests/{w['change_request']['id']}"),
            (partner, f"{API}/programs/{w['program']['id']}/eligibility/{ref}"),
            (office, f"{case_url}/{office_ref}"),
        ):
            response = await client.get(url, headers={**caller.headers, **headers})
            assert_problem(response, 404)
            assert "Terbatas" not in response.text and "restrict" not in response.text.lower()
        for caller, url in (
            (partner, PERSONS),
            (partner, f"{API}/change-requests"),
            (office, case_url),
            (office, f"{API}/repatriations/{w['batch']['id']}/members"),
        ):
            response = await client.get(url, headers={**caller.headers, **headers})
            assert response.status_code == 200, response.text
            assert response.json()["items"] == [], url
        batch = await client.get(
            f"{API}/repatriations/{w['batch']['id']}", headers={**office.headers, **headers}
        )
        assert batch.status_code == 200 and batch.json()["members"] == []
    # The old way round: any `reason` in the URL is refused, it lifts nothing.
    response = await client.get(f"{PERSONS}/{ref}", params={"reason": "pemeriksaan"}, headers=partner.headers)
    assert_problem(response, 400)


# --- finding 10 (purpose): never in the URL, a code only in the audit trail ----------------------


async def test_a_purpose_goes_in_a_header_as_a_code_and_never_in_the_url(client, session, callers):
    w = await _restricted_world(client, session, callers)
    url = f"{PERSONS}/{w['person']['id']}"
    for params in ({"reason": "pemeriksaan pengaduan Warga Uji"}, {"purpose": "audit_review"}):
        refused = await client.get(url, params=params, headers=callers.officer.headers)
        assert "X-Purpose" in assert_problem(refused, 400)["detail"]
    assert_problem(await client.get(url, headers={**callers.officer.headers, "X-Purpose": "penasaran"}), 422)
    read = await client.get(url, headers={**callers.officer.headers, "X-Purpose": "audit_review"})
    assert read.status_code == 200, read.text
    rows = await session.execute(select(AuditEvent.request_id, AuditEvent.action, AuditEvent.reason))
    events = rows.all()
    await session.rollback()
    mine = [e for e in events if e.request_id == read.headers["x-request-id"]]
    assert {(e.action, e.reason) for e in mine} == {
        ("person.break_glass", "audit_review"),
        ("person.read", "audit_review"),
    }
    # No free text anywhere in the trail: every reason is a purpose code (or none).
    codes = {"data_subject_request", "legal_obligation", "legal_claim", "vital_interest"}
    codes |= {"restriction_review", "audit_review"}
    assert {e.reason for e in events} <= codes | {None}


# --- finding 11: every route that returns or changes a restricted person needs a purpose ------

# Every operation with a person in its path or body, as admin (who holds every staff permission)
# sends it. Bodies are valid enough to reach the person lookup.
STAFF_REQUESTS: dict[tuple[str, str], Any] = {
    ("GET", "/persons/{person_id}"): None,
    ("PATCH", "/persons/{person_id}"): {},
    ("POST", "/persons/{person_id}/status-changes"): {"to_status": "staying"},
    ("GET", "/persons/{person_id}/history"): None,
    ("POST", "/persons/{person_id}/referrals"): {"agency_id": "{agency_b}"},
    ("DELETE", "/persons/{person_id}/referrals/{agency_id}"): None,
    ("GET", "/persons/{person_id}/access-log"): None,
    ("GET", "/persons/{person_id}/data-export"): None,
    ("POST", "/persons/{person_id}/restriction"): {"reason": "lagi (uji)"},
    ("DELETE", "/persons/{person_id}/restriction"): None,
    ("POST", "/persons/{person_id}/erasure"): {"reason": "permintaan subjek data (uji)"},
    ("GET", "/persons/{person_id}/assistance"): None,
    ("POST", "/persons/{person_id}/assistance"): {
        "type": "transport",
        "amount": 1000,
        "funding_source": "apbd_kota",
    },
    ("GET", "/persons/{person_id}/change-requests"): None,
    ("GET", "/coordinations/{coordination_id}/persons/{person_id}"): None,
    ("GET", "/programs/{program_id}/eligibility/{person_id}"): None,
    ("POST", "/repatriations"): {
        "coordination_id": "{case}",
        "leg": "to_province_capital",
        "members": ["{person}"],
    },
    ("POST", "/repatriations/{repatriation_id}/members"): {"person_id": "{person}"},
    ("DELETE", "/repatriations/{repatriation_id}/members/{person_id}"): None,
    ("POST", "/repatriations/{repatriation_id}/depart"): {},
    ("POST", "/change-requests/{request_id}/approve"): None,
    ("POST", "/change-requests/{request_id}/reject"): {"reason": "tidak sesuai (uji)"},
    ("GET", "/change-requests/{request_id}"): None,
}
# Partners' own way to a person (404, above): admin may not submit change requests at all.
PARTNER_ONLY = {("POST", "/persons/{person_id}/change-requests")}


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


def _person_operations() -> set[tuple[str, str]]:
    """Every operation of the API with a person in its path or its request body."""
    spec = create_app().openapi()
    found = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = spec["components"]["schemas"].get(
                ref.get("schema", {}).get("$ref", "/").split("/")[-1], {}
            )
            in_body = {"person_id", "members"} & set(body.get("properties", {}))
            if "{person_id}" in path or in_body:
                found.add((method.upper(), path.removeprefix(API)))
    return found


def test_the_walk_covers_every_operation_with_a_person():
    """A new route with a person in its path or body must join the walk below."""
    missing = _person_operations() - set(STAFF_REQUESTS) - PARTNER_ONLY
    assert not missing, f"add these to STAFF_REQUESTS: {sorted(missing)}"


async def test_every_route_refuses_a_restricted_person_without_a_purpose_code(client, session, callers):
    w = await _restricted_world(client, session, callers)
    values = {
        "person_id": w["person"]["id"],
        "person": w["person"]["id"],
        "agency_id": str(callers.agency_a.id),
        "agency_b": str(callers.agency_b.id),
        "coordination_id": w["case"]["id"],
        "case": w["case"]["id"],
        "program_id": w["program"]["id"],
        "request_id": w["change_request"]["id"],
    }
    leaks: list[tuple[str, str, Any]] = []
    for (method, template), body in STAFF_REQUESTS.items():
        batch = w["spare"] if template.endswith("/members") else w["batch"]
        url = API + _fill(template, {**values, "repatriation_id": batch["id"]})
        headers = {**callers.admin.headers, "If-Match": f'"{w["version"]}"'}
        if "change-requests/" in template and method == "POST":
            headers["If-Match"] = f'"{w["change_request"]["version"]}"'
        response = await client.request(method, url, json=_fill(body, values), headers=headers)
        problem = response.json() if response.status_code >= 400 else {}
        if response.status_code != 403 or problem.get("type") != RESTRICTED or "Terbatas" in response.text:
            leaks.append((method, template, response.status_code))
        elif "X-Purpose" not in problem["detail"]:
            leaks.append((method, template, "the problem does not say to name a purpose in X-Purpose"))
    assert leaks == [], leaks
    # Nothing changed: the record is as the restriction left it.
    row = await session.scalar(select(Person).where(Person.id == uuid.UUID(w["person"]["id"])))
    assert (row.version, row.restricted, row.erased_at, row.status) == (
        w["version"],
        True,
        None,
        "awaiting_return",
    )
    await session.rollback()


async def test_reads_by_every_role_follow_the_one_rule(client, session, callers):
    """Every role x every read of one person x restricted or not x with or without a purpose code."""
    w = await _restricted_world(client, session, callers)
    site_id = w["person"]["site_id"]
    free = await verified_person(client, callers, site_id, full_name="Warga Uji Bebas")
    await refer(client, callers, free["id"], callers.agency_a)
    reads = [
        "/persons/{ref}",
        "/persons/{ref}/history",
        "/persons/{ref}/access-log",
        "/persons/{ref}/data-export",
        "/persons/{ref}/assistance",
        "/persons/{ref}/change-requests",
        "/programs/{program}/eligibility/{ref}",
    ]
    allowed = {
        "admin": set(reads),
        "officer": set(reads),
        "auditor": set(reads) - {"/persons/{ref}/data-export"},
        "partner_a": {
            "/persons/{ref}",
            "/persons/{ref}/change-requests",
            "/programs/{program}/eligibility/{ref}",
        },
        "viewer": set(),
    }
    tried, agency_a = 0, callers.agency_a.id  # read before the rollbacks below expire it
    for (role, caller), path, person, purpose in itertools.product(
        callers.by_name().items(), reads, (w["person"], free), (None, "legal_obligation")
    ):
        if role == "partner_b":
            continue
        real = uuid.UUID(person["id"])
        ref = str(crypto.pseudonym(real, agency_a)) if role == "partner_a" else person["id"]
        url = API + path.format(ref=ref, program=w["program"]["id"])
        headers = {**caller.headers, **({"X-Purpose": purpose} if purpose else {})}
        response = await client.get(url, headers=headers)
        tried += 1
        context = (role, path, person["full_name"], purpose)
        restricted = person is w["person"]
        if path not in allowed[role]:
            assert response.status_code == 403 and response.json()["type"] != RESTRICTED, context
        elif restricted and role == "partner_a":
            assert_problem(response, 404)
        elif restricted and purpose is None:
            assert assert_problem(response, 403)["type"] == RESTRICTED, context
        else:
            assert response.status_code == 200, (context, response.text)
            if restricted:
                events = await session.execute(
                    select(AuditEvent.action, AuditEvent.reason, AuditEvent.person_ids).where(
                        AuditEvent.request_id == response.headers["x-request-id"]
                    )
                )
                glass = [(r, list(ids)) for action, r, ids in events.all() if action == "person.break_glass"]
                await session.rollback()
                assert glass and {r for r, _ in glass} == {purpose}, context
                assert all(ids == [real] for _, ids in glass), context
    assert tried == 5 * len(reads) * 4


# --- finding 7: a NIK never in a URL -------------------------------------------------------------


async def test_a_nik_is_looked_up_in_a_post_body_and_refused_in_a_query(client, callers):
    site = await make_site(client, callers)
    nik = synthetic_nik(9301)
    person = await verified_person(client, callers, site["id"], nik=nik)
    for url in (PERSONS, f"{PERSONS}/export.csv"):
        refused = await client.get(url, params={"nik": nik}, headers=callers.officer.headers)
        problem = assert_problem(refused, 400)
        assert "POST /api/v1/persons/search" in problem["detail"] and nik not in refused.text
    found = await client.post(f"{PERSONS}/search", json={"nik": nik}, headers=callers.officer.headers)
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [person["id"]]
    other = await client.post(
        f"{PERSONS}/search",
        json={"nik": synthetic_nik(9302), "status": "verified"},
        headers=callers.officer.headers,
    )
    assert other.json()["items"] == []
    assert_problem(
        await client.post(f"{PERSONS}/search", json={"nik": nik}, headers=callers.partner_a.headers), 403
    )
    assert_problem(
        await client.post(f"{PERSONS}/search", json={"nik": "12"}, headers=callers.officer.headers), 422
    )


# --- finding 8: one text type, control characters refused everywhere -----------------------------

# The text validators (looked up by name: the test also runs, and fails, on code without them).
OURS = {
    getattr(schemas, name)
    for name in ("no_control_chars", "one_line", "_no_control_chars")
    if hasattr(schemas, name)
}


def _has_ours(schema: Any) -> bool:
    if isinstance(schema, dict):
        function = schema.get("function")
        if isinstance(function, dict) and function.get("function") in OURS:
            return True
        return any(_has_ours(v) for k, v in schema.items() if k not in ("metadata", "serialization"))
    return isinstance(schema, list) and any(_has_ours(v) for v in schema)


def _bare_strings(schema: Any, where: str, covered: bool = False) -> list[str]:
    """The str nodes of a pydantic core schema that neither text validator checks."""
    if not isinstance(schema, dict):
        return []
    kind = schema.get("type")
    if kind == "str":
        return [] if covered else [where]
    if kind and kind.startswith("function-"):
        ours = schema.get("function", {}).get("function") in OURS
        return _bare_strings(schema.get("schema"), where, covered or ours)
    if kind == "chain":
        bare: list[str] = []
        for step in schema["steps"]:
            found = _bare_strings(step, where, covered)
            covered = covered or (not found and _has_ours(step))
            bare += found
        return bare
    bare = []
    for key, value in schema.items():
        # Dict keys are field names, checked against the model they are validated with.
        if key in ("metadata", "serialization", "keys_schema"):
            continue
        for item in value if isinstance(value, list) else [value]:
            bare += _bare_strings(item, where)
    return bare


def _request_models() -> dict[str, Any]:
    """Every request body model of the app, and every query, header and path parameter."""
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(app.__path__, "app."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, Any] = {}
    pending = [RequestBody]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls.__pydantic_core_schema__
    for route in create_app().routes:
        if not isinstance(route, APIRoute):
            continue
        stack = [route.dependant]
        while stack:
            dependant = stack.pop()
            stack += dependant.dependencies
            for param in dependant.query_params + dependant.header_params + dependant.body_params:
                info = param.field_info
                kind = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    continue  # a model: walked above when it is a request body
                found[f"{route.path} {param.name}"] = TypeAdapter(kind).core_schema
    return found


def test_every_request_string_uses_the_one_text_type():
    bare = {}
    for name, schema in _request_models().items():
        fields = schema.get("schema", {}).get("schema", {}).get("fields") or {}
        if fields:
            for field, field_schema in fields.items():
                if _bare_strings(field_schema, field):
                    bare[f"{name}.{field}"] = True
        elif _bare_strings(schema, name):
            bare[name] = True
    # The path's own strings are uuids and codes of fixed shape; none is free text.
    assert not bare, f"str fields without app.schemas.Text/Line: {sorted(bare)}"


HOSTILE = [
    "Mawar\x00",
    "Mawar\x1b[31m",
    "Mawar\x1b]8;;https://uji.invalid\x1b\\klik\x1b]8;;\x1b\\",
    "Mawar\x7f",
    "Mawar\x9b31m",
    "Mawar\u202egnaleM",
    "Mawar\nMelati",
]


@pytest.mark.parametrize("value", HOSTILE)
async def test_control_characters_are_refused_in_every_way_in(client, callers, value):
    site = await make_site(client, callers)
    person = await verified_person(client, callers, site["id"], full_name="Warga Uji Teks")
    await refer(client, callers, person["id"], callers.agency_a)
    headers = {**callers.officer.headers, "If-Match": f'"{person["version"]}"'}
    patched = await client.patch(f"{PERSONS}/{person['id']}", json={"alias": value}, headers=headers)
    assert_problem(patched, 422)
    ref = str(crypto.pseudonym(uuid.UUID(person["id"]), callers.agency_a.id))
    proposed = await client.post(
        f"{PERSONS}/{ref}/change-requests",
        json={"kind": "correction", "payload": {"alias": value}},
        headers=callers.partner_a.headers,
    )
    assert_problem(proposed, 422)
    row = f'full_name,alias,legal_basis\nWarga Uji Impor,"{value}",public_task\n'.encode()
    imported = await post_csv(client, callers, site["id"], row)
    assert_problem(imported, 422)
    view = await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
    assert view.json()["alias"] == person["alias"]


# --- finding 16: formulas escaped after any separator or line break ------------------------------

# A spreadsheet that trims spaces on import (LibreOffice's "Trim spaces") sees past them.
FORMULA = re.compile(r"^ *[=+\-@\t\r]")


def _cells_a_spreadsheet_sees(text: str) -> list[str]:
    """Every cell a spreadsheet could make of the export: split on `,` or on `;`, per line."""
    cells = []
    for delimiter in (",", ";"):
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter):
            for cell in row:
                cells += re.split(r"[,;\t\r\n]", cell)
    for line in text.splitlines():
        cells += re.split(r"[,;]", line)
    return cells


async def test_the_export_escapes_formulas_after_any_separator(client, session, callers):
    site = await make_site(client, callers)
    person = await verified_person(client, callers, site["id"], alias="Mawar;=1+1; =3+3")
    other = await verified_person(client, callers, site["id"], domicile_address="Jl. Uji 1\n=HYPERLINK(1)")
    # A name with a line break, as older data (before the one text type) may hold.
    await session.execute(
        update(Person).where(Person.id == uuid.UUID(other["id"])).values(full_name="Warga Uji\n=2+2,@SUM(1)")
    )
    await session.commit()
    export = await client.get(f"{PERSONS}/export.csv", headers=callers.officer.headers)
    assert export.status_code == 200
    assert person["id"] in export.text and other["id"] in export.text
    dangerous = [c for c in _cells_a_spreadsheet_sees(export.text) if FORMULA.match(c)]
    # Dates, times and the like never start a cell with a formula character.
    assert dangerous == [], dangerous
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(export.text.lstrip("\ufeff")))}
    assert rows[person["id"]]["alias"] == "Mawar;'=1+1; '=3+3"
    assert rows[other["id"]]["full_name"] == "Warga Uji\n'=2+2,'@SUM(1)"

"""The authorization matrix: every API operation x every kind of caller, against the declared policy.

One world is arranged through the API: agency B owns a person (referred to it), a meeting with a
participant, an agenda item and an action item, a coordination case (B is the counterpart) with a
letter, a repatriation batch and an assistance record; every private B object carries the marker
"Rahasia-B". Every path parameter is filled with the id of an object of B's world.

Then each caller sends one request to every operation (an empty JSON body for POST/PUT/PATCH, an
empty form for form routes, If-Match "1" for PATCH):
- anonymous: 401, except the public operations;
- a role without the operation's permission: 403;
- a role with it: neither 401 nor 403, and never a 5xx (the one object-level 403 inside a granted
  permission is listed in OBJECT_LEVEL_403).

Partner A is the intruder. Its answers must never contain the marker; its GETs on B's private
objects must be 404 (403 where its role lacks the permission); any request of it on a B object must
be answered exactly as the same request on a random id (no existence oracle); and no row of the
arranged tables may change while it runs (a snapshot is compared before and after).

Order matters because staff requests can write (DELETE, status changes, a determination run):
anonymous, viewer, auditor and partner B go first, then partner A between the two snapshots, and
the staff roles last, so nothing they change can hide or fake an intrusion.
"""

import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from app.clients.models import ApiClient
from app.db import Base
from app.security.policy import PUBLIC_OPERATIONS, Role, allowed
from tests.access.test_policy import _permissions
from tests.coordination.helpers import ALOR, make_batch, verified_person
from tests.declared import documented, undeclared
from tests.eligibility.helpers import active_program
from tests.factories import Callers, make_agency
from tests.meetings import add_action_item, add_participant, create_meeting
from tests.persons.helpers import make_person, make_site

API = "/api/v1"
MARKER = "Rahasia-B"
# Anonymous first; partner A between the snapshots; staff last (their requests may write).
ORDER = ("anonymous", "viewer", "auditor", "partner_b", "partner_a", "officer", "admin")
# Parameters naming objects that belong to agency B alone (sites, programs, agencies are shared).
PRIVATE = {
    "person_id",
    "meeting_id",
    "participant_id",
    "item_id",
    "coordination_id",
    "correspondence_id",
    "repatriation_id",
    "assistance_id",
}
ITEMS = {"agenda_item_id", "action_item_id"}  # both are `item_id` in the paths
# Object-level limits inside a granted permission: partner B organizes the meeting but may change
# only its own agency's participation, not the invited agency's (answered 403: it sees the row).
OBJECT_LEVEL_403 = {("partner_b", "PATCH", f"{API}/meetings/{{meeting_id}}/participants/{{participant_id}}")}
# Registering or removing one's security key needs a session signed in with a second factor
# (app/auth/passkeys.py): the matrix's callers have none, so every role with the permission gets 403
# (the answer to a registration, sent empty, is refused by validation first).
SECOND_FACTOR_SESSION = {
    ("POST", f"{API}/me/webauthn/registration"),
    ("DELETE", f"{API}/me/webauthn/credentials/{{credential_id}}"),
}
# Tables whose rows partner A must not change.
WATCHED = (
    "persons",
    "referrals",
    "meetings",
    "meeting_participants",
    "meeting_agenda_items",
    "meeting_action_items",
    "coordinations",
    "coordination_correspondence",
    "repatriations",
    "repatriation_members",
    "assistance_records",
    "sites",
    "census_rounds",
    "census_observations",
    "programs",
    "eligibility_rule_sets",
    "eligibility_runs",
    "agencies",
    "users",
    "api_clients",
)


def _operations(app: Any) -> Iterator[tuple[str, str, Dependant]]:
    """(method, path, dependant) of every operation under /api/v1."""
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if path.startswith(API):
            dependant = getattr(context, "dependant", None) or context.original_route.dependant
            for method in sorted(context.methods or ()):
                yield method, path, dependant


def _is_form(dependant: Dependant) -> bool:
    return any(isinstance(field.field_info, params.Form) for field in dependant.body_params)


def _param_names(path: str) -> list[str]:
    return [part[1:].split("}")[0] for part in path.split("/") if part.startswith("{")]


async def _post(client, caller, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _arrange(client, session, callers: Callers) -> dict[str, str]:
    """Agency B's world; returns an id for every path parameter name it can fill."""
    staff = callers.officer
    # Plain values first: the commit below expires the callers' ORM objects.
    b, a, user_b = callers.agency_b.id, callers.agency_a.id, callers.partner_b.user.id
    site = await make_site(client, callers)
    person_b = await verified_person(client, callers, site["id"], full_name=f"Warga Uji {MARKER}")
    person_a = await make_person(client, callers, site["id"], full_name="Warga Uji Alfa")
    for person, agency in ((person_b, b), (person_a, a)):
        await _post(client, staff, f"{API}/persons/{person['id']}/referrals", {"agency_id": str(agency)})

    other = await make_agency(session, "Dinas Sosial Uji Gama", kind="government")
    api_client = ApiClient(
        client_id=f"rc_matriks_{uuid.uuid4().hex[:8]}",
        name="Sistem Uji",
        secret_hash="!unusable",
        role="viewer",
    )
    session.add(api_client)
    await session.commit()
    other_id, client_pk = other.id, api_client.id

    meeting = await create_meeting(client, staff.headers, b, title=f"Rapat {MARKER}")
    await create_meeting(client, staff.headers, a, title="Rapat Uji Alfa")
    participant = await add_participant(
        client, staff.headers, meeting["id"], other_id, representative_name=f"Wakil {MARKER}"
    )
    meetings = f"{API}/meetings/{meeting['id']}"
    agenda = await _post(client, staff, f"{meetings}/agenda-items", {"title": f"Agenda {MARKER}"})
    action = await add_action_item(client, staff.headers, meeting["id"], b, title=f"Tugas {MARKER}")

    case = await _post(
        client,
        staff,
        f"{API}/coordinations",
        {
            "site_id": site["id"],
            "region_code": ALOR,
            "counterpart_agency_id": str(b),
            "notes": f"Catatan {MARKER}",
        },
    )
    letter = await _post(
        client,
        staff,
        f"{API}/coordinations/{case['id']}/correspondence",
        {
            "direction": "outgoing",
            "channel": "letter",
            "dated_on": "2018-10-31",
            "subject": f"Surat {MARKER}",
        },
    )
    batch = await make_batch(client, callers, case["id"], [person_b["id"]], notes=f"Catatan {MARKER}")
    aid = await _post(
        client,
        staff,
        f"{API}/persons/{person_b['id']}/assistance",
        {"type": "living_allowance", "amount": 900_000, "funding_source": "apbn_kemensos", "notes": MARKER},
    )
    census = await _post(
        client, staff, f"{API}/sites/{site['id']}/censuses", {"name": "initial", "held_on": "2018-10-30"}
    )
    program, rule_set = await active_program(client, callers)
    run = await _post(client, staff, f"{API}/programs/{program['id']}/determinations", {})
    return {
        "person_id": person_b["id"],
        "meeting_id": meeting["id"],
        "participant_id": participant["id"],
        "agenda_item_id": agenda["id"],
        "action_item_id": action["id"],
        "coordination_id": case["id"],
        "correspondence_id": letter["id"],
        "repatriation_id": batch["id"],
        "assistance_id": aid["id"],
        "site_id": site["id"],
        "census_id": census["id"],
        "program_id": program["id"],
        "rule_set_id": rule_set["id"],
        "run_id": run["id"],
        "agency_id": str(b),
        "user_id": str(user_b),
        "client_pk": str(client_pk),
        "code": "53.71",
    }


def _fill(path: str, ids: dict[str, str], unmapped: set[str]) -> str:
    """`path` with each parameter replaced by its B-world id (item_id by the collection it is in)."""
    for name in _param_names(path):
        key = name
        if name == "item_id":
            key = "agenda_item_id" if "/agenda-items/" in path else "action_item_id"
        if key not in ids:
            unmapped.add(name)
        path = path.replace("{" + name + "}", ids.get(key) or str(uuid.uuid4()))
    return path


async def _snapshot(session) -> dict[str, list[str]]:
    """Every row of the watched tables, as sorted strings (the read's transaction is ended: SQLite)."""
    rows = {}
    for name in WATCHED:
        result = await session.execute(select(Base.metadata.tables[name]))
        rows[name] = sorted(repr(tuple(row)) for row in result)
    await session.rollback()
    return rows


async def test_every_operation_and_caller_against_the_policy_without_leaks(app, client, session, callers):
    started = time.monotonic()
    roles = {name: Role(caller.user.role) for name, caller in callers.by_name().items()}
    ids = await _arrange(client, session, callers)
    shared = {key: value for key, value in ids.items() if key not in PRIVATE | ITEMS}
    operations = list(_operations(app))
    assert len(operations) > 100
    unmapped: set[str] = set()
    mismatches: list[str] = []
    leaks: list[str] = []
    not_declared: set[str] = set()  # answers the document does not name for their operation
    requests = ghosts = probes = shown_to_staff = checked_statuses = 0
    before = None
    for name in ORDER:
        caller = getattr(callers, name, None)
        role = roles.get(name)
        if name == "partner_a":
            before = await _snapshot(session)
        for method, path, dependant in operations:
            permissions = set(_permissions(dependant))
            headers = dict(caller.headers) if caller else {}
            if method == "PATCH":
                headers["If-Match"] = '"1"'
            body: dict[str, Any] = {}
            if _is_form(dependant):
                body["data"] = {}
            elif method in {"POST", "PUT", "PATCH"}:
                body["json"] = {}
            response = await client.request(method, _fill(path, ids, unmapped), headers=headers, **body)
            requests += 1
            status = response.status_code
            if documented(method, path):
                checked_statuses += 1
                not_declared.add(undeclared(method, path, status) or "")
            permitted = role is not None and all(allowed(role, p) for p in permissions)
            if (method, path) in PUBLIC_OPERATIONS:
                wrong = status >= 500
            elif role is None:
                wrong = status != 401
            elif not permitted or {(name, method, path), (method, path)} & (
                OBJECT_LEVEL_403 | SECOND_FACTOR_SESSION
            ):
                wrong = status != 403
            else:
                wrong = status in {401, 403} or status >= 500
            if wrong:
                mismatches.append(f"{name} {method} {path}: {status} {response.text[:160]}")
            if name == "officer" and method == "GET" and MARKER in response.text:
                shown_to_staff += 1  # the marker is reachable: its absence for partner A means something
            if name != "partner_a":
                continue
            if MARKER in response.text:
                leaks.append(f"{method} {path}: {status} shows B's data: {response.text[:200]}")
            private = PRIVATE & set(_param_names(path))
            if method == "GET" and private:
                probes += 1
            if private:
                # B's object must be indistinguishable from one that does not exist.
                ghost = await client.request(method, _fill(path, shared, set()), headers=headers, **body)
                ghosts += 1
                if documented(method, path):
                    not_declared.add(undeclared(method, path, ghost.status_code) or "")
                if ghost.status_code != status:
                    leaks.append(f"{method} {path}: {status} for B's object, {ghost.status_code} for none")
            if method == "GET" and private and status != (404 if permitted else 403):
                leaks.append(f"{method} {path}: {status} for B's {sorted(private)}: {response.text[:200]}")
        if name == "partner_a":
            after = await _snapshot(session)
            for table in WATCHED:
                if before[table] != after[table]:
                    leaks.append(f"partner A changed {table}")
    print(
        f"\nrequests={requests + ghosts} leaks={len(leaks)} unmapped_params={sorted(unmapped)} "
        f"(matrix={requests} ghost_compares={ghosts} partner_a_gets_on_b={probes} "
        f"mismatches={len(mismatches)} statuses_checked={checked_statuses} "
        f"undeclared={len(not_declared - {''})} seconds={time.monotonic() - started:.1f})"
    )
    assert requests == len(operations) * len(ORDER)
    assert probes > 20 and shown_to_staff > 10
    assert leaks == []
    assert mismatches == []
    # Every answer of a documented operation is one its declared responses name.
    assert checked_statuses > 0.95 * requests
    assert sorted(not_declared - {""}) == []

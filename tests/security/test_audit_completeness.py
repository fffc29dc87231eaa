"""Audit completeness: every request that touched a person left its audit event, and every denial too.

The authorization matrix (tests/security/test_authorization_matrix.py) is sent again, every request
with an X-Request-ID of its own (the app keeps it as the correlation id of the request's audit
events and echoes it as X-Correlation-ID; the request id itself is always the server's).
Then, request by request:
- a 2xx on an operation that reads or changes persons has audit events with its request id that
  name every person it touched: the person of its path, those its body names, and those its answer
  shows (by real id, by any agency's pseudonym or by registration number);
- a 401, 403 or 404 has its denial event (outcome "denied", the same status): `app.db` writes one
  for every audited domain error, in a transaction of its own, after the request's rollback;
  a 401 without a valid identity is counted instead (audit_denial_counts, per address and time
  bucket): no event of its own, and the counts add up to the number of such 401s;
- a refused request whose problem names a person the caller did not name (a duplicate NIK's
  holder, a batch member who blocks a departure) has an event naming that person;
- a request that failed has no "success" event (its events rolled back with it);
- every event of a request names the caller who sent it.

The matrix sends empty bodies, so most of its writes stop at validation. A second test walks the
person's whole life with valid bodies (create, change, refer, census, batch, journey, assistance,
eligibility, restriction, erasure) and applies the same checks.
"""

import csv
import io
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from app.agencies.models import Agency
from app.audit.models import AuditDenialCount, AuditEvent
from app.persons.models import Person
from app.security.crypto import pseudonym
from app.security.policy import PUBLIC_OPERATIONS
from tests.coordination.helpers import ALOR
from tests.factories import Callers
from tests.persons.helpers import person_body
from tests.persons.support import synthetic_nik
from tests.security.test_authorization_matrix import API, ORDER, _arrange, _fill, _is_form, _operations

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DENIALS = {401, 403, 404}
# Operations that read or change persons whatever their answer shows (their path, body or effect
# names persons); any other operation counts as touching persons when its answer shows one.
PERSON_PREFIXES = (f"{API}/persons", f"{API}/repatriations", f"{API}/assistance/{{")
PERSON_SUFFIXES = (
    "/{coordination_id}/persons",
    "/{person_id}",
    "/observations",
    "/reconciliation",
    "/determinations",
)


def touches_persons(route: str) -> bool:
    """Whether the operation reads or changes persons by its nature (the import's template holds none)."""
    if route == f"{API}/persons/import/template.csv":
        return False
    return (
        route.startswith(PERSON_PREFIXES) or route == f"{API}/assistance" or route.endswith(PERSON_SUFFIXES)
    )


def _dry_run(sent: "Sent") -> bool:
    # A dry-run import that passes validates rows and writes nothing: no person is read or changed.
    return sent.route == f"{API}/persons/import" and "dry_run=true" in sent.url


@dataclass
class Sent:
    """One request and what came back."""

    request_id: str
    caller: str
    method: str
    route: str
    url: str
    status: int
    body: Any
    answer: str
    content_type: str


@dataclass
class Recorder:
    """Sends requests, each with an X-Request-ID of its own, and keeps what came back."""

    client: httpx.AsyncClient
    prefix: str
    sent: list[Sent] = field(default_factory=list)

    async def send(
        self, caller_name: str, caller: Any, method: str, route: str, url: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        request_id = f"{self.prefix}-{len(self.sent):05d}"
        headers = {
            **(caller.headers if caller else {}),
            **kwargs.pop("headers", {}),
            "X-Request-ID": request_id,
        }
        response = await self.client.request(method, url or route, headers=headers, **kwargs)
        assert response.headers.get("x-correlation-id") == request_id, (method, route)
        assert response.headers.get("x-request-id") != request_id, (method, route)
        sent_url = response.request.url
        self.sent.append(
            Sent(
                request_id,
                caller_name,
                method,
                route,
                sent_url.path + (f"?{sent_url.query.decode()}" if sent_url.query else ""),
                response.status_code,
                kwargs.get("json"),
                response.text,
                response.headers.get("content-type", ""),
            )
        )
        return response


# --- which persons a request touched --------------------------------------------------------


async def person_tokens(session) -> dict[str, uuid.UUID]:
    """Every way an answer can name a person: real id, each agency's pseudonym, registration number."""
    persons = (await session.execute(select(Person.id, Person.registration_number))).all()
    agencies = list((await session.scalars(select(Agency.id))).all())
    await session.rollback()
    tokens: dict[str, uuid.UUID] = {}
    for person_id, number in persons:
        tokens[str(person_id)] = person_id
        if number:
            tokens[number] = person_id
        for agency_id in agencies:
            tokens[str(pseudonym(person_id, agency_id))] = person_id
    return tokens


def _is_audit_event(value: dict[str, Any]) -> bool:
    # Access logs and data exports carry events: the ids in them are the trail, not persons read.
    return {"actor_kind", "outcome", "person_ids"} <= value.keys()


def _strings(value: Any) -> Iterator[str]:
    """Every string (keys included) of a JSON document, audit events left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict) and not _is_audit_event(value):
        for key, item in value.items():
            yield key
            yield from _strings(item)


def _answer_strings(sent: Sent) -> Iterator[str]:
    if "json" in sent.content_type:
        yield from _strings(orjson.loads(sent.answer))
    elif "csv" in sent.content_type:
        for row in csv.reader(io.StringIO(sent.answer)):
            yield from row
    else:
        yield from UUID_TEXT.findall(sent.answer)


def _path_values(route: str, url: str) -> dict[str, str]:
    """The path parameters of `url`, by the names of `route`'s template."""
    path = url.split("?", 1)[0]
    return {
        part[1:-1]: value
        for part, value in zip(route.split("/"), path.split("/"), strict=False)
        if part.startswith("{")
    }


def named(sent: Sent, tokens: dict[str, uuid.UUID]) -> set[uuid.UUID]:
    """The persons a request named in its path or body."""
    names = [_path_values(sent.route, sent.url).get("person_id"), *_strings(sent.body)]
    return {tokens[name] for name in names if name in tokens}


def shown(sent: Sent, tokens: dict[str, uuid.UUID]) -> set[uuid.UUID]:
    """The persons a request's answer shows (an error's too: a problem can name a person)."""
    if not sent.answer or ("json" not in sent.content_type and sent.status >= 300):
        return set()
    return {tokens[name] for name in _answer_strings(sent) if name in tokens}


# --- the check ------------------------------------------------------------------------------


@dataclass
class Findings:
    checked: int = 0
    with_persons: int = 0  # of those checked, requests that named or showed at least one person
    missing: list[str] = field(default_factory=list)
    denials_checked: int = 0
    anonymous_denials: int = 0  # 401s without a valid identity: counted, not written one by one
    counted_denials: int = 0  # what audit_denial_counts added up during the run
    person_denials: int = 0
    missing_denials: list[str] = field(default_factory=list)
    phantoms: list[str] = field(default_factory=list)
    wrong_actor: list[str] = field(default_factory=list)


async def counted_denials(session) -> int:
    """The anonymous 401s counted so far, all addresses and buckets."""
    total = await session.scalar(select(func.coalesce(func.sum(AuditDenialCount.count), 0)))
    await session.rollback()
    return int(total)


async def events_by_request(session, prefix: str) -> dict[str, list[AuditEvent]]:
    """The events of each request, by the caller's X-Request-ID (their correlation id)."""
    rows = await session.scalars(select(AuditEvent).where(AuditEvent.correlation_id.startswith(prefix + "-")))
    events: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in rows:
        events[event.correlation_id].append(event)
    session.expunge_all()  # detached, not expired: the read's transaction ends (SQLite locks)
    await session.rollback()
    return events


async def check(
    session, recorder: Recorder, user_ids: dict[str, uuid.UUID | None], counted_before: int = 0
) -> Findings:
    """Each request of `recorder` against the audit trail (`counted_before`: the count at its start)."""
    tokens = await person_tokens(session)
    events = await events_by_request(session, recorder.prefix)
    found = Findings(counted_denials=await counted_denials(session) - counted_before)
    for sent in recorder.sent:
        mine = events.get(sent.request_id, [])
        what = f"{sent.caller} {sent.method} {sent.url} -> {sent.status}"
        for event in mine:
            if event.actor_id != user_ids.get(sent.caller):
                found.wrong_actor.append(f"{what}: event {event.action} by {event.actor_id}")
        if sent.status >= 400 and any(e.outcome == "success" for e in mine):
            found.phantoms.append(f"{what}: {[e.action for e in mine if e.outcome == 'success']}")
        # A public operation (the token in a calendar feed's URL) never knows its caller: denied,
        # it is counted like a 401 without a valid identity.
        public = (sent.method, sent.route) in PUBLIC_OPERATIONS and sent.status in DENIALS
        if sent.status == 401 or public:
            found.anonymous_denials += 1
            if mine:
                found.phantoms.append(f"{what}: an anonymous denial wrote {[e.action for e in mine]}")
            continue
        if sent.status in DENIALS:
            found.denials_checked += 1
            found.person_denials += touches_persons(sent.route)
            if not any(e.outcome == "denied" and e.status_code == sent.status for e in mine):
                found.missing_denials.append(what)
        if not 200 <= sent.status < 300:
            # A refused request may still tell the caller of a person it did not name: audited too.
            revealed = shown(sent, tokens) - named(sent, tokens)
            if revealed:
                found.checked += 1
                found.with_persons += 1
                _expect(found, what, mine, revealed)
            continue
        persons = named(sent, tokens) | shown(sent, tokens)
        if not persons and (not touches_persons(sent.route) or _dry_run(sent)):
            continue
        found.checked += 1
        found.with_persons += bool(persons)
        _expect(found, what, [e for e in mine if e.outcome == "success"], persons)
    return found


def _expect(found: Findings, what: str, events: list[AuditEvent], persons: set[uuid.UUID]) -> None:
    """At least one event, and together the events name every one of `persons`."""
    listed = {p for e in events for p in e.person_ids}
    if not events:
        found.missing.append(f"{what}: no audit event")
    elif persons - listed:
        left_out = sorted(map(str, persons - listed))
        found.missing.append(f"{what}: events {[e.action for e in events]} leave out {left_out}")


def report(label: str, found: Findings, sent: int, seconds: float) -> None:
    print(
        f"\n{label}: requests={sent} person_touching_checked={found.checked} "
        f"(naming persons {found.with_persons}) missing={len(found.missing)} "
        f"denials_checked={found.denials_checked} (on person routes {found.person_denials}) "
        f"anonymous_401={found.anonymous_denials} counted={found.counted_denials} "
        f"missing_denials={len(found.missing_denials)} phantom_successes={len(found.phantoms)} "
        f"wrong_actor={len(found.wrong_actor)} seconds={seconds:.1f}"
    )
    for line in found.missing + found.missing_denials + found.phantoms + found.wrong_actor:
        print("  ", line)


def _user_ids(callers: Callers) -> dict[str, uuid.UUID | None]:
    return {"anonymous": None} | {name: caller.user.id for name, caller in callers.by_name().items()}


# --- the matrix, audited --------------------------------------------------------------------


async def test_every_matrix_request_that_touched_a_person_is_audited(app, client, session, callers):
    started = time.monotonic()
    user_ids = _user_ids(callers)  # plain values: the arrangement's commits expire the ORM objects
    ids = await _arrange(client, session, callers)
    recorder = Recorder(client, f"matrix-{uuid.uuid4().hex[:8]}")
    counted_before = await counted_denials(session)
    operations = list(_operations(app))
    for name in ORDER:
        caller = getattr(callers, name, None)
        for method, route, dependant in operations:
            headers = {"If-Match": '"1"'} if method == "PATCH" else {}
            body: dict[str, Any] = {}
            if _is_form(dependant):
                body["data"] = {}
            elif method in {"POST", "PUT", "PATCH"}:
                body["json"] = {}
            await recorder.send(
                name, caller, method, route, _fill(route, ids, set()), headers=headers, **body
            )
    found = await check(session, recorder, user_ids, counted_before)
    report("matrix", found, len(recorder.sent), time.monotonic() - started)
    assert len(recorder.sent) == len(operations) * len(ORDER)
    assert found.checked > 50 and found.with_persons > 30
    assert found.denials_checked > 200 and found.person_denials > 50
    assert found.anonymous_denials > 100
    assert found.counted_denials == found.anonymous_denials
    assert found.missing == []
    assert found.missing_denials == []
    assert found.phantoms == []
    assert found.wrong_actor == []


# --- a person's whole life, with valid bodies -----------------------------------------------


async def _life(recorder: Recorder, callers: Callers, ids: dict[str, str]) -> None:
    """Every kind of person read and write, by the roles allowed to make them."""
    send = recorder.send
    officer, admin, auditor = callers.officer, callers.admin, callers.auditor
    partner_a, partner_b = callers.partner_a, callers.partner_b
    b = callers.agency_b.id
    site, census, program = ids["site_id"], ids["census_id"], ids["program_id"]
    case, batch, person_b = ids["coordination_id"], ids["repatriation_id"], ids["person_id"]
    persons = f"{API}/persons"
    p = f"{persons}/{{person_id}}"
    programs = f"{API}/programs/{{program_id}}"

    body = person_body(site, full_name="Warga Uji Jejak", origin_region_code=ALOR, nik=synthetic_nik(9401))
    created = await send("officer", officer, "POST", persons, json=body)
    assert created.status_code == 201, created.text
    c = created.json()["id"]
    pc = str(pseudonym(uuid.UUID(c), b))  # partner B's id for the person, once referred
    one = p.replace("{person_id}", c)

    async def ok(name: str, caller: Any, method: str, route: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await send(name, caller, method, route, url, **kwargs)
        assert 200 <= response.status_code < 300, f"{name} {method} {url}: {response.text}"
        return response

    await ok("officer", officer, "PATCH", p, one, json={"alias": "Jejak"}, headers={"If-Match": '"1"'})
    await ok(
        "officer",
        officer,
        "POST",
        f"{p}/status-changes",
        f"{one}/status-changes",
        json={"to_status": "verified"},
    )
    await ok("officer", officer, "POST", f"{p}/referrals", f"{one}/referrals", json={"agency_id": str(b)})
    await ok("partner_b", partner_b, "GET", persons, persons)
    await ok("partner_b", partner_b, "GET", p, f"{persons}/{pc}")
    await ok("auditor", auditor, "GET", p, one)
    await ok("officer", officer, "GET", persons, persons, params={"q": "Jejak"})
    evaluate = f"{programs}/eligibility/{{person_id}}"
    program_url = programs.replace("{program_id}", program)
    await ok("partner_b", partner_b, "GET", evaluate, f"{program_url}/eligibility/{pc}")
    await ok("officer", officer, "GET", evaluate, f"{program_url}/eligibility/{c}")
    await ok("officer", officer, "GET", f"{persons}/export.csv", f"{persons}/export.csv")
    rows = "full_name,sex,origin_region_code,legal_basis\nWarga Uji Impor Jejak,female,53.05,public_task\n"
    for dry_run in ("true", "false"):
        await ok(
            "officer",
            officer,
            "POST",
            f"{persons}/import",
            f"{persons}/import",
            params={"site_id": site, "dry_run": dry_run},
            content=rows.encode(),
            headers={"content-type": "text/csv"},
        )
    for name, caller, suffix in (
        ("officer", officer, "/history"),
        ("auditor", auditor, "/history"),
        ("officer", officer, "/access-log"),
        ("auditor", auditor, "/access-log"),
        ("admin", admin, "/data-export"),
    ):
        await ok(name, caller, "GET", p + suffix, one + suffix)

    censuses = f"{API}/sites/{{site_id}}/censuses/{{census_id}}"
    census_url = censuses.replace("{site_id}", site).replace("{census_id}", census)
    observed = {
        "observations": [
            {"person_id": c, "presence": "present"},
            {"person_id": person_b, "presence": "absent"},
        ]
    }
    await ok(
        "officer", officer, "POST", f"{censuses}/observations", f"{census_url}/observations", json=observed
    )
    await ok("auditor", auditor, "GET", f"{censuses}/reconciliation", f"{census_url}/reconciliation")

    batches = f"{API}/repatriations"
    r = f"{batches}/{{repatriation_id}}"
    batch_url = f"{batches}/{batch}"
    await ok("officer", officer, "POST", f"{r}/members", f"{batch_url}/members", json={"person_id": c})
    for route, url in ((r, batch_url), (f"{r}/members", f"{batch_url}/members"), (batches, batches)):
        await ok("partner_b", partner_b, "GET", route, url)
    cases = f"{API}/coordinations/{{coordination_id}}/persons"
    case_url = cases.replace("{coordination_id}", case)
    await ok("partner_b", partner_b, "GET", cases, case_url)
    await ok("partner_b", partner_b, "GET", f"{cases}/{{person_id}}", f"{case_url}/{pc}")
    await ok("officer", officer, "GET", f"{cases}/{{person_id}}", f"{case_url}/{c}")
    await ok("officer", officer, "DELETE", f"{r}/members/{{person_id}}", f"{batch_url}/members/{c}")
    second = await ok(
        "officer",
        officer,
        "POST",
        batches,
        batches,
        json={"coordination_id": case, "leg": "direct", "members": [c]},
    )
    second_url = f"{batches}/{second.json()['id']}"
    await ok(
        "officer", officer, "PATCH", r, second_url, json={"carrier": "KM Uji"}, headers={"If-Match": '"1"'}
    )
    await ok(
        "officer", officer, "POST", f"{r}/cancel", f"{second_url}/cancel", json={"reason": "jadwal uji batal"}
    )
    # A member who changed her mind stops the departure, and the refusal names her.
    third = await ok(
        "officer",
        officer,
        "POST",
        batches,
        batches,
        json={"coordination_id": case, "leg": "direct", "members": [c]},
    )
    third_url = f"{batches}/{third.json()['id']}"
    await ok(
        "officer",
        officer,
        "POST",
        f"{p}/status-changes",
        f"{one}/status-changes",
        json={"to_status": "staying"},
    )
    stopped = await send("officer", officer, "POST", f"{r}/depart", f"{third_url}/depart", json={})
    assert stopped.status_code == 409 and stopped.json()["person_id"] == c, stopped.text
    await ok(
        "officer", officer, "POST", f"{r}/cancel", f"{third_url}/cancel", json={"reason": "warga uji tetap"}
    )
    await ok("officer", officer, "POST", f"{r}/depart", f"{batch_url}/depart", json={})
    await ok("partner_b", partner_b, "POST", f"{r}/arrive", f"{batch_url}/arrive", json={})
    handover = {
        "received_by_agency_id": str(b),
        "received_by_name": "Petugas Uji",
        "document_number": "BA-UJI/1",
    }
    # The partner's handover refused over a member sent back to waiting: named by B's own id.
    b_url = p.replace("{person_id}", person_b)
    back = {"to_status": "awaiting_return"}
    await ok("officer", officer, "POST", f"{p}/status-changes", f"{b_url}/status-changes", json=back)
    blocked = await send(
        "partner_b", partner_b, "POST", f"{r}/handover", f"{batch_url}/handover", json=handover
    )
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["person_id"] == str(pseudonym(uuid.UUID(person_b), b))
    again = {"to_status": "repatriated"}
    await ok("officer", officer, "POST", f"{p}/status-changes", f"{b_url}/status-changes", json=again)
    await ok("partner_b", partner_b, "POST", f"{r}/handover", f"{batch_url}/handover", json=handover)

    aid_body = {"type": "business_capital", "amount": 2_500_000, "funding_source": "apbd_kota"}
    aid = await ok("officer", officer, "POST", f"{p}/assistance", f"{one}/assistance", json=aid_body)
    a = f"{API}/assistance/{{assistance_id}}"
    aid_url = f"{API}/assistance/{aid.json()['id']}"
    paid = {"status": "paid", "paid_on": "2018-11-20"}
    await ok("officer", officer, "PATCH", a, aid_url, json=paid, headers={"If-Match": '"1"'})
    await ok("auditor", auditor, "GET", a, aid_url)
    await ok("auditor", auditor, "GET", f"{p}/assistance", f"{one}/assistance")
    await ok("officer", officer, "GET", f"{API}/assistance", f"{API}/assistance", params={"person_id": c})
    for group_by in ("person", "type"):
        totals = f"{API}/assistance/totals"
        await ok("admin", admin, "GET", totals, totals, params={"group_by": group_by})

    run = await ok(
        "officer", officer, "POST", f"{programs}/determinations", f"{program_url}/determinations", json={}
    )
    runs = f"{programs}/determination-runs/{{run_id}}"
    await ok("officer", officer, "GET", runs, f"{program_url}/determination-runs/{run.json()['id']}")
    await ok("auditor", auditor, "GET", f"{programs}/determinations", f"{program_url}/determinations")
    draft = await ok(
        "officer",
        officer,
        "POST",
        f"{programs}/rule-sets",
        f"{program_url}/rule-sets",
        json={"rule": {"all": [{"fact": "origin_region_code", "op": "eq", "value": ALOR}]}},
    )
    simulate = f"{programs}/rule-sets/{{rule_set_id}}/simulate"
    await ok(
        "officer",
        officer,
        "POST",
        simulate,
        f"{program_url}/rule-sets/{draft.json()['id']}/simulate",
        json={},
    )

    await ok(
        "officer",
        officer,
        "POST",
        f"{p}/restriction",
        f"{one}/restriction",
        json={"reason": "permintaan uji"},
    )
    # Registering the NIK again is refused, and the refusal names the record that holds it.
    twin = person_body(site, full_name="Warga Uji Ganda", nik=body["nik"])
    duplicate = await send("officer", officer, "POST", persons, json=twin)
    assert duplicate.status_code == 409 and duplicate.json()["existing_id"] == c, duplicate.text
    refused = await send("officer", officer, "GET", p, one)
    assert refused.status_code == 403, refused.text  # restricted: only under a purpose code
    await ok("officer", officer, "GET", p, one, headers={"X-Purpose": "audit_review"})
    review = {"X-Purpose": "restriction_review"}
    await ok("officer", officer, "DELETE", f"{p}/restriction", f"{one}/restriction", headers=review)
    await ok("officer", officer, "DELETE", f"{p}/referrals/{{agency_id}}", f"{one}/referrals/{b}")
    gone = await send("partner_b", partner_b, "GET", p, f"{persons}/{pc}")
    assert gone.status_code == 404, gone.text  # the referral ended
    await send("partner_a", partner_a, "GET", p, f"{persons}/{pc}")
    await ok(
        "admin", admin, "POST", f"{p}/erasure", f"{one}/erasure", json={"reason": "permintaan subjek uji"}
    )


async def test_a_persons_whole_life_is_audited_request_by_request(client, session, callers):
    started = time.monotonic()
    user_ids = _user_ids(callers)
    ids = await _arrange(client, session, callers)
    recorder = Recorder(client, f"life-{uuid.uuid4().hex[:8]}")
    await _life(recorder, callers, ids)
    found = await check(session, recorder, user_ids)
    report("life", found, len(recorder.sent), time.monotonic() - started)
    assert found.checked >= 45 and found.with_persons >= 40 and found.denials_checked == 3
    assert found.missing == []
    assert found.missing_denials == []
    assert found.phantoms == []
    assert found.wrong_actor == []

    # The check can fail: a request whose events are not there, or that showed one more person.
    created = recorder.sent[0]
    assert created.route == f"{API}/persons" and created.status == 201
    other = orjson.dumps({"id": ids["person_id"]}).decode()
    for forged in (replace(created, request_id=f"{recorder.prefix}-none"), replace(created, answer=other)):
        assert len((await check(session, Recorder(client, recorder.prefix, [forged]), user_ids)).missing) == 1

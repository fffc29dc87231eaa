"""GET one person and the list answer what the session path computes, byte for byte, on both backends.

On PostgreSQL the routes run on the raw driver connection (DriverPersonReader); on SQLite on
the session. Either way the answer must equal `SessionPersonReader`'s get / page rendered by
the presenter, for every role and filter, page by page; and each read writes one audit event
(and, when staff name a purpose code and read restricted records, one break-the-glass event).
A NIK is looked up by POST /persons/search (never in a URL); a purpose travels in X-Purpose.
"""

import asyncio
import dataclasses
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.errors import Forbidden
from app.pagination import Page, PageParams, decode_cursor
from app.persons import presenter
from app.persons.models import Person
from app.persons.queries import PersonFilters
from app.persons.reader import DriverPersonReader, SessionPersonReader
from app.persons.schemas import AnyPersonRead
from app.persons.service import PersonNotFound, RestrictedRecord
from app.persons.transitions import Status
from app.privacy.purpose import Purpose
from app.security import crypto
from app.security.policy import STAFF
from app.security.principal import Actor
from tests.factories import Caller, Callers
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, assert_problem, refer, synthetic_nik

CLIENT_IP = "203.0.113.7"  # the test client's address (tests/conftest.py)
REASON = Purpose.audit_review.value  # the purpose code, sent in X-Purpose
READERS = ("admin", "officer", "auditor", "partner_a", "partner_b")
# Synthetic KK numbers and phones (serials 9xxx): nobody's.
KK_1, KK_2 = "5371020101189101", "5371020101189111"
PHONE_1, PHONE_2 = "+62 812 0000 9101", "+62 813 0000 9111"


@dataclass
class Registry:
    sites: dict[str, str]
    ids: dict[str, str]  # key -> real person id
    names: dict[str, str]  # key -> full name
    referred: dict[str, set[str]]  # "partner_a"/"partner_b" -> keys referred (active)
    restricted: set[str]
    mid: datetime  # after the first six were created, before everything else
    niks: dict[str, str] = field(default_factory=dict)


# key: (site, fields). Varied sex, regions, NIK/KK/phone/notes, verification; names with `%`,
# `_`, a backslash and non-ASCII letters for the `q` filter. The first six come before `mid`.
SPEC: list[tuple[str, str, dict[str, Any]]] = [
    (
        "melati",
        "S1",
        {
            "full_name": "Warga Uji Melati",
            "sex": "female",
            "nik": synthetic_nik(9101),
            "kk_number": KK_1,
            "phone": PHONE_1,
            "notes": 'catatan "kutip" \\ / \u2028 \U0001f600',
            "identity_document": "ktp",
            "identity_verified": True,
            "origin_region_code": "53.01",
        },
    ),
    (
        "mawar",
        "S1",
        {
            "full_name": "Warga Uji Mawar 50% Persen",
            "sex": "male",
            "birth_date": "1990-08-17",
            "nik": synthetic_nik(9102, female=False, day=17, month=8, yy=90),
            "origin_region_code": "53.05",
        },
    ),
    (
        "kenanga",
        "S1",
        {"full_name": "Warga Uji a_b Kenanga", "sex": "unknown", "origin_region_code": "35.07"},
    ),
    (
        "dahlia",
        "S1",
        {"full_name": "Warga Uji Dahlia", "nik": synthetic_nik(9104), "origin_region_code": "52.01"},
    ),
    ("anggrek", "S2", {"full_name": "Warga Uji Anggrek", "alias": "Anggi", "origin_region_code": "31.71"}),
    (
        "kamboja",
        "S2",
        {
            "full_name": "Warga Uji Kamboja",
            "legal_basis": "consent",
            "consent_at": "2026-01-05T10:00:00.250000+08:00",
            "identity_document": "kk",
            "identity_verified": True,
            "kk_number": KK_2,
        },
    ),
    (
        "teratai",
        "S2",
        {"full_name": "Warga Uji Teratai", "alias": "tera_tai", "domicile_region_code": "52.71"},
    ),
    (
        "nandu",
        "S1",
        {
            "full_name": "Warga Uji \u00d1and\u00fa \u00c7empaka",
            "alias": "\u00c7empaka",
            "origin_region_code": "53.71",
        },
    ),
    ("seroja", "S2", {"full_name": "Warga Uji Seroja", "sex": "male", "phone": PHONE_2}),
    (
        "flamboyan",
        "S1",
        {
            "full_name": "Warga Uji Flamboyan",
            "alias": None,
            "sex": "unknown",
            "birth_date": None,
            "origin_region_code": None,
            "domicile_region_code": None,
        },
    ),
    ("garis", "S2", {"full_name": "Warga Uji Garis\\Miring", "alias": "100%", "origin_region_code": "53.05"}),
    (
        "bougenville",
        "S2",
        {"full_name": "Warga Uji Bougenville", "identity_verified": True, "notes": "dibatasi"},
    ),
]
STATUS_PATHS = {"melati": ["verified"], "anggrek": ["declined"], "seroja": ["verified", "awaiting_return"]}
REFERRALS = {
    "partner_a": ["melati", "kenanga", "dahlia", "nandu", "seroja"],
    "partner_b": ["mawar", "kenanga", "teratai", "seroja"],
}
ENDED = {"partner_b": ["seroja"]}  # referred, then withdrawn: B no longer sees it
RESTRICTED = {"dahlia", "bougenville"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def build_registry(client: Any, callers: Callers) -> Registry:
    sites = {
        "S1": (await make_site(client, callers, code="KD"))["id"],
        "S2": (await make_site(client, callers, code="KB"))["id"],
    }
    ids, names, niks = {}, {}, {}
    mid = None
    for index, (key, site, fields) in enumerate(SPEC):
        if index == 6:
            await asyncio.sleep(0.01)
            mid = datetime.now(UTC)
            await asyncio.sleep(0.01)
        person = await make_person(client, callers, sites[site], **fields)
        ids[key], names[key] = person["id"], person["full_name"]
        if fields.get("nik"):
            niks[key] = fields["nik"]
    officer = callers.officer.headers
    for key, path in STATUS_PATHS.items():
        for target in path:
            url = f"{PERSONS}/{ids[key]}/status-changes"
            _ok(await client.post(url, json={"to_status": target, "reason": "uji"}, headers=officer))
    agencies = {"partner_a": callers.agency_a, "partner_b": callers.agency_b}
    for partner, keys in REFERRALS.items():
        for key in keys:
            await refer(client, callers, ids[key], agencies[partner])
    for partner, keys in ENDED.items():
        for key in keys:
            url = f"{PERSONS}/{ids[key]}/referrals/{agencies[partner].id}"
            _ok(await client.delete(url, headers=officer), 204)
    for key in RESTRICTED:
        url = f"{PERSONS}/{ids[key]}/restriction"
        _ok(await client.post(url, json={"reason": "permintaan subjek data"}, headers=officer))
    referred = {p: set(keys) - set(ENDED.get(p, [])) for p, keys in REFERRALS.items()}
    assert mid is not None
    return Registry(sites, ids, names, referred, set(RESTRICTED), mid, niks)


# ---------------------------------------------------------------------------------------------
# The session path, as the routes ran it before the driver reads (and still run it on SQLite).


async def _end(session: Any) -> None:
    """End the test session's transaction: its audit rows are discarded, SQLite's lock released."""
    session.expunge_all()
    await session.rollback()


async def actor_of(session: Any, caller: Caller) -> Actor:
    owner = await auth_service.resolve(session, caller.token)
    await _end(session)
    assert owner is not None and owner.id == caller.user.id
    return Actor(
        kind=owner.kind, id=owner.id, role=owner.role, agency_id=owner.agency_id, token_id=owner.token_id
    )


def headers_of(caller: Caller, params: dict[str, str]) -> dict[str, str]:
    """The caller's headers, with X-Purpose when `params` names a purpose."""
    purpose = params.get("purpose")
    return {**caller.headers, "X-Purpose": purpose} if purpose else caller.headers


def with_purpose(actor: Actor, purpose: str | None) -> Actor:
    """The actor of a request naming `purpose` (as app.security.deps builds it)."""
    return dataclasses.replace(actor, purpose=Purpose(purpose) if purpose else None)


def to_filters(params: dict[str, str]) -> tuple[PersonFilters, str | None]:
    """The route's query parameters as `PersonReader.page` takes them."""

    def uid(name: str) -> uuid.UUID | None:
        return uuid.UUID(params[name]) if name in params else None

    verified = params.get("identity_verified")
    since = params.get("updated_since")
    filters = PersonFilters(
        site_id=uid("site_id"),
        status=Status(params["status"]) if "status" in params else None,
        origin_region_code=params.get("origin_region_code"),
        origin_province_code=params.get("origin_province_code"),
        domicile_region_code=params.get("domicile_region_code"),
        identity_verified=None if verified is None else verified == "true",
        referred_agency_id=uid("referred_agency_id"),
        q=params.get("q"),
        nik=params.get("nik"),
        updated_since=datetime.fromisoformat(since) if since else None,
    )
    return filters, params.get("purpose")


async def session_page(
    session: Any, actor: Actor, params: dict[str, str], page: PageParams
) -> tuple[list[AnyPersonRead], list[uuid.UUID], str | None, list[uuid.UUID]]:
    """`SessionPersonReader.page` rendered as the list route renders it; the page's real ids, its
    cursor, and the restricted persons on it."""
    filters, purpose = to_filters(params)
    try:
        persons = SessionPersonReader(session, with_purpose(actor, purpose))
        found, cursor = await persons.page(page, filters)
        ids = [f.person.id for f in found]
        referrals = await persons.active_referrals(ids)
        restricted = [f.person.id for f in found if f.person.restricted]
        return [presenter.present(f, actor, referrals) for f in found], ids, cursor, restricted
    finally:
        await _end(session)


async def session_get(
    session: Any, actor: Actor, ref: str, reason: str | None
) -> tuple[AnyPersonRead, uuid.UUID, int]:
    """`SessionPersonReader.get` rendered as the GET route renders it; the real id and the version."""
    try:
        found = await SessionPersonReader(session, with_purpose(actor, reason)).get(uuid.UUID(ref))
        view = presenter.present(found, actor, {found.person.id: found.referrals or []})
        return view, found.person.id, found.person.version
    finally:
        await _end(session)


# ---------------------------------------------------------------------------------------------
# Audit expectations: checked at the end, one event per request (by its X-Request-ID).


class AuditLog:
    def __init__(self) -> None:
        self.expected: list[tuple[str, dict[str, Any], str]] = []
        # Request id -> the restricted persons its break-the-glass event lists, where one is due.
        self.break_glass: dict[str, tuple[list[uuid.UUID], str, str]] = {}

    def lifted(self, response: Any, person_ids: list[uuid.UUID], purpose: str, context: str) -> None:
        """The request read these restricted persons under `purpose`: one break-the-glass event."""
        if person_ids:
            self.break_glass[response.headers["x-request-id"]] = (person_ids, purpose, context)

    def expect(self, response: Any, caller: Caller, actor: Actor, context: str, **fields: Any) -> None:
        who = {
            "actor_kind": "user",
            "actor_id": caller.user.id,
            "actor_role": actor.role.value,
            "agency_id": actor.agency_id,
            "resource_type": "person",
            "client_ip": CLIENT_IP,
        }
        self.expected.append((response.headers["x-request-id"], {**who, **fields}, context))

    def read(
        self, response: Any, caller: Caller, actor: Actor, ref: str, real: uuid.UUID, reason: Any
    ) -> None:
        self.expect(
            response,
            caller,
            actor,
            f"GET {ref} reason={reason!r}",
            action="person.read",
            resource_id=ref,
            person_ids=[real],
            reason=reason,
            outcome="success",
            status_code=None,
        )

    def denied(self, response: Any, caller: Caller, actor: Actor, ref: str | None, context: str) -> None:
        self.expect(
            response,
            caller,
            actor,
            context,
            resource_type=None if ref is None else "person",
            resource_id=ref,
            person_ids=[],
            reason=None,
            outcome="denied",
            status_code=response.status_code,
        )

    async def check(self, session: Any) -> None:
        events = (await session.scalars(select(AuditEvent))).all()
        await _end(session)
        by_request: dict[str | None, list[AuditEvent]] = defaultdict(list)
        lifted: dict[str | None, list[AuditEvent]] = defaultdict(list)
        for event in events:
            (lifted if event.action == "person.break_glass" else by_request)[event.request_id].append(event)
        for request_id, (person_ids, purpose, context) in self.break_glass.items():
            got = lifted.pop(request_id, [])
            assert [(e.person_ids, e.reason) for e in got] == [(person_ids, purpose)], context
        assert not lifted, "break-the-glass events without a restricted read"
        for request_id, wanted, context in self.expected:
            got = by_request.get(request_id, [])
            assert len(got) == 1, (context, [(e.action, e.outcome) for e in got])
            [event] = got
            values = {name: getattr(event, name) for name in wanted}
            assert values == wanted, context
            if wanted["outcome"] == "denied":
                assert event.action.startswith(("GET /api/v1/persons", "POST /api/v1/persons/search")), (
                    context,
                    event.action,
                )


@pytest.fixture
def driver_calls(monkeypatch: pytest.MonkeyPatch, backend: Any) -> Any:
    """Counts the routes' calls of the driver reads: all of them on PostgreSQL, none on SQLite."""
    calls: dict[str, int] = defaultdict(int)
    for name in ("get", "page", "active_referrals"):
        original = getattr(DriverPersonReader, name)

        async def counted(*args: Any, _original: Any = original, _name: str = name) -> Any:
            calls[_name] += 1
            return await _original(*args)

        monkeypatch.setattr(DriverPersonReader, name, counted)
    yield calls
    if backend.name == "postgresql":
        assert calls["get"] + calls["page"] > 0, "the PostgreSQL run must read on the driver"
    else:
        assert not calls, dict(calls)


# ---------------------------------------------------------------------------------------------


def filter_table(reg: Registry, callers: Callers) -> list[dict[str, str]]:
    since = reg.mid.isoformat().replace("+00:00", "Z")  # other offsets: the test at the end
    return [
        {},
        {"site_id": reg.sites["S2"]},
        {"status": "verified"},
        {"status": "registered", "site_id": reg.sites["S1"]},
        {"origin_province_code": "53"},
        {"origin_province_code": "52"},
        {"origin_region_code": "53.01"},
        {"domicile_region_code": "53.71"},
        {"identity_verified": "true"},
        {"identity_verified": "false"},
        {"referred_agency_id": str(callers.agency_a.id)},
        {"referred_agency_id": str(callers.agency_b.id)},
        {"q": "MELATI"},
        {"q": "wArGa uJi"},
        {"q": "anggi"},
        {"q": "%"},
        {"q": "50%"},
        {"q": "_"},
        {"q": "a_b"},
        {"q": "\\"},
        {"q": "\u00d1and\u00fa"},
        {"nik": reg.niks["melati"]},
        {"updated_since": since},
        {"purpose": REASON},
        {"purpose": REASON, "q": "uji", "referred_agency_id": str(callers.agency_a.id)},
        {"purpose": REASON, "site_id": reg.sites["S1"], "identity_verified": "false"},
        {"purpose": REASON, "nik": reg.niks["dahlia"]},
    ]


async def list_request(
    client: Any, caller: Caller, params: dict[str, str], limit: int | None, cursor: Any
) -> Any:
    """GET /persons, or POST /persons/search when a NIK is among the filters."""
    query = {k: v for k, v in params.items() if k not in ("purpose", "nik")}
    paging = {**({"limit": str(limit)} if limit else {}), **({"cursor": cursor} if cursor else {})}
    headers = headers_of(caller, params)
    if "nik" not in params:
        return await client.get(PERSONS, params={**query, **paging}, headers=headers)
    body = {**query, "nik": params["nik"]}
    return await client.post(f"{PERSONS}/search", params=paging, json=body, headers=headers)


async def compare_pages(
    client: Any,
    session: Any,
    caller: Caller,
    actor: Actor,
    params: dict[str, str],
    limit: int | None,
    audit: AuditLog,
) -> tuple[list[dict[str, Any]], list[uuid.UUID]]:
    """Follow both paths' cursors page by page; every page equal. All items and their real ids."""
    items: list[dict[str, Any]] = []
    real_ids: list[uuid.UUID] = []
    api_cursor: str | None = None
    after: str | None = None
    for number in range(1, 50):
        context = f"{actor.role.value} {params} limit={limit} page={number}"
        response = await list_request(client, caller, params, limit, api_cursor)
        assert response.status_code == 200, (context, response.text)
        assert response.headers["content-type"] == "application/json", context
        body = response.json()
        page = PageParams(limit=limit or 50, after=after)
        views, ids, cursor, restricted = await session_page(session, actor, params, page)
        assert body["items"] == [v.model_dump(mode="json") for v in views], context
        # The very bytes pydantic would have written for the session's page (cursors aside).
        expected = Page[AnyPersonRead](items=views, next_cursor=body["next_cursor"])
        assert response.content == expected.model_dump_json().encode(), context
        assert (body["next_cursor"] is None) == (cursor is None), context
        audit.expect(
            response,
            caller,
            actor,
            context,
            action="person.list",
            resource_id=None,
            person_ids=ids,
            reason=params.get("purpose"),
            outcome="success",
            status_code=None,
        )
        if params.get("purpose"):
            assert not (actor.is_partner and restricted), context
            audit.lifted(response, restricted, params["purpose"], context)
        items += body["items"]
        real_ids += ids
        if cursor is None:
            return items, real_ids
        # Different nonces, the same page boundary.
        assert decode_cursor(body["next_cursor"]) == decode_cursor(cursor) == str(ids[-1]), context
        api_cursor, after = body["next_cursor"], decode_cursor(cursor)
    raise AssertionError(f"no last page: {params}")


def matches(key: str, q: str) -> bool:
    """`q` as part of the name or alias, literally (`%`, `_` and `\\` are no wildcards)."""
    fields = next(fields for k, _, fields in SPEC if k == key)
    texts = (fields["full_name"], fields.get("alias", "Uji") or "")  # helpers' default alias: Uji
    return any(q.lower() in text.lower() for text in texts)


def origin(key: str) -> str:
    fields = next(fields for k, _, fields in SPEC if k == key)
    return fields.get("origin_region_code", "53.01") or ""  # helpers' default origin: 53.01


def visible_keys(reg: Registry, role: str, reason: bool) -> set[str]:
    """Partners never see a restricted person; staff only when they name a purpose."""
    if role.startswith("partner"):
        return reg.referred[role] - reg.restricted
    keys = set(reg.ids)
    return keys if reason else keys - reg.restricted


async def test_lists_match_the_session_path(client, callers, session, driver_calls):
    reg = await build_registry(client, callers)
    audit = AuditLog()
    table = filter_table(reg, callers)
    by_name = {name: key for key, name in reg.names.items()}
    for role in READERS:
        caller = callers.by_name()[role]
        actor = await actor_of(session, caller)
        for params in table:
            context = f"{role} {params}"
            if actor.role not in STAFF and "nik" in params:  # only who reads the full NIK searches by it
                response = await list_request(client, caller, params, None, None)
                assert_problem(response, 403)
                with pytest.raises(Forbidden):
                    await session_page(session, actor, params, PageParams(limit=50, after=None))
                audit.denied(response, caller, actor, None, context)
                continue
            whole, ids = await compare_pages(client, session, caller, actor, params, None, audit)
            paged, paged_ids = await compare_pages(client, session, caller, actor, params, 3, audit)
            assert paged == whole and paged_ids == ids, context
            assert ids == sorted(ids), context  # keyset order: by real id
            keys = {by_name[item["full_name"]] for item in whole}
            # Not only equal: right. What each role sees, and the filters whose answer is plain.
            visible = visible_keys(reg, role, "purpose" in params)
            assert keys <= visible, context
            if not actor.is_partner:
                assert [uuid.UUID(i["id"]) for i in whole] == ids, context
            if set(params) <= {"purpose"}:
                assert keys == visible, context
            if set(params) == {"q"}:
                assert keys == {k for k in visible if matches(k, params["q"])}, context
            if "updated_since" in params and not actor.is_partner:
                assert keys and keys != visible, context
            if params.get("status") == "verified":
                assert keys == visible & {"melati"}, context
            if set(params) == {"origin_province_code"}:
                province = params["origin_province_code"] + "."
                assert keys == {k for k in visible if origin(k).startswith(province)}, context
            if "nik" in params:
                assert keys == {k for k, nik in reg.niks.items() if nik == params["nik"]} & visible, context
                assert keys, context
            if "referred_agency_id" in params and actor.is_partner:
                own = params["referred_agency_id"] == str(actor.agency_id)
                assert keys == (visible if own else set()), context
            if set(params) == {"referred_agency_id"} and not actor.is_partner:
                agency = (
                    "partner_a" if params["referred_agency_id"] == str(callers.agency_a.id) else "partner_b"
                )
                assert keys == visible & reg.referred[agency], context
    viewer = callers.viewer
    viewer_actor = await actor_of(session, viewer)
    response = await client.get(PERSONS, headers=viewer.headers)
    assert_problem(response, 403)
    audit.denied(response, viewer, viewer_actor, None, "viewer list")
    await audit.check(session)


async def test_get_one_matches_the_session_path(client, callers, session, driver_calls):
    reg = await build_registry(client, callers)
    audit = AuditLog()
    by_name = {name: key for key, name in reg.names.items()}
    pseudonyms: dict[str, dict[str, str]] = {}
    for role in READERS:
        caller = callers.by_name()[role]
        actor = await actor_of(session, caller)
        # The ids this role knows the persons by: a partner's own, from its list.
        listing, real_ids = await compare_pages(
            client, session, caller, actor, {"purpose": REASON}, None, audit
        )
        known = {by_name[item["full_name"]]: item["id"] for item in listing}
        assert set(known) == visible_keys(reg, role, True), role
        for key, ref in known.items():
            real = real_ids[[i["id"] for i in listing].index(ref)]
            assert str(real) == reg.ids[key], (role, key)
            if actor.is_partner:
                assert ref != reg.ids[key], (role, key)  # a pseudonym, never the real id
                pseudonyms.setdefault(role, {})[key] = ref
            for reason in (None, REASON):
                context = f"GET {role} {key} reason={reason!r}"
                headers = headers_of(caller, {"purpose": reason} if reason else {})
                response = await client.get(f"{PERSONS}/{ref}", headers=headers)
                if key in reg.restricted and reason is None:
                    problem = assert_problem(response, 403)
                    assert "restricted" in problem["type"], problem
                    with pytest.raises(RestrictedRecord):
                        await session_get(session, actor, ref, reason)
                    audit.denied(response, caller, actor, ref, context)
                    continue
                assert response.status_code == 200, (context, response.text)
                view, real_id, version = await session_get(session, actor, ref, reason)
                assert real_id == real, context
                assert response.json() == view.model_dump(mode="json"), context
                assert response.content == view.model_dump_json().encode(), context
                assert response.headers["etag"] == f'"{version}"' == f'"{response.json()["version"]}"', (
                    context
                )
                audit.read(response, caller, actor, ref, real, reason)
                if key in reg.restricted:
                    audit.lifted(response, [real], REASON, context)
        if actor.is_partner:
            # A restricted person referred to the agency is unknown to it, whatever it sends.
            for key in reg.referred[role] & reg.restricted:
                ref = str(crypto.pseudonym(uuid.UUID(reg.ids[key]), actor.agency_id))
                await _not_found(client, session, audit, caller, actor, ref, f"{role} restricted {key}")
            # Not referred (or referral ended): 404 by the real id, as for any unknown id.
            for key in set(reg.ids) - reg.referred[role]:
                await _not_found(client, session, audit, caller, actor, reg.ids[key], f"{role} {key}")
            # Nor does the real id of a referred person work: only the agency's own id.
            for key in reg.referred[role]:
                await _not_found(client, session, audit, caller, actor, reg.ids[key], f"{role} real {key}")
    # Another agency's pseudonym of a person both agencies see is no id of mine.
    for mine, theirs in (("partner_a", "partner_b"), ("partner_b", "partner_a")):
        caller = callers.by_name()[mine]
        actor = await actor_of(session, caller)
        foreign = pseudonyms[theirs]["kenanga"]
        await _not_found(client, session, audit, caller, actor, foreign, f"{mine} foreign pseudonym")
    viewer = callers.viewer
    viewer_actor = await actor_of(session, viewer)
    for key, person_id in reg.ids.items():
        response = await client.get(f"{PERSONS}/{person_id}", headers=headers_of(viewer, {"purpose": REASON}))
        assert_problem(response, 403)
        assert reg.names[key] not in response.text
        audit.denied(response, viewer, viewer_actor, None, f"viewer GET {key}")
    await audit.check(session)


async def _not_found(
    client: Any, session: Any, audit: AuditLog, caller: Caller, actor: Actor, ref: str, context: str
) -> None:
    response = await client.get(f"{PERSONS}/{ref}", headers=headers_of(caller, {"purpose": REASON}))
    problem = assert_problem(response, 404)
    assert ref not in problem.get("detail", ""), context
    with pytest.raises(PersonNotFound):
        await session_get(session, actor, ref, REASON)
    audit.denied(response, caller, actor, ref, f"404 {context}")


@pytest.mark.parametrize("offset_hours", [0, 7, -3.5])
async def test_updated_since_is_an_instant_whatever_its_offset(
    client, callers, session, driver_calls, offset_hours
):
    """`updated_since` names an instant: 09:00+07:00 is 02:00Z, on both paths and both databases."""
    reg = await build_registry(client, callers)
    rows = (await session.execute(select(Person.id, Person.updated_at))).all()
    await _end(session)
    # What the filter must find: by the stored instants, compared in Python.
    expected = {str(i) for i, updated_at in rows if updated_at >= reg.mid} - {
        reg.ids[k] for k in reg.restricted
    }
    assert expected and expected != set(reg.ids.values())
    since = reg.mid.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()
    audit = AuditLog()
    actor = await actor_of(session, callers.officer)
    params = {"updated_since": since}
    items, ids = await compare_pages(client, session, callers.officer, actor, params, None, audit)
    assert {i["id"] for i in items} == expected, since
    await audit.check(session)

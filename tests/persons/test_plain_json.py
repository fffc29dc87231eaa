"""`plain_json` gives the very bytes of pydantic's `model_dump_json()` for the person views.

Pure unit tests (no database): the models are built as the presenter builds them, from values of
the kinds the session and the driver reads return (asyncpg's own UUID class, UTC datetimes, enum
values as plain strings), with text chosen to trip a JSON encoder.
"""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, get_args
from zoneinfo import ZoneInfo

from asyncpg.pgproto.pgproto import UUID as PgUUID
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.conventions import plain_json
from app.pagination import Page
from app.persons.schemas import (
    AnyPersonRead,
    IdentityDocument,
    LegalBasis,
    PartnerPersonRead,
    PersonRead,
    ReferralRead,
    Sex,
)
from app.persons.transitions import Status

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces a JSON encoder may get wrong: quotes, backslash, solidus, JS line separators, controls,
# DEL, BOM, RTL text and overrides, combining marks, ZWJ emoji, non-BMP characters, markup.
TRICKY = [
    '"',
    "\\",
    "/",
    "</script>",
    "'",
    "&",
    "\u2028",
    "\u2029",
    "\x00",
    "\x08",
    "\x0c",
    "\x1f",
    "\x7f",
    "\t\n\r",
    "\ufeff",
    "\ufffd",
    "\u200b",
    "\u202e",
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew (RTL)
    "\u0645\u0631\u062d\u0628\u0627",  # Arabic (RTL)
    "e\u0301",  # combining acute accent
    "\u0928\u092e\u0938\u094d\u0924\u0947",  # Devanagari with virama
    "\U0001f600",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # ZWJ sequence
    "\U0001f1ee\U0001f1e9",  # regional indicators (flag)
    "\U00010348",  # Gothic letter: outside the BMP
    "\U0010fffd",  # last plane
    "Ñandú Çempaka",
    "50% a_b",
]

# Any Unicode scalar value (no lone surrogates: neither database nor UTF-8 can hold one).
ANY_CHAR = st.characters(codec="utf-8")
texts = st.one_of(
    st.text(ANY_CHAR, max_size=30),
    st.sampled_from(TRICKY),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(ANY_CHAR, max_size=3)), max_size=8).map("".join),
)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


# UUIDs as the session returns them (uuid.UUID) and as asyncpg does (its own subclass).
uuids = st.one_of(
    st.uuids(),
    st.uuids().map(lambda u: PgUUID(u.bytes)),
    st.uuids().map(lambda u: PgUUID(str(u))),
)

# Datetimes in UTC as the database returns them, with and without microseconds; UTC as asyncpg
# and SQLAlchemy's UTCDateTime spell it (datetime.UTC), or as another zero offset or a zoneinfo.
utc_zones = st.sampled_from([UTC, timezone(timedelta(0)), timezone(timedelta(0), "UTC"), ZoneInfo("UTC")])
_aware = st.datetimes(timezones=utc_zones)
datetimes = st.one_of(_aware, _aware.map(lambda d: d.replace(microsecond=0)))
dates = st.dates()
years = st.integers(min_value=1, max_value=9999)
versions = st.integers(min_value=-(2**63), max_value=2**63 - 1)
sexes = st.sampled_from(get_args(Sex))
documents = st.sampled_from(get_args(IdentityDocument))
legal_bases = st.sampled_from(get_args(LegalBasis))
# The database hands the status over as a plain string; the presenter may pass an enum member.
statuses = st.sampled_from(list(Status)) | st.sampled_from([s.value for s in Status])


@st.composite
def referrals(draw: st.DrawFn) -> ReferralRead:
    values = {"agency_id": draw(uuids), "reason": draw(_optional(texts)), "referred_at": draw(datetimes)}
    if draw(st.booleans()):  # the presenter validates ORM rows and driver rows from attributes
        return ReferralRead.model_validate(SimpleNamespace(**values))
    return ReferralRead(**values)


@st.composite
def person_reads(draw: st.DrawFn) -> PersonRead:
    values: dict[str, Any] = {
        "view": "staff",
        "id": draw(uuids),
        "registration_number": draw(texts),
        "site_id": draw(uuids),
        "full_name": draw(_optional(texts)),
        "alias": draw(_optional(texts)),
        "sex": draw(sexes),
        "birth_date": draw(_optional(dates)),
        "birth_year": draw(_optional(years)),
        "nik": draw(_optional(texts)),
        "nik_region_code": draw(_optional(texts)),
        "kk_number": draw(_optional(texts)),
        "phone": draw(_optional(texts)),
        "domicile_address": draw(_optional(texts)),
        "origin_region_code": draw(_optional(texts)),
        "domicile_region_code": draw(_optional(texts)),
        "identity_document": draw(documents),
        "identity_verified": draw(st.booleans()),
        "identity_verified_at": draw(_optional(datetimes)),
        "identity_verified_by": draw(_optional(uuids)),
        "legal_basis": draw(legal_bases),
        "consent_at": draw(_optional(datetimes)),
        "status": draw(statuses),
        "status_changed_at": draw(datetimes),
        "restricted": draw(st.booleans()),
        "erased": draw(st.booleans()),
        "referrals": draw(st.lists(referrals(), max_size=3)),
        "version": draw(versions),
        "created_at": draw(datetimes),
        "updated_at": draw(datetimes),
    }
    # Fields with defaults: given (None / a list) or left to the default.
    if draw(st.booleans()):
        values["notes"] = draw(_optional(texts))
    if draw(st.booleans()):
        values["warnings"] = draw(st.lists(texts, max_size=3))
    return PersonRead(**values)


@st.composite
def partner_reads(draw: st.DrawFn) -> PartnerPersonRead:
    return PartnerPersonRead(
        view="partner",
        id=draw(uuids),
        site_id=draw(uuids),
        full_name=draw(_optional(texts)),
        alias=draw(_optional(texts)),
        sex=draw(sexes),
        birth_year=draw(_optional(years)),
        nik=draw(_optional(texts)),
        origin_region_code=draw(_optional(texts)),
        domicile_region_code=draw(_optional(texts)),
        identity_verified=draw(st.booleans()),
        status=draw(statuses),
        status_changed_at=draw(datetimes),
        referral=draw(referrals()),
        version=draw(versions),
        updated_at=draw(datetimes),
    )


any_reads = st.one_of(person_reads(), partner_reads())
cursors = st.none() | st.text(st.sampled_from("ABCXYZabcxyz0189-_"), min_size=1, max_size=60) | texts


def _same_bytes(model: Any) -> None:
    expected = model.model_dump_json().encode()
    assert plain_json(model) == expected


NOW = datetime(2026, 5, 9, 7, 35, 25, 123456, tzinfo=UTC)
_PG_ID = PgUUID(uuid.UUID(int=2**127 + 5).bytes)
_ALL_NONE = PersonRead(
    view="staff",
    id=_PG_ID,
    registration_number="KD-0001",
    site_id=uuid.UUID(int=1),
    full_name=None,
    alias=None,
    sex="unknown",
    birth_date=None,
    birth_year=None,
    nik=None,
    nik_region_code=None,
    kk_number=None,
    phone=None,
    domicile_address=None,
    origin_region_code=None,
    domicile_region_code=None,
    identity_document="none",
    identity_verified=False,
    identity_verified_at=None,
    identity_verified_by=None,
    legal_basis="public_task",
    consent_at=None,
    status="registered",
    status_changed_at=NOW,
    restricted=False,
    erased=True,
    referrals=[],
    notes=None,
    version=1,
    created_at=NOW.replace(microsecond=0),
    updated_at=NOW,
    warnings=[],
)
_PARTNER = PartnerPersonRead(
    view="partner",
    id=PgUUID(str(uuid.UUID(int=7))),
    site_id=_PG_ID,
    full_name='Warga "Uji" \\ /\u2028\U0001f600',
    alias=None,
    sex="female",
    birth_year=1995,
    nik="************9001",
    origin_region_code="53.01",
    domicile_region_code=None,
    identity_verified=True,
    status=Status.awaiting_return,
    status_changed_at=NOW,
    referral=ReferralRead(agency_id=_PG_ID, reason=None, referred_at=NOW),
    version=3,
    updated_at=NOW,
)


@SETTINGS
@given(person_reads())
@example(_ALL_NONE)
def test_person_read_bytes(model: PersonRead) -> None:
    _same_bytes(model)


@SETTINGS
@given(partner_reads())
@example(_PARTNER)
def test_partner_person_read_bytes(model: PartnerPersonRead) -> None:
    _same_bytes(model)


@SETTINGS
@given(referrals())
def test_referral_read_bytes(model: ReferralRead) -> None:
    _same_bytes(model)


@settings(SETTINGS, max_examples=100)
@given(st.lists(any_reads, max_size=6), cursors)
@example([_ALL_NONE, _PARTNER, _ALL_NONE], "c2VhbGVk-_")
@example([], None)
def test_page_of_mixed_views_bytes(items: list[Any], next_cursor: str | None) -> None:
    page = Page[AnyPersonRead](items=items, next_cursor=next_cursor)
    _same_bytes(page)
    # Built as the list route builds it, the page keeps the views themselves (no copies).
    assert all(a is b for a, b in zip(page.items, items, strict=True))


def test_each_view_is_read_back_as_itself_by_its_view() -> None:
    """The union is discriminated by `view`: the JSON of each view validates as that view."""
    body = plain_json({"items": [_PARTNER, _ALL_NONE], "next_cursor": None})
    page = Page[AnyPersonRead].model_validate_json(body)
    assert [type(item) for item in page.items] == [PartnerPersonRead, PersonRead]
    assert page.items == [_PARTNER, _ALL_NONE]


def test_asyncpg_uuid_is_a_uuid_subclass_orjson_does_not_take() -> None:
    """The case `plain_json`'s default handles: the driver's UUIDs are not `uuid.UUID` itself."""
    value = PgUUID(uuid.UUID(int=42).bytes)
    assert isinstance(value, uuid.UUID) and type(value) is not uuid.UUID
    assert str(value) == str(uuid.UUID(int=42))
    model = ReferralRead(agency_id=value, reason=None, referred_at=NOW)
    assert type(model.agency_id) is PgUUID  # pydantic keeps the instance as given
    assert plain_json(model) == model.model_dump_json().encode()
    assert b'"agency_id":"00000000-0000-0000-0000-00000000002a"' in plain_json(model)


def test_utc_is_written_with_z_and_microseconds_only_when_present() -> None:
    whole = ReferralRead(agency_id=uuid.UUID(int=1), reason=None, referred_at=NOW.replace(microsecond=0))
    fraction = ReferralRead(agency_id=uuid.UUID(int=1), reason=None, referred_at=NOW)
    assert b'"referred_at":"2026-05-09T07:35:25Z"' in plain_json(whole)
    assert b'"referred_at":"2026-05-09T07:35:25.123456Z"' in plain_json(fraction)
    for model in (whole, fraction):
        assert plain_json(model) == model.model_dump_json().encode()

"""The fact registry: what a rule may ask about a person, each fact with a Python and an SQL side.

The two back ends share one two-valued semantics (a condition is true or false, never unknown):

- A fact has a value or is missing (null): no birth date, no domicile region, no NIK region.
- Every comparison (eq ne in not_in lt lte gt gte starts_with) with a missing fact is false,
  `ne` and `not_in` included: missing data never satisfies a comparison. So `ne` differs from
  `not eq` on a missing value; rules test for missing data with is_null / not_null.
- all / any / not combine those definite results with ordinary boolean logic. In SQL every
  comparison on a nullable fact is guarded by IS NOT NULL, so no NULL reaches AND / OR / NOT and
  SQL's three-valued logic collapses to the same two values.
- age_years: whole years completed on as_of (someone born on 29 February has a birthday on
  1 March in other years). days_since_*: calendar days from the event's date in Kota Kupang
  (WITA, UTC+8, no daylight saving) to as_of; negative when the event is after as_of.
- present_in_latest_census: observed `present` in the latest census round of the person's site
  held on or before as_of (latest: held_on, then id); false when there is no such round or the
  person was not observed in it.
- Facts are the registry's current values; as_of moves only the date-relative facts and picks the
  rule set in force.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Integer, case, exists, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from app.censuses.models import CensusObservation, CensusRound
from app.clock import office_today
from app.eligibility.operators import Op
from app.persons.models import Person
from app.persons.transitions import Status
from app.regions.schemas import normalize_region_code

# Kota Kupang keeps WITA all year, so a fixed offset gives its calendar day in both back ends.
LOCAL_OFFSET_HOURS = 8
INTEGER_LIMIT = 1_000_000


def local_date(moment: datetime) -> date:
    """The calendar day of `moment` in Kota Kupang."""
    return (moment.astimezone(UTC) + timedelta(hours=LOCAL_OFFSET_HOURS)).date()


def local_today() -> date:
    """Today in Kota Kupang: the default evaluation date."""
    return office_today()


class FactType(StrEnum):
    string = "string"
    integer = "integer"
    boolean = "boolean"
    uuid = "uuid"
    region_code = "region_code"
    province_code = "province_code"


_EQUALITY = (Op.eq, Op.ne, Op.in_, Op.not_in)
TYPE_OPS: dict[FactType, tuple[Op, ...]] = {
    FactType.string: _EQUALITY,
    FactType.integer: (*_EQUALITY, Op.lt, Op.lte, Op.gt, Op.gte),
    FactType.boolean: (Op.eq, Op.ne),
    FactType.uuid: _EQUALITY,
    FactType.region_code: (*_EQUALITY, Op.starts_with),
    FactType.province_code: _EQUALITY,
}

_PROVINCE = re.compile(r"^\d{2}$")
_REGION_PREFIX = re.compile(r"^\d{1,2}(\.\d{0,2})?$")


@dataclass(frozen=True)
class FactContext:
    """What the Python side needs besides the person row."""

    as_of: date
    present_in_latest_census: bool = False


@dataclass(frozen=True)
class Fact:
    name: str
    type: FactType
    description: str
    python: Callable[[Person, FactContext], Any]
    sql: Callable[[date], ColumnElement[Any]]
    nullable: bool = False
    choices: tuple[str, ...] | None = None
    # The column whose NULL makes the fact missing (a computed fact is missing when its source is).
    source: Callable[[], ColumnElement[Any]] | None = None
    # The persons column the fact's value reveals: a role the inventory does not let read it gets the
    # fact masked (app.privacy.inventory). None: a fact of no single column (a census presence).
    reveals: str | None = None

    @property
    def operators(self) -> tuple[Op, ...]:
        return TYPE_OPS[self.type] + ((Op.is_null, Op.not_null) if self.nullable else ())

    def missing_sql(self, as_of: date) -> ColumnElement[bool]:
        return (self.source() if self.source else self.sql(as_of)).is_(None)

    def check(self, value: Any, op: Op) -> Any:
        """The value in canonical form; ValueError (never echoing the value) when it has the wrong type."""
        if op is Op.starts_with:
            if not isinstance(value, str) or not _REGION_PREFIX.match(value):
                raise ValueError("must be the start of a region code, e.g. 53 or 53.7")
            return value
        if self.choices is not None:
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"must be one of: {', '.join(self.choices)}")
            return value
        return _CHECKS[self.type](value)

    def canonical_actual(self, value: Any) -> Any:
        """A value read back from SQL (JSON) in the Python side's form."""
        if value is None:
            return None
        if self.type is FactType.uuid:
            return str(uuid.UUID(str(value)))
        if self.type is FactType.boolean:
            return bool(value)
        return value


def _integer(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("must be an integer")
    if not -INTEGER_LIMIT <= value <= INTEGER_LIMIT:
        raise ValueError(f"must be between -{INTEGER_LIMIT} and {INTEGER_LIMIT}")
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError("must be true or false")
    return value


def _uuid(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a UUID")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be a UUID") from None


def _region(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a regency/city code such as 53.71")
    code = normalize_region_code(value)
    if "." not in code:
        raise ValueError("must be a regency/city code such as 53.71 (use the *_province_code fact)")
    return code


def _province(value: Any) -> str:
    if not isinstance(value, str) or not _PROVINCE.match(value.strip()):
        raise ValueError("must be a province code such as 53")
    return value.strip()


_CHECKS: dict[FactType, Callable[[Any], Any]] = {
    FactType.string: lambda v: v,  # every string fact has choices
    FactType.integer: _integer,
    FactType.boolean: _boolean,
    FactType.uuid: _uuid,
    FactType.region_code: _region,
    FactType.province_code: _province,
}


# --- date arithmetic, written per dialect so both back ends compute the same integers ---------


class _Year(FunctionElement[int]):
    type = Integer()
    inherit_cache = True
    name = "year_of"


class _MonthDay(FunctionElement[int]):
    """Month * 100 + day: comparing it tells whether the birthday has come this year."""

    type = Integer()
    inherit_cache = True
    name = "month_day_of"


class _DaysSince(FunctionElement[int]):
    """Days from the local (WITA) date of a timestamp to a date."""

    type = Integer()
    inherit_cache = True
    name = "days_since"


@compiles(_Year)
def _year_pg(element: _Year, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(YEAR FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(_Year, "sqlite")
def _year_sqlite(element: _Year, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%Y', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(_MonthDay)
def _month_day_pg(element: _MonthDay, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(EXTRACT(MONTH FROM {arg}) * 100 + EXTRACT(DAY FROM {arg}) AS INTEGER)"


@compiles(_MonthDay, "sqlite")
def _month_day_sqlite(element: _MonthDay, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%m%d', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(_DaysSince)
def _days_since_pg(element: _DaysSince, compiler: Any, **kw: Any) -> str:
    as_of, moment = (compiler.process(c, **kw) for c in element.clauses)
    local = f"CAST(({moment} AT TIME ZONE 'UTC') + INTERVAL '{LOCAL_OFFSET_HOURS} hours' AS DATE)"
    return f"(CAST({as_of} AS DATE) - {local})"


@compiles(_DaysSince, "sqlite")
def _days_since_sqlite(element: _DaysSince, compiler: Any, **kw: Any) -> str:
    # Timestamps are stored in UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'. SQLite rounds to milliseconds
    # (23:59:59.9999 would become the next day), so the shift starts from the whole seconds.
    # julianday differences of two dates are whole numbers.
    as_of, moment = (compiler.process(c, **kw) for c in element.clauses)
    local = f"date(substr({moment}, 1, 19), '+{LOCAL_OFFSET_HOURS} hours')"
    return f"CAST(julianday({as_of}) - julianday({local}) AS INTEGER)"


def age_years(birth_date: date, as_of: date) -> int:
    """Whole years completed on `as_of`."""
    before_birthday = (birth_date.month, birth_date.day) > (as_of.month, as_of.day)
    return as_of.year - birth_date.year - int(before_birthday)


def _age_sql(as_of: date) -> ColumnElement[int]:
    born = Person.birth_date
    before_birthday = case((_MonthDay(born) > as_of.month * 100 + as_of.day, 1), else_=0)
    return literal(as_of.year, Integer) - _Year(born) - before_birthday


def _days_since(column: Any) -> Callable[[date], ColumnElement[int]]:
    return lambda as_of: _DaysSince(literal(as_of, Date), column)


def latest_census_round_sql(as_of: date) -> Any:
    """The id of the latest round of the (correlated) person's site held on or before `as_of`."""
    return (
        select(CensusRound.id)
        .where(CensusRound.site_id == Person.site_id, CensusRound.held_on <= as_of)
        .order_by(CensusRound.held_on.desc(), CensusRound.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )


def _present_sql(as_of: date) -> ColumnElement[bool]:
    return exists().where(
        CensusObservation.census_id == latest_census_round_sql(as_of),
        CensusObservation.person_id == Person.id,
        CensusObservation.presence == "present",
    )


def _region_and_province(column: Any, region_text: str, province_text: str) -> tuple[Fact, Fact]:
    """A region code column's two facts: `<place>_region_code` and `<place>_province_code` (its 2 digits)."""
    name = column.key
    place = name.removesuffix("_region_code")

    def province(person: Person, _: FactContext) -> str | None:
        code = getattr(person, name)
        return code[:2] if code else None

    region_fact = Fact(
        name,
        FactType.region_code,
        region_text,
        lambda p, _: getattr(p, name),
        lambda _: column,
        nullable=True,
        reveals=name,
    )
    province_fact = Fact(
        f"{place}_province_code",
        FactType.province_code,
        province_text,
        province,
        lambda _: func.substr(column, 1, 2),
        nullable=True,
        source=lambda: column,
        reveals=name,
    )
    return region_fact, province_fact


_SEXES = ("female", "male", "unknown")
_DOCUMENTS = ("ktp", "kk", "other", "none")

_FACTS = (
    Fact(
        "status",
        FactType.string,
        "The person's status in the closure process (registered, verified, staying, declined...).",
        lambda p, _: p.status,
        lambda _: Person.status,
        choices=tuple(s.value for s in Status),
        reveals="status",
    ),
    Fact(
        "sex",
        FactType.string,
        "Sex as registered.",
        lambda p, _: p.sex,
        lambda _: Person.sex,
        choices=_SEXES,
        reveals="sex",
    ),
    Fact(
        "age_years",
        FactType.integer,
        "Whole years of age on the evaluation date; missing without a birth date.",
        lambda p, c: None if p.birth_date is None else age_years(p.birth_date, c.as_of),
        _age_sql,
        nullable=True,
        source=lambda: Person.birth_date,
        reveals="birth_date",
    ),
    *_region_and_province(
        Person.domicile_region_code,
        "Regency/city of the KTP/KK address (e.g. 53.71, Kota Kupang): decides city residency.",
        "Province of the KTP/KK address (e.g. 53, NTT).",
    ),
    *_region_and_province(
        Person.origin_region_code,
        "Regency/city the person comes from (daerah asal).",
        "Province the person comes from.",
    ),
    Fact(
        "nik_region_code",
        FactType.region_code,
        "Where the NIK was first issued (its first four digits): not where the person lives.",
        lambda p, _: p.nik_region_code,
        lambda _: Person.nik_region_code,
        nullable=True,
        reveals="nik_region_code",
    ),
    Fact(
        "has_nik",
        FactType.boolean,
        "Whether a NIK is on record.",
        lambda p, _: p.nik_blind_index is not None,
        lambda _: Person.nik_blind_index.is_not(None),
        reveals="nik_last4",
    ),
    Fact(
        "identity_verified",
        FactType.boolean,
        "Whether the identity was checked against a document.",
        lambda p, _: bool(p.identity_verified),
        lambda _: Person.identity_verified,
        reveals="identity_verified",
    ),
    Fact(
        "identity_document",
        FactType.string,
        "The identity document seen: ktp, kk, other or none.",
        lambda p, _: p.identity_document,
        lambda _: Person.identity_document,
        choices=_DOCUMENTS,
        reveals="identity_document",
    ),
    Fact(
        "site_id",
        FactType.uuid,
        "The site (lokalisasi) where the person was registered.",
        lambda p, _: str(p.site_id),
        lambda _: Person.site_id,
        reveals="site_id",
    ),
    Fact(
        "days_since_registration",
        FactType.integer,
        "Days from the registration date (WITA) to the evaluation date.",
        lambda p, c: c.as_of.toordinal() - local_date(p.created_at).toordinal(),
        _days_since(Person.created_at),
        reveals="created_at",
    ),
    Fact(
        "days_since_status_change",
        FactType.integer,
        "Days from the last status change (WITA) to the evaluation date.",
        lambda p, c: c.as_of.toordinal() - local_date(p.status_changed_at).toordinal(),
        _days_since(Person.status_changed_at),
        reveals="status_changed_at",
    ),
    Fact(
        "present_in_latest_census",
        FactType.boolean,
        "Observed present in the latest census round of the person's site held by the evaluation date.",
        lambda _, c: c.present_in_latest_census,
        _present_sql,
    ),
)

FACTS: dict[str, Fact] = {fact.name: fact for fact in _FACTS}


def python_values(person: Person, context: FactContext) -> dict[str, Any]:
    """Every fact of one person, computed in Python."""
    return {name: fact.python(person, context) for name, fact in FACTS.items()}

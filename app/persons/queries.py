"""The registry's read statements, each defined once: the session and the driver reader run them.

A leaf module (models and crypto only): services, readers and other domains import it, never the
reverse. Every statement names its parameters (`bindparam`), so that the driver reader can
compile one statement per shape and pass the values apart (app.persons.reader).
"""

import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, false, func, select
from sqlalchemy.orm import aliased

from app.persons.models import Person, Referral
from app.security import crypto
from app.security.principal import Actor


@dataclass
class PersonFilters:
    site_id: uuid.UUID | None = None
    status: str | None = None
    origin_region_code: str | None = None
    origin_province_code: str | None = None
    domicile_region_code: str | None = None
    identity_verified: bool | None = None
    referred_agency_id: uuid.UUID | None = None
    q: str | None = None
    nik: str | None = None
    updated_since: datetime | None = None


def readable(actor: Actor, stmt: Select[Any] | None = None) -> Select[Any]:
    """The persons `actor` may read: `stmt` (default: rows of person and the partner's referral)
    joined, for partners, to their agency's active referral; staff read every person."""
    if stmt is None:
        stmt = select(Person, Referral if actor.is_partner else None)
    if not actor.is_partner:
        return stmt
    # A named parameter: the driver reader compiles this once for every partner.
    return stmt.join(
        Referral,
        (Referral.person_id == Person.id)
        & (
            Referral.agency_id
            == bindparam("viewer_agency_id", actor.agency_id, type_=Referral.agency_id.type)
        )
        & Referral.ended_at.is_(None),
    )


def unrestricted_unless_lifted(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """`stmt` on persons without restricted ones, unless staff named a purpose (the rule of lists)."""
    return stmt if actor.lifts_restriction else stmt.where(Person.restricted.is_(False))


def one(actor: Actor, ref: Any, *, with_referrals: bool) -> Select[Any]:
    """Rows of (person, referral) behind `ref` (a partner's pseudonym, else the id); `ref` a value
    or a bind parameter. `with_referrals`: a staff reader's view of the active referrals too."""
    if actor.is_partner:
        return readable(actor).where(Referral.pseudonym == ref)
    if with_referrals:
        return (
            select(Person, Referral)
            .outerjoin(Referral, (Referral.person_id == Person.id) & Referral.ended_at.is_(None))
            .where(Person.id == ref)
            .order_by(Referral.referred_at)
        )
    return select(Person, None).where(Person.id == ref)


def _like_escaped(text: str) -> str:
    """`text` matched literally by LIKE: its `%` and `_` are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The filters compared for equality: (parameter name, column, the filter's attribute).
_EQUAL = (
    ("filter_site_id", Person.site_id, "site_id"),
    ("filter_status", Person.status, "status"),
    ("filter_origin_region_code", Person.origin_region_code, "origin_region_code"),
    ("filter_domicile_region_code", Person.domicile_region_code, "domicile_region_code"),
    ("filter_identity_verified", Person.identity_verified, "identity_verified"),
)


def filter_values(f: PersonFilters) -> dict[str, Any]:
    """The named parameters of the filters given, with their values: their names are the shape
    of the statement `filtered` builds (and the driver reader's cache key)."""
    values = {
        name: getattr(f, attribute) for name, _, attribute in _EQUAL if getattr(f, attribute) is not None
    }
    if f.origin_province_code:
        values["filter_origin_province"] = f.origin_province_code + "."
    if f.referred_agency_id:
        values["filter_referred_agency_id"] = f.referred_agency_id
    if f.q:
        values["filter_q"] = _like_escaped(f.q)
    if f.nik:
        values["filter_nik"] = crypto.blind_index(f.nik)
    if f.updated_since:
        values["filter_updated_since"] = f.updated_since
    return values


def filtered(stmt: Select[Any], values: dict[str, Any]) -> Select[Any]:
    """`stmt` narrowed by the filters of `filter_values` (a filter applies when its name is there)."""

    def param(name: str, column: Any) -> Any:
        # The column's type, not one guessed from the value: UTCDateTime converts to UTC first.
        return bindparam(name, values[name], type_=column.type)

    for name, column, _ in _EQUAL:
        if name in values:
            stmt = stmt.where(column == param(name, column))
    if "filter_origin_province" in values:
        stmt = stmt.where(
            Person.origin_region_code.startswith(param("filter_origin_province", Person.origin_region_code))
        )
    if "filter_referred_agency_id" in values:
        # An alias: a partner's query already joins its own referral, which must not correlate here.
        other = aliased(Referral)
        stmt = stmt.where(
            select(other.person_id)
            .where(
                other.person_id == Person.id,
                other.agency_id == param("filter_referred_agency_id", other.agency_id),
                other.ended_at.is_(None),
            )
            .exists()
        )
    if "filter_q" in values:
        # Lowered by the database on both sides: Python's casefold and SQLite's ASCII-only lower()
        # disagree on non-ASCII letters (Greek, accented), and then a name would not find itself.
        needle = func.lower(param("filter_q", Person.full_name))
        stmt = stmt.where(
            func.lower(Person.full_name).contains(needle, escape="\\")
            | func.lower(Person.alias).contains(needle, escape="\\")
        )
    if "filter_nik" in values:
        stmt = stmt.where(Person.nik_blind_index == param("filter_nik", Person.nik_blind_index))
    if "filter_updated_since" in values:
        stmt = stmt.where(Person.updated_at >= param("filter_updated_since", Person.updated_at))
    return stmt


def _none_match(actor: Actor, f: PersonFilters) -> bool:
    # Referrals to other agencies are not a partner's to know: none of them match.
    return actor.is_partner and f.referred_agency_id not in (None, actor.agency_id)


def page(actor: Actor, f: PersonFilters, values: dict[str, Any]) -> Select[Any]:
    """A list of the persons `actor` may read (before paging), narrowed by `values` of `f`."""
    stmt = unrestricted_unless_lifted(readable(actor), actor)
    if _none_match(actor, f):
        stmt = stmt.where(false())
    return filtered(stmt, values)


def page_shape(actor: Actor, f: PersonFilters, values: dict[str, Any]) -> Hashable:
    """Everything `page` branches on: equal shapes build the same statement (see test_queries)."""
    return (actor.is_partner, actor.lifts_restriction, _none_match(actor, f), tuple(values))


def active_referrals(person_ids: Sequence[uuid.UUID]) -> Select[Any]:
    """The active referrals of these persons (`person_ids`: an expanding parameter, one per id)."""
    return (
        select(Referral)
        .where(
            Referral.person_id.in_(bindparam("person_ids", list(person_ids), expanding=True)),
            Referral.ended_at.is_(None),
        )
        .order_by(Referral.referred_at)
    )


def exported(f: PersonFilters) -> Select[Any]:
    """The ids of an export: never restricted or erased persons."""
    stmt = select(Person.id).where(Person.restricted.is_(False), Person.erased_at.is_(None))
    return filtered(stmt, filter_values(f)).order_by(Person.id)

"""GET one person and a page of persons on the driver connection (PostgreSQL; see app.db_driver).

The queries, the visibility rules, the restricted-record rule and the audit events are the
service's own (`find_query`, `page_query`, `found_in`, `read_event`, `list_event`); only the
execution differs: each shape of statement is compiled once and runs on asyncpg, and rows
become plain objects with the attributes the presenter reads.
"""

import uuid
from collections import namedtuple
from collections.abc import Callable, Hashable, Sequence
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import Select, Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.audit import service as audit
from app.db_driver import DriverStatement
from app.pagination import PageParams, cut_page, keyset_query
from app.persons import service
from app.persons.models import Person, Referral
from app.persons.service import Found, PersonFilters
from app.security.principal import Actor

# A record of `select(Person, ...)` begins with the person's columns, in the table's order: the
# rows are split at this length. Checked here, so that a deferred column or column_property added
# to the model one day cannot shift values into the wrong attributes unnoticed.
_PERSON_KEYS = tuple(column.key for column in select(Person).selected_columns)
if tuple(column.key for column in Person.__table__.columns) != _PERSON_KEYS:
    raise RuntimeError("select(Person) no longer lists the persons table's columns in order")
_PERSON_COLUMNS = len(_PERSON_KEYS)
# Shapes seen: two for one person, and one per combination of list filters actually used.
_MAX_SHAPES = 512
_shapes: dict[Hashable, DriverStatement] = {}

ACTIVE_REFERRALS = DriverStatement(
    select(Referral)
    .where(
        Referral.person_id == any_(bindparam("person_ids", type_=ARRAY(Uuid()))),
        Referral.ended_at.is_(None),
    )
    .order_by(Referral.referred_at)
)


def _compiled(key: Hashable, build: Callable[[], Select[Any]]) -> DriverStatement:
    statement = _shapes.get(key)
    if statement is None:
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        statement = _shapes[key] = DriverStatement(build())
    return statement


@cache
def _row_type(keys: tuple[str, ...]) -> type:
    """A named tuple of these columns: built in C from a record, read by attribute like the ORM's."""
    return namedtuple("Row", keys, rename=True)  # noqa: PYI024 - the fields are known only at run time


def _pairs(records: Sequence[asyncpg.Record], keys: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """(person, referral or None) per record of a `select(Person, Referral | None)`."""
    person_row = _row_type(keys[:_PERSON_COLUMNS])
    referral_row = _row_type(keys[_PERSON_COLUMNS:])
    pairs = []
    for record in records:
        values = tuple(record)
        rest = values[_PERSON_COLUMNS:]
        referral = referral_row._make(rest) if rest[0] is not None else None
        pairs.append((person_row._make(values[:_PERSON_COLUMNS]), referral))
    return pairs


async def get(connection: asyncpg.Connection, actor: Actor, ref: uuid.UUID) -> Found:
    """`service.get`: one person (with its active referrals for staff); the read is audited."""
    statement = _compiled(
        ("one", actor.is_partner),
        lambda: service.find_query(actor, bindparam("ref"), with_referrals=True),
    )
    records = await statement.fetch(connection, {"ref": ref, "viewer_agency_id": actor.agency_id})
    found = service.found_in(_pairs(records, statement.keys), actor, ref, with_referrals=True)
    await _break_glass(connection, actor, [found.person])
    await audit.record_on_driver(connection, actor, **service.read_event(found, ref, actor.purpose))
    return found


async def list_persons(
    connection: asyncpg.Connection, actor: Actor, page: PageParams, filters: PersonFilters
) -> tuple[list[Found], str | None]:
    """`service.list_persons`: a page of visible persons; the page is audited."""
    query, params = service.page_query(actor, filters)
    query, page_params = keyset_query(query, Person.id, page)
    # SQLAlchemy's own statement cache key: the statement's structure, without the values.
    cache_key = query._generate_cache_key()
    statement = (
        DriverStatement(query) if cache_key is None else _compiled(("page", cache_key.key), lambda: query)
    )
    records = await statement.fetch(
        connection, {**params, **page_params, "viewer_agency_id": actor.agency_id}
    )
    pairs, cursor = cut_page(_pairs(records, statement.keys), page, lambda pair: pair[0].id)
    found = [Found(person, referral) for person, referral in pairs]
    await audit.record_on_driver(connection, actor, **service.list_event(found, actor.purpose))
    await _break_glass(connection, actor, [f.person for f in found])
    return found, cursor


async def _break_glass(connection: asyncpg.Connection, actor: Actor, persons: Sequence[Any]) -> None:
    """`service.record_break_glass` on the driver connection."""
    event = service.break_glass_event(actor, persons)
    if event is not None:
        await audit.record_on_driver(connection, actor, **event)


async def active_referrals(
    connection: asyncpg.Connection, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """`service.active_referrals`: the active referrals of many persons in one query."""
    result: dict[uuid.UUID, list[Any]] = {i: [] for i in person_ids}
    if person_ids:
        keys = ACTIVE_REFERRALS.keys
        for record in await ACTIVE_REFERRALS.fetch(connection, {"person_ids": list(person_ids)}):
            result[record["person_id"]].append(_row_type(keys)._make(record))
    return result

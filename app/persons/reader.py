"""The registry's audited reads: GET one person, a page of persons, their active referrals.

`reader_for(access)` is the one place that chooses the data path. `PersonReader` writes every
step once (the visibility and restriction rules, the audit events); its two implementations
only run the statements of app.persons.queries: `SessionPersonReader` through the ORM session
(SQLite, and every read that is not one of the hottest), `DriverPersonReader` on the driver
connection (PostgreSQL; app.db_driver). Why two: see the README's "Performance" section.
"""

import uuid
from collections import namedtuple
from collections.abc import Hashable, Sequence
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db_driver import DriverConnection, DriverStatement
from app.errors import Forbidden
from app.pagination import PageParams, cut_page, keyset_query, keyset_values, paginate_rows
from app.persons import access, queries
from app.persons.access import Found
from app.persons.models import Person
from app.persons.queries import PersonFilters
from app.privacy.inventory import may_read
from app.security.deps import ReadAccess
from app.security.principal import Actor

Pair = tuple[Any, Any]


class PersonReader:
    """Reads of persons as one caller may see them; each read is audited."""

    __slots__ = ("actor",)

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    async def get(self, ref: uuid.UUID) -> Found:
        """One person (with its active referrals for staff); 404, or the restriction rule."""
        found = access.found_in(await self._one(ref), self.actor, ref, with_referrals=True)
        await self._break_glass([found.person])
        await self._audit(access.read_event(found, ref, self.actor.purpose))
        return found

    async def page(self, page: PageParams, filters: PersonFilters) -> tuple[list[Found], str | None]:
        """A page of visible persons; restricted ones only under a purpose code."""
        if filters.nik and not may_read("persons", "nik_ciphertext", self.actor.role):
            # Who sees 4 digits of a NIK could confirm each guess of the rest by searching for it.
            raise Forbidden("Only roles that read the full NIK may search by it.")
        pairs, cursor = await self._page(page, filters, queries.filter_values(filters))
        found = [Found(person, referral) for person, referral in pairs]
        await self._audit(access.list_event(found, self.actor.purpose))
        await self._break_glass([f.person for f in found])
        return found, cursor

    async def active_referrals(self, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
        """The active referrals of many persons, in one query (none for partners: not theirs)."""
        result: dict[uuid.UUID, list[Any]] = {i: [] for i in person_ids}
        if person_ids and not self.actor.is_partner:
            for referral in await self._referrals(person_ids):
                result[referral.person_id].append(referral)
        return result

    async def _break_glass(self, persons: Sequence[Any]) -> None:
        event = access.break_glass_event(self.actor, persons)
        if event is not None:
            await self._audit(event)

    # What an implementation runs: the statements of app.persons.queries, and the audit insert.
    async def _one(self, ref: uuid.UUID) -> Sequence[Pair]:
        raise NotImplementedError

    async def _page(
        self, page: PageParams, filters: PersonFilters, values: dict[str, Any]
    ) -> tuple[Sequence[Pair], str | None]:
        raise NotImplementedError

    async def _referrals(self, person_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        raise NotImplementedError

    async def _audit(self, event: dict[str, Any]) -> None:
        raise NotImplementedError


class SessionPersonReader(PersonReader):
    """The reads through the ORM session: rows are mapped objects."""

    __slots__ = ("session",)

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        super().__init__(actor)
        self.session = session

    async def _one(self, ref: uuid.UUID) -> Sequence[Pair]:
        return (await self.session.execute(queries.one(self.actor, ref, with_referrals=True))).all()

    async def _page(
        self, page: PageParams, filters: PersonFilters, values: dict[str, Any]
    ) -> tuple[Sequence[Pair], str | None]:
        return await paginate_rows(self.session, queries.page(self.actor, filters, values), Person.id, page)

    async def _referrals(self, person_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        return (await self.session.scalars(queries.active_referrals(person_ids))).all()

    async def _audit(self, event: dict[str, Any]) -> None:
        await audit.record(self.session, self.actor, **event)


# A record of `select(Person, ...)` begins with the person's columns, in the table's order: the
# rows are split at this length. Checked here, so that a deferred column or column_property added
# to the model one day cannot shift values into the wrong attributes unnoticed.
_PERSON_KEYS = tuple(column.key for column in select(Person).selected_columns)
if tuple(column.key for column in Person.__table__.columns) != _PERSON_KEYS:
    raise RuntimeError("select(Person) no longer lists the persons table's columns in order")
_PERSON_COLUMNS = len(_PERSON_KEYS)
# Shapes seen: two for one person, one per combination of list filters actually used, and one
# per number of persons whose referrals are read (at most the largest page).
_MAX_SHAPES = 512
_shapes: dict[Hashable, DriverStatement] = {}


def _compiled(key: Hashable, build: Any, *, postcompile: bool = False) -> DriverStatement:
    """The statement of this shape, built (`build()`) and compiled on first use only."""
    statement = _shapes.get(key)
    if statement is None:
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        statement = _shapes[key] = DriverStatement(build(), postcompile=postcompile)
    return statement


@cache
def _row_type(keys: tuple[str, ...]) -> type:
    """A named tuple of these columns: built in C from a record, read by attribute like the ORM's."""
    return namedtuple("Row", keys, rename=True)  # the fields are known only at run time


def _pairs(records: Sequence[asyncpg.Record], keys: tuple[str, ...]) -> list[Pair]:
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


def _paged(actor: Actor, filters: PersonFilters, values: dict[str, Any], page: PageParams) -> Select[Any]:
    return keyset_query(queries.page(actor, filters, values), Person.id, page)[0]


class DriverPersonReader(PersonReader):
    """The reads on the driver connection: each shape of statement is built and compiled once
    (keyed by `queries.page_shape`, never by the values), and rows become named tuples with the
    attributes the presenter reads."""

    __slots__ = ("connection",)

    def __init__(self, connection: DriverConnection, actor: Actor) -> None:
        super().__init__(actor)
        self.connection = connection

    async def _one(self, ref: uuid.UUID) -> Sequence[Pair]:
        actor = self.actor
        statement = _compiled(
            ("one", actor.is_partner), lambda: queries.one(actor, bindparam("ref"), with_referrals=True)
        )
        records = await statement.fetch(self.connection, {"ref": ref, "viewer_agency_id": actor.agency_id})
        return _pairs(records, statement.keys)

    async def _page(
        self, page: PageParams, filters: PersonFilters, values: dict[str, Any]
    ) -> tuple[Sequence[Pair], str | None]:
        actor = self.actor
        key = ("page", queries.page_shape(actor, filters, values), page.after is None)
        statement = _compiled(key, lambda: _paged(actor, filters, values, page))
        params = {**values, **keyset_values(Person.id, page), "viewer_agency_id": actor.agency_id}
        records = await statement.fetch(self.connection, params)
        return cut_page(_pairs(records, statement.keys), page, lambda pair: pair[0].id)

    async def _referrals(self, person_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        count = len(person_ids)
        statement = _compiled(
            ("referrals", count), lambda: queries.active_referrals(person_ids), postcompile=True
        )
        params = {f"person_ids_{i}": person_id for i, person_id in enumerate(person_ids, 1)}
        row = _row_type(statement.keys)
        return [row._make(record) for record in await statement.fetch(self.connection, params)]

    async def _audit(self, event: dict[str, Any]) -> None:
        await audit.record_on_driver(self.connection, self.actor, **event)


def reader_for(access: ReadAccess) -> PersonReader:
    """The reader of a permitted read: on the driver connection where there is one, else the session."""
    if access.driver is not None:
        return DriverPersonReader(access.driver, access.actor)
    assert access.session is not None
    return SessionPersonReader(access.session, access.actor)

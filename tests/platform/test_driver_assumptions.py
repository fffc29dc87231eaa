"""What the driver reader takes from SQLAlchemy (app/db_driver.py, app/persons/reader.py).

SQLAlchemy is pinned below its next minor version; these fail loudly, before any read goes
wrong, if an upgrade changes what the driver path relies on: the compiled statement's
positional parameters and their order, `render_postcompile`, the dialect's paramstyle, the
column keys of a row, and the pool's public connection API.
"""

import re
import uuid

import asyncpg
import pytest
import sqlalchemy
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import create_async_engine

from app.db_driver import DriverStatement, Transaction
from app.persons import queries
from app.persons.models import Person, Referral
from app.security.policy import Role
from app.security.principal import Actor

DIALECT = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1/reintegrasi").dialect
PARTNER = Actor("user", uuid.uuid4(), Role.partner, uuid.uuid4(), uuid.uuid4())


def _numbers(sql: str) -> list[int]:
    return [int(n) for n in re.findall(r"\$(\d+)", sql)]


def test_sqlalchemy_is_the_minor_version_these_checks_were_written_for():
    major, minor = (int(part) for part in sqlalchemy.__version__.split(".")[:2])
    assert (major, minor) == (2, 1), "re-check app/db_driver.py's assumptions, then this test"


def test_asyncpg_statements_are_numbered_positionally():
    assert DIALECT.paramstyle == "numeric_dollar"
    assert DIALECT.positional


def test_positiontup_names_the_parameters_in_the_order_of_their_numbers():
    statement = select(Person.id).where(
        Person.status == bindparam("second"), Person.site_id == bindparam("first")
    )
    sql, names = DriverStatement(statement).compiled(DIALECT)
    assert names == ("second", "first")
    assert _numbers(sql) == [1, 2]
    assert sql.index("persons.status = $1") < sql.index("persons.site_id = $2")


def test_the_partner_join_compiles_to_named_parameters_only():
    statement = queries.one(PARTNER, bindparam("ref"), with_referrals=True)
    sql, names = DriverStatement(statement).compiled(DIALECT)
    assert set(names) == {"viewer_agency_id", "ref"}
    assert _numbers(sql) == list(range(1, len(names) + 1))


def test_render_postcompile_gives_one_numbered_parameter_per_value():
    ids = [uuid.uuid4() for _ in range(3)]
    sql, names = DriverStatement(queries.active_referrals(ids), postcompile=True).compiled(DIALECT)
    assert names == ("person_ids_1", "person_ids_2", "person_ids_3")
    assert "referrals.person_id IN ($1::UUID, $2::UUID, $3::UUID)" in sql


def test_row_keys_are_the_tables_columns_in_order():
    keys = DriverStatement(select(Person, Referral)).keys
    person = tuple(c.key for c in Person.__table__.columns)
    referral = tuple(c.key for c in Referral.__table__.columns)
    assert keys == person + referral
    # A staff page selects no referral: one NULL column after the person's, which `_pairs` reads as None.
    assert len(DriverStatement(select(Person, None)).keys) == len(person) + 1


async def test_a_transaction_runs_on_the_engines_own_dialect_and_connection(app, backend):
    if backend.name != "postgresql":
        pytest.skip("the driver connection is PostgreSQL's")
    engine = app.state.engine
    statement = DriverStatement(select(bindparam("a", type_=Integer), bindparam("b", type_=Integer)))
    async with Transaction(engine) as connection:
        assert connection.dialect is engine.dialect
        assert isinstance(connection.raw, asyncpg.Connection)
        assert [tuple(r) for r in await statement.fetch(connection, {"b": 2, "a": 1})] == [(1, 2)]
    pooled = await engine.raw_connection()  # the public API the Transaction uses
    try:
        assert isinstance(pooled.driver_connection, asyncpg.Connection)
        assert callable(pooled.invalidate)
    finally:
        pooled.close()

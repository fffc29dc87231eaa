"""The benchmark's reference app runs the API's own SQL: a change to the queries must reach it."""

import uuid

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import create_async_engine

from app.audit.service import APPEND_ON_DRIVER
from app.auth.service import RESOLVE_ON_DRIVER
from app.db_driver import DriverStatement
from app.pagination import PageParams, keyset_query
from app.persons import queries
from app.persons.models import Person
from app.persons.schemas import PersonRead
from app.security.policy import Role
from app.security.principal import Actor
from bench import limit_app

OFFICER = Actor("user", uuid.uuid4(), Role.officer, None, uuid.uuid4())
# The dialect of the app's PostgreSQL engine (no connection is made).
DIALECT = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1/reintegrasi").dialect


def _sql(statement: DriverStatement) -> str:
    return statement.compiled(DIALECT)[0]


def _page_sql(after: str | None) -> str:
    filters = queries.PersonFilters()
    query = queries.page(OFFICER, filters, queries.filter_values(filters))
    query, _ = keyset_query(query, Person.id, PageParams(limit=50, after=after))
    return _sql(DriverStatement(query))


def test_reference_runs_the_apis_statements():
    one = queries.one(OFFICER, bindparam("ref"), with_referrals=True)
    assert _sql(RESOLVE_ON_DRIVER) == limit_app.OWNER_SQL
    assert _sql(DriverStatement(one)) == limit_app.ONE_SQL
    assert _page_sql(None) == limit_app.PAGE_SQL
    assert _page_sql(str(uuid.uuid4())) == limit_app.PAGE_AFTER_SQL
    for count in (1, 2, 50):
        referrals = queries.active_referrals([uuid.uuid4()] * count)
        assert _sql(DriverStatement(referrals, postcompile=True)) == limit_app.referrals_sql(count)
    assert _sql(APPEND_ON_DRIVER) == limit_app.AUDIT_SQL


def test_reference_answers_the_staff_view_with_its_fields_in_order():
    """Its JSON is the API's: PersonRead's fields, in order, its `view` discriminator included."""
    row = {name: None for name in PersonRead.model_fields} | {"id": uuid.uuid4(), "erased_at": None}
    row |= {"nik_ciphertext": None, "kk_ciphertext": None}
    view = limit_app.person_view(row, [])
    assert list(view) == list(PersonRead.model_fields)
    assert view["view"] == "staff"

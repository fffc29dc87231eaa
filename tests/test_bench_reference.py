"""The benchmark's reference app runs the API's own SQL: a change to the queries must reach it."""

import uuid

from sqlalchemy import bindparam

from app.audit.service import APPEND_ON_DRIVER
from app.auth.service import RESOLVE_ON_DRIVER
from app.db_driver import DriverStatement
from app.pagination import PageParams, keyset_query
from app.persons import driver_reads, service
from app.persons.models import Person
from app.security.policy import Role
from app.security.principal import Actor
from bench import limit_app

OFFICER = Actor("user", uuid.uuid4(), Role.officer, None, uuid.uuid4())


def _sql(statement: DriverStatement) -> str:
    return statement._compiled()[0]


def _page_sql(after: str | None) -> str:
    query, _ = service.page_query(OFFICER, service.PersonFilters())
    query, _ = keyset_query(query, Person.id, PageParams(limit=50, after=after))
    return _sql(DriverStatement(query))


def test_reference_runs_the_apis_statements():
    one = service.find_query(OFFICER, bindparam("ref"), with_referrals=True)
    assert _sql(RESOLVE_ON_DRIVER) == limit_app.OWNER_SQL
    assert _sql(DriverStatement(one)) == limit_app.ONE_SQL
    assert _page_sql(None) == limit_app.PAGE_SQL
    assert _page_sql(str(uuid.uuid4())) == limit_app.PAGE_AFTER_SQL
    assert _sql(driver_reads.ACTIVE_REFERRALS) == limit_app.REFERRALS_SQL
    assert _sql(APPEND_ON_DRIVER) == limit_app.AUDIT_SQL

"""The driver reader compiles a page's statement once per `queries.page_shape`: equal shapes must
build the same SQL whatever the values (else a cached statement would run with the wrong
filters), and different shapes different SQL (else the cache holds copies), save where none match."""

import itertools
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import create_async_engine

from app.db_driver import DriverStatement
from app.persons import queries
from app.privacy.purpose import Purpose
from app.security.policy import Role
from app.security.principal import Actor

DIALECT = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1/reintegrasi").dialect
AGENCY = uuid.uuid4()
ACTORS = [
    Actor("user", uuid.uuid4(), Role.officer, None, uuid.uuid4()),
    Actor("user", uuid.uuid4(), Role.officer, None, uuid.uuid4(), purpose=Purpose.legal_claim),
    Actor("user", uuid.uuid4(), Role.partner, AGENCY, uuid.uuid4()),
]


def _values(seed: int) -> dict[str, object]:
    """A value of every filter (differing with `seed`)."""
    return {
        "site_id": uuid.UUID(int=seed + 1),
        "status": ["registered", "verified"][seed],
        "origin_region_code": ["53.01", "52.02"][seed],
        "origin_province_code": ["53", "52"][seed],
        "domicile_region_code": ["53.71", "53.72"][seed],
        "identity_verified": [True, False][seed],
        "referred_agency_id": [AGENCY, uuid.UUID(int=9)][seed],
        "q": ["melati", "50%"][seed],
        "nik": ["5301011234560001", "5201019876540002"][seed],
        "updated_since": datetime(2026, 1, 1 + seed, tzinfo=UTC),
    }


def _filters(names: tuple[str, ...], seed: int) -> queries.PersonFilters:
    values = _values(seed)
    return queries.PersonFilters(**{name: values[name] for name in names})


def _cases():
    names = list(_values(0))
    subsets = [(), *((n,) for n in names), tuple(names), ("q", "referred_agency_id"), ("site_id", "nik")]
    for actor, subset, seed in itertools.product(ACTORS, subsets, (0, 1)):
        filters = _filters(subset, seed)
        values = queries.filter_values(filters)
        sql, _ = DriverStatement(queries.page(actor, filters, values)).compiled(DIALECT)
        yield queries.page_shape(actor, filters, values), sql


def test_a_page_shape_is_one_statement_and_one_statement_one_shape():
    by_shape: dict[object, set[str]] = {}
    by_sql: dict[str, set[object]] = {}
    for shape, sql in _cases():
        by_shape.setdefault(shape, set()).add(sql)
        by_sql.setdefault(sql, set()).add(shape)
    assert all(len(sqls) == 1 for sqls in by_shape.values())
    # `WHERE false` drops the other criteria: those shapes share one statement, rightly.
    assert all(len(shapes) == 1 for sql, shapes in by_sql.items() if "WHERE false" not in sql)
    assert len(by_shape) > 30  # the cases do reach many shapes


def test_a_partner_naming_another_agency_is_its_own_shape():
    partner = ACTORS[2]
    own, other = _filters(("referred_agency_id",), 0), _filters(("referred_agency_id",), 1)
    own_shape = queries.page_shape(partner, own, queries.filter_values(own))
    assert own_shape != queries.page_shape(partner, other, queries.filter_values(other))

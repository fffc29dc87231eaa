"""Schemathesis over every operation of the app's own OpenAPI, as an admin and as a partner.

The app is driven through Schemathesis' ASGI transport (synchronous, an event loop per call), so
the test gives it a NullPool engine: no connection outlives the loop it was opened in.
"""

import asyncio
import shutil
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db import _configure_sqlite, create_sessionmaker
from app.main import create_app
from tests.factories import make_callers

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    use_after_free,
    ensure_resource_availability,
    ignored_auth,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, backend):
    if backend.name != "sqlite":
        pytest.skip("schemathesis runs on the embedded database (its ASGI transport opens a loop per call)")
    path = tmp_path_factory.mktemp("fuzz") / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(backend.tmp / "template.db", path)
    url = f"sqlite+aiosqlite:///{path}"
    app = create_app(Settings(database_url=url))
    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    _configure_sqlite(engine)
    app.state.engine, app.state.sessionmaker = engine, create_sessionmaker(engine)

    async def arrange():
        async with app.state.sessionmaker() as session:
            return await make_callers(session)

    callers = asyncio.run(arrange())
    return app, callers


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    app, _ = fuzzed
    return schemathesis.openapi.from_asgi("/openapi.json", app)


FUZZ = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _fuzz_every_operation(schema, headers, checks=CHECKS):
    """Run the checks on every operation; return the failures as readable lines."""
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except (AssertionError, BaseExceptionGroup, Exception) as exc:  # a line per failing operation
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    print(f"\noperations={operations} failing={len(failures)}")
    return failures


@pytest.mark.parametrize("role", ["admin", "partner_a"])
def test_every_operation_conforms(api_schema, fuzzed, role):
    _, callers = fuzzed
    failures = _fuzz_every_operation(api_schema, getattr(callers, role).headers)
    assert not failures, "\n".join(failures)


def test_the_harness_catches_a_broken_operation(fuzzed):
    """A guard against a vacuous pass: an operation that fails its checks must be reported."""
    app, callers = fuzzed
    from fastapi import FastAPI

    broken = FastAPI()

    @broken.get("/api/v1/broken", responses={200: {"content": {"application/json": {}}}})
    async def answer_wrongly() -> dict[str, str]:
        raise RuntimeError("boom")

    schema = schemathesis.openapi.from_asgi("/openapi.json", broken)
    failures = _fuzz_every_operation(schema, callers.admin.headers)
    assert len(failures) == 1 and "GET /api/v1/broken" in failures[0]


def test_the_harness_catches_an_undeclared_status(fuzzed):
    """`status_code_conformance`: an answer whose status the operation does not declare is a failure."""
    _, callers = fuzzed
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    teapot = FastAPI()

    @teapot.get("/api/v1/teapot", responses={200: {"content": {"application/json": {}}}})
    async def answer_undeclared() -> JSONResponse:
        return JSONResponse({"detail": "short and stout"}, status_code=418)

    schema = schemathesis.openapi.from_asgi("/openapi.json", teapot)
    failures = _fuzz_every_operation(schema, callers.admin.headers, checks=[status_code_conformance])
    assert len(failures) == 1 and "GET /api/v1/teapot" in failures[0], failures

"""Test harness: every test runs on SQLite and on PostgreSQL, with the schema built by alembic.

Isolation: on SQLite each test gets a fresh copy of a migrated database file; on PostgreSQL the
tables are emptied before each test (tests that race requests need real commits, so a wrapping
transaction would not do).

Parallel runs (pytest-xdist, `make test`): each worker process has its own SQLite template and its
own PostgreSQL database, so workers never see each other's rows, locks or open transactions.
"""

import asyncio
import base64
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

# Settings are read from the environment once; set the test values before the app is imported.
os.environ.update(
    REINTEGRASI_ENVIRONMENT="test",
    REINTEGRASI_SECRET_KEY="test-secret-key-not-for-production",
    REINTEGRASI_DATA_KEY=base64.urlsafe_b64encode(b"test-data-key-0123456789abcdef!!").decode(),
    REINTEGRASI_BLIND_INDEX_KEY=base64.urlsafe_b64encode(b"test-blind-index-key-0123456789a").decode(),
    # OWASP's minimum Argon2id parameters: production defaults are stronger, tests need speed.
    REINTEGRASI_ARGON2_TIME_COST="2",
    REINTEGRASI_ARGON2_MEMORY_KIB=str(19 * 1024),
    REINTEGRASI_ARGON2_PARALLELISM="1",
)

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import event, text

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from tests.ledger import pytest_sessionfinish, pytest_terminal_summary, pytest_testnodedown  # noqa: F401
from tests.postgres import postgres_server_url

ROOT = Path(__file__).resolve().parent.parent
# Reference data, loaded once by migration-time fixtures and kept between tests.
KEPT_TABLES = {"alembic_version", "regions"}


def migrate(database_url: str) -> None:
    """Build the schema the way production does: alembic upgrade head."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


async def _load_regions(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    from app.regions import service as region_service

    async with app.state.sessionmaker() as session:
        await region_service.ensure_loaded(session)
        await session.commit()
    await app.state.engine.dispose()


@dataclass
class Backend:
    name: str
    template_url: str
    tmp: Path | None = None

    def fresh_url(self) -> str:
        if self.name == "sqlite":
            assert self.tmp is not None
            copy = self.tmp / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(self.tmp / "template.db", copy)
            return f"sqlite+aiosqlite:///{copy}"
        return self.template_url


def _sqlite_backend(tmp: Path) -> Backend:
    url = f"sqlite+aiosqlite:///{tmp / 'template.db'}"
    migrate(url)
    asyncio.run(_load_regions(url))
    return Backend("sqlite", url, tmp)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield _sqlite_backend(tmp_path_factory.mktemp("sqlite"))
        return
    with postgres_server_url() as server_url:
        import psycopg

        # One database per run and per xdist worker (the name says which, for a stray one).
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"reintegrasi_test_{worker}_{uuid.uuid4().hex[:10]}"
        admin_url = server_url.replace("postgresql+asyncpg://", "postgresql://")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            # A test database need not survive a power cut: commits skip the wait for the disk
            # (2-4 ms each, dozens per test). Durability is the reliability suite's, on its own server.
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        url = server_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            migrate(url)
            asyncio.run(_load_regions(url))
            yield Backend("postgresql", url)
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# DELETE FROM every table that has a row, in one round trip. A test leaves rows in a few of the
# tables: deleting them takes milliseconds, where TRUNCATE (new files for every table) took about
# a second per test.
_EMPTY_TABLES = f"""
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
        AND tablename NOT IN ({", ".join(f"'{t}'" for t in sorted(KEPT_TABLES))})
    LOOP
        EXECUTE format('DELETE FROM %I', name);
    END LOOP;
END $$
"""  # noqa: S608 - the names are KEPT_TABLES above


async def _truncate(app, physically: bool = False) -> None:
    """Empty every table but the reference data; `physically` also leaves no deleted row in the files."""
    async with app.state.engine.begin() as conn:
        # The audit tables refuse DELETE and TRUNCATE (triggers); the harness, a superuser, skips them,
        # and the foreign keys with them (every table is emptied, so none is left dangling).
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        if not physically:
            await conn.exec_driver_sql(_EMPTY_TABLES)
            return
        names = (
            await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ).scalars()
        tables = [n for n in names if n not in KEPT_TABLES]
        if tables:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))


# Deleted rows stay in the table files until vacuumed. Tests that search those files (erasure)
# pass after passing tests, whose every named row was erased; after a failed test the next one
# starts from new, empty files, so one failure does not cascade.
_LAST_TEST_FAILED = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    global _LAST_TEST_FAILED
    report = yield
    if report.failed:
        _LAST_TEST_FAILED = True
    return report


def _no_fsync(dbapi_connection, _record) -> None:
    """The test copy of the database need not survive a power cut (as synchronous_commit above)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


# One app per backend for the whole run: FastAPI analyses every route of a new app on its first
# requests, which costs more than most tests. Each test still gets its own database and engine.
_SHARED_APPS: dict[str, FastAPI] = {}


@pytest.fixture
async def app(backend: Backend) -> AsyncIterator[FastAPI]:
    settings = Settings(database_url=backend.fresh_url())
    application = _SHARED_APPS.get(backend.name) or _SHARED_APPS.setdefault(
        backend.name, create_app(settings)
    )
    routes_before = len(application.router.routes)
    application.state.settings = settings
    application.state.engine = create_engine(settings)
    application.state.sessionmaker = create_sessionmaker(application.state.engine)
    if backend.name == "sqlite":
        event.listen(application.state.engine.sync_engine, "connect", _no_fsync)
    if backend.name == "postgresql":
        global _LAST_TEST_FAILED
        physically, _LAST_TEST_FAILED = _LAST_TEST_FAILED, False
        await _truncate(application, physically=physically)
    yield application
    await application.state.engine.dispose()
    if len(application.router.routes) != routes_before:
        _SHARED_APPS.pop(backend.name)  # the test added routes: the next test gets a clean app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; every answer's status must be one its operation declares in the document."""
    from tests.declared import undeclared_answer

    undeclared: list[str] = []

    async def check(response: httpx.Response) -> None:
        if line := undeclared_answer(response):
            undeclared.append(line)

    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    hooks = {"response": [check]}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", event_hooks=hooks) as http:
        yield http
    assert undeclared == [], "answers the OpenAPI document does not declare:\n" + "\n".join(undeclared)


@pytest.fixture
async def session(app) -> AsyncIterator:
    """A session of the test's own, for arranging data and checking what was written."""
    async with app.state.sessionmaker() as db:
        yield db


@pytest.fixture
async def callers(session):
    """Tokens for admin, officer, partner A and B (different agencies), auditor and viewer."""
    from tests.factories import make_callers

    return await make_callers(session)

"""Fixtures of the reliability suite: an app over a PostgreSQL server the tests own."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import _load_regions, migrate
from tests.factories import make_callers
from tests.reliability.pgserver import OwnedPostgres

POOL_SIZE, MAX_OVERFLOW, POOL_TIMEOUT = 5, 5, 2.0


@pytest.fixture(scope="session")
def owned_pg() -> Iterator[OwnedPostgres]:
    server = OwnedPostgres()
    try:
        server.init()
        server.start()
        server.wait_ready()
        with psycopg.connect(server.url.replace("+asyncpg", ""), autocommit=True) as conn:
            conn.execute("CREATE DATABASE reintegrasi")
        url = server.url.rsplit("/", 1)[0] + "/reintegrasi"
        migrate(url)
        asyncio.run(_load_regions(url))
        server.app_url = url  # type: ignore[attr-defined]
        yield server
    finally:
        server.cleanup()


@pytest.fixture
async def reliable_app(owned_pg):
    settings = Settings(
        database_url=owned_pg.app_url,
        db_pool_size=POOL_SIZE,
        db_max_overflow=MAX_OVERFLOW,
        db_pool_timeout_seconds=POOL_TIMEOUT,
    )
    application = create_app(settings)
    async with application.state.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(text("TRUNCATE agencies, users, access_tokens, idempotency_keys CASCADE"))
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def reliable_client(reliable_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=reliable_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as http:
        yield http


@pytest.fixture
async def reliable_callers(reliable_app):
    async with reliable_app.state.sessionmaker() as session:
        return await make_callers(session)

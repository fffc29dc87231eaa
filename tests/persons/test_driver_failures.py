"""Reads when the database misbehaves: clear 4xx/503 problems, no leaked connections.

On PostgreSQL GET one person and a page run on the driver connection (app/db_driver.py); these
tests break that connection or its statements in the middle of a read.
"""

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.persons import service
from app.persons.reader import DriverPersonReader
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, assert_problem

# More failures than the pool has connections: a connection not given back would exhaust it.
FAILURES = 25


def _postgres_only(backend) -> None:
    if backend.name != "postgresql":
        pytest.skip("the driver connection is PostgreSQL's")


def _breaking(monkeypatch: pytest.MonkeyPatch, sql: str) -> None:
    """Make the next reads of one person run `sql` on their connection before the query."""
    read = DriverPersonReader.get

    async def get(reader, *args, **kwargs):
        await reader.connection.raw.execute(sql)
        return await read(reader, *args, **kwargs)

    monkeypatch.setattr(DriverPersonReader, "get", get)


async def test_control_characters_in_search_and_an_unknown_purpose_are_422(client, callers):
    response = await client.get(PERSONS, params={"q": "ab\x00cd"}, headers=callers.officer.headers)
    assert_problem(response, 422)
    headers = {**callers.officer.headers, "X-Purpose": "curiosity"}
    assert_problem(await client.get(PERSONS, headers=headers), 422)


async def test_a_connection_lost_mid_read_is_503_and_the_pool_recovers(backend, client, callers, monkeypatch):
    _postgres_only(backend)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    _breaking(monkeypatch, "SELECT pg_terminate_backend(pg_backend_pid())")
    for _ in range(FAILURES):
        response = await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
        problem = assert_problem(response, 503)
        assert response.headers["retry-after"] == "5"
        assert "pg_" not in problem["detail"]
    monkeypatch.undo()
    response = await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
    assert response.status_code == 200, response.text


async def test_a_statement_timeout_is_503_not_500(backend, client, callers, monkeypatch):
    _postgres_only(backend)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    _breaking(monkeypatch, "SET LOCAL statement_timeout = '20ms'; SELECT pg_sleep(1)")
    for _ in range(FAILURES):
        response = await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
        assert_problem(response, 503)
    monkeypatch.undo()
    assert (await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)).status_code == 200


async def test_a_failed_read_writes_no_success_event(backend, client, callers, monkeypatch, session):
    _postgres_only(backend)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    reads = select(func.count()).where(AuditEvent.action == "person.read")
    before = await session.scalar(reads)
    _breaking(monkeypatch, "SELECT pg_terminate_backend(pg_backend_pid())")
    assert_problem(await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers), 503)
    assert await session.scalar(reads) == before


async def test_a_statement_timeout_through_the_session_is_503_too(backend, client, callers, monkeypatch):
    _postgres_only(backend)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    history = service.history

    async def slow_history(session, *args, **kwargs):
        await session.execute(text("SET LOCAL statement_timeout = '20ms'"))
        await session.execute(text("SELECT pg_sleep(1)"))
        return await history(session, *args, **kwargs)

    monkeypatch.setattr(service, "history", slow_history)
    response = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.officer.headers)
    assert_problem(response, 503)

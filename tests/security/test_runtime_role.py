"""Least privilege on PostgreSQL: the runtime role can append to the audit trail and read it, nothing else."""

import uuid

import asyncpg
import pytest
from sqlalchemy import make_url, text

from app.audit import chain
from app.db import create_engine, create_sessionmaker, runtime_grants
from tests.platform import AGENCIES, agency_body

REFUSED = [
    "UPDATE audit_events SET action = 'x'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "DELETE FROM audit_seals",
    "UPDATE audit_seals SET seal_hash = 'x'",
    "TRUNCATE audit_seals",
    "DROP TABLE audit_events",
]


@pytest.fixture
async def runtime(app, backend):
    """A runtime role of this run, granted as the README says; its database URL."""
    if backend.name != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    role = f"reintegrasi_rt_{uuid.uuid4().hex[:8]}"
    async with app.state.engine.begin() as conn:
        await conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        for statement in runtime_grants(role):
            await conn.execute(text(statement))
    yield make_url(backend.template_url).set(username=role).render_as_string(hide_password=False)
    async with app.state.engine.begin() as conn:
        await conn.execute(text(f"DROP OWNED BY {role}"))
        await conn.execute(text(f"DROP ROLE {role}"))


async def test_the_runtime_role_cannot_rewrite_the_audit_trail(runtime):
    connection = await asyncpg.connect(runtime.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for statement in REFUSED:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)
        assert await connection.fetchval("SELECT count(*) FROM audit_events") >= 0
    finally:
        await connection.close()


async def test_the_app_runs_as_the_runtime_role(app, client, callers, runtime):
    owner_engine = app.state.engine
    settings = app.state.settings.model_copy(update={"database_url": runtime, "audit_seal_delay_seconds": 0})
    app.state.settings, app.state.engine = settings, create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    try:
        for n in range(3):
            body = agency_body(f"Yayasan Peran Uji {n}")
            assert (
                await client.post(AGENCIES, json=body, headers=callers.officer.headers)
            ).status_code == 201
        assert (await client.get(AGENCIES)).status_code == 401  # counted: an upsert
        assert await chain.seal_pending(app.state.sessionmaker, settings) >= 1
        response = await client.get("/api/v1/audit-events/verification", headers=callers.auditor.headers)
        assert response.json()["ok"] is True, response.text
    finally:
        await app.state.engine.dispose()
        app.state.engine = owner_engine


def test_role_names_are_checked():
    with pytest.raises(ValueError, match="role name"):
        runtime_grants("app; DROP TABLE persons")


async def test_erasure_as_the_runtime_role_scrubs_through_the_owner(app, client, callers, runtime, backend):
    """VACUUM FULL needs the table's owner: the runtime role's app uses the maintenance URL for it."""
    from tests.privacy.test_erasure import leaks, named_everywhere, table_files

    world = await named_everywhere(client, callers)
    owner_engine, owner_settings = app.state.engine, app.state.settings
    settings = owner_settings.model_copy(
        update={"database_url": runtime, "maintenance_database_url": backend.template_url}
    )
    app.state.settings, app.state.engine = settings, create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    try:
        headers = callers.admin.headers
        erased = await client.post(
            f"/api/v1/persons/{world['person']['id']}/erasure", json={"reason": "uji"}, headers=headers
        )
        assert erased.status_code == 200, erased.text
    finally:
        await app.state.engine.dispose()
        app.state.engine, app.state.settings = owner_engine, owner_settings
        app.state.sessionmaker = create_sessionmaker(owner_engine)
    url = backend.template_url.replace("postgresql+asyncpg://", "postgresql://")
    found = {name: leaks(f.read_bytes()) for name, f in table_files(url).items()}
    assert {name: values for name, values in found.items() if values} == {}

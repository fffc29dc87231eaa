"""The personal-data inventory covers the migrated schema, and the code follows it with no other change.

The mutation test adds a column to the persons table (in the database and in the inventory only,
classified "free text, redact on erasure, staff only") and shows that the data subject's copy
includes it, that partners never receive it and that erasure redacts it: nothing else names it.
"""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select, text

from app.db import Base
from app.privacy import inventory
from app.privacy.inventory import INVENTORY, REDACTED, STAFF, Erasure, free_text
from app.security.crypto import pseudonym
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, refer

CASE_NOTE = "catatan kasus uji mutasi 4711"


async def _schema(app) -> dict[str, list[str]]:
    """Table -> column names of the database the app runs on (built by the migrations)."""

    def read(conn) -> dict[str, list[str]]:
        found = inspect(conn)
        return {t: [c["name"] for c in found.get_columns(t)] for t in found.get_table_names()}

    async with app.state.engine.connect() as conn:
        return await conn.run_sync(read)


async def test_every_table_and_column_of_the_migrated_schema_is_classified(app):
    schema = await _schema(app)
    found = inventory.compare(schema)
    assert found.missing == [], "classify these in app/privacy/inventory/"
    assert found.stale == [], "the inventory names columns the schema does not have"
    assert len(schema) - len(inventory.NOT_APPLICATION_TABLES) == len(INVENTORY)


async def test_a_column_added_without_a_classification_is_refused(app, backend):
    async with app.state.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE referrals ADD COLUMN contact_hint TEXT"))
    try:
        assert inventory.compare(await _schema(app)).missing == ["referrals.contact_hint"]
    finally:
        async with app.state.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE referrals DROP COLUMN contact_hint"))


@pytest.fixture
async def case_note_column(app, monkeypatch):
    """persons.case_note: in the database and the inventory only (free text, redacted, staff only)."""
    persons = Base.metadata.tables["persons"]
    metadata = sa.MetaData()
    copies = {name: table.to_metadata(metadata) for name, table in Base.metadata.tables.items()}
    copies["persons"].append_column(sa.Column("case_note", sa.Text))
    monkeypatch.setattr(Base.metadata, "tables", sa.util.immutabledict(copies))
    monkeypatch.setitem(INVENTORY["persons"].columns, "case_note", free_text(STAFF, Erasure.redact))
    async with app.state.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE persons ADD COLUMN case_note TEXT"))
    yield copies["persons"]
    async with app.state.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE persons DROP COLUMN case_note"))
    assert "case_note" not in persons.c


async def test_a_new_classified_column_is_exported_hidden_from_partners_and_erased(
    app, client, callers, case_note_column
):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], full_name="Warga Uji Mutasi")
    await refer(client, callers, person["id"], callers.agency_b)
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.update(case_note_column)
            .where(case_note_column.c.id == uuid.UUID(person["id"]))
            .values(case_note=CASE_NOTE)
        )

    copy = await client.get(f"{PERSONS}/{person['id']}/data-export", headers=callers.officer.headers)
    assert copy.status_code == 200, copy.text
    assert copy.json()["records"]["persons"][0]["case_note"] == CASE_NOTE

    ref = pseudonym(uuid.UUID(person["id"]), callers.agency_b.id)
    for url in (f"{PERSONS}/{ref}", PERSONS):
        shown = await client.get(url, headers=callers.partner_b.headers)
        assert shown.status_code == 200 and CASE_NOTE not in shown.text

    erased = await client.post(
        f"{PERSONS}/{person['id']}/erasure", json={"reason": "uji mutasi"}, headers=callers.admin.headers
    )
    assert erased.status_code == 200, erased.text
    async with app.state.engine.connect() as conn:
        stored = await conn.scalar(
            select(case_note_column.c.case_note).where(case_note_column.c.id == uuid.UUID(person["id"]))
        )
    assert stored == REDACTED


async def test_the_record_of_processing_is_served_to_admins_and_auditors_only(client, callers):
    for caller in (callers.admin, callers.auditor):
        response = await client.get("/api/v1/privacy/inventory", headers=caller.headers)
        assert response.status_code == 200, response.text
        tables = {t["name"]: t for t in response.json()["tables"]}
        assert set(tables) == set(INVENTORY)
        nik = next(c for c in tables["persons"]["columns"] if c["name"] == "nik_ciphertext")
        assert nik["kind"] == "direct_identifier" and nik["erasure"] == "null"
        assert {d["kind"] for d in response.json()["data_classes"]} == set(inventory.Kind)
    for caller in (callers.officer, callers.partner_a, callers.viewer):
        assert (await client.get("/api/v1/privacy/inventory", headers=caller.headers)).status_code == 403

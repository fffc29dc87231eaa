"""The import a batch at a time: all or nothing across batches, NIKs twice across them, the audit.

Batches are made tiny (two rows) so that a small file spans several, on both backends.
"""

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.persons import csv_io, imports
from app.persons.models import Person, PersonChange
from tests.persons.helpers import make_person, make_site
from tests.persons.support import (
    PERSONS,
    assert_problem,
    audit_events,
    change_rows,
    person_count,
    post_csv,
    synthetic_nik,
)

NIKS = [synthetic_nik(9300 + n) for n in range(10)]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)


def _csv(rows: list[tuple[str, str, str]]) -> bytes:
    """A file of (full_name, legal_basis, nik) rows; the header is line 1, so row n is line n + 1."""
    lines = ["full_name,legal_basis,nik", *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def _good(count: int) -> list[tuple[str, str, str]]:
    return [(f"Warga Uji Batch {n:02d}", "public_task", NIKS[n]) for n in range(count)]


async def _persons(session) -> list[Person]:
    persons = list((await session.scalars(select(Person).order_by(Person.id))).all())
    session.expunge_all()
    await session.rollback()
    return persons


async def test_rows_in_several_batches_are_written_in_file_order(client, callers, session, small_batches):
    site = await make_site(client, callers)
    response = await post_csv(client, callers, site["id"], _csv(_good(7)))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["errors"]) == (7, 7, [])
    assert report["persons_truncated"] is False
    persons = await _persons(session)
    # The report names each created person: its line in the file, id and registration number.
    assert report["persons"] == [
        {"row": n + 2, "id": str(p.id), "registration_number": p.registration_number}
        for n, p in enumerate(persons)
    ]
    # Ids increase in file order, and so do the registration numbers.
    assert [p.full_name for p in persons] == [f"Warga Uji Batch {n:02d}" for n in range(7)]
    assert [p.registration_number for p in persons] == [f"KD-{n:04d}" for n in range(1, 8)]
    assert all(p.id.version == 7 for p in persons)
    for person in persons:
        [created] = await change_rows(session, person.id)
        assert (created.kind, created.new_value, created.source) == (
            "created",
            person.registration_number,
            "import",
        )
        assert created.actor_id == callers.officer.user.id
    # The history entries keep file order too (one id sequence for the whole import).
    ordered = list((await session.scalars(select(PersonChange.person_id).order_by(PersonChange.id))).all())
    await session.rollback()
    assert ordered == [p.id for p in persons]


async def test_an_error_in_the_last_batch_writes_nothing(client, callers, session, small_batches):
    site = await make_site(client, callers)
    rows = [*_good(6), ("Warga Uji Akhir", "nope", "")]
    response = await post_csv(client, callers, site["id"], _csv(rows))
    problem = assert_problem(response, 422)
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(8, "legal_basis")]
    assert await person_count(session) == 0
    assert await audit_events(session, "person.import") == []
    # The numbers the written batches took went back with them.
    assert (await make_person(client, callers, site["id"]))["registration_number"] == "KD-0001"


@pytest.mark.parametrize("dry_run", ["false", "true"])
async def test_a_nik_twice_in_different_batches(client, callers, session, small_batches, dry_run):
    """Found in the table (written batches) or in memory (a dry run writes none)."""
    site = await make_site(client, callers)
    rows = [*_good(5), ("Warga Uji Kembar", "public_task", NIKS[1])]
    response = await post_csv(client, callers, site["id"], _csv(rows), dry_run=dry_run)
    problem = assert_problem(response, 422)
    [error] = problem["errors"]
    assert (error["row"], error["column"], error["message"]) == (7, "nik", "same NIK as row 3")
    assert NIKS[1] not in response.text
    assert await person_count(session) == 0


async def test_after_the_first_error_every_later_row_is_still_checked(
    client, callers, session, small_batches
):
    site = await make_site(client, callers)
    registered = synthetic_nik(9399)
    await make_person(client, callers, site["id"], nik=registered, sex="female", birth_date="1995-04-12")
    rows = [
        ("Warga Uji Satu", "public_task", NIKS[0]),  # line 2: batch 1, written
        ("Warga Uji Dua", "public_task", NIKS[1]),  # line 3: batch 1, written
        ("Warga Uji Tiga", "nope", NIKS[2]),  # line 4: the first error; nothing more is written
        ("Warga Uji Empat", "public_task", NIKS[3]),  # line 5
        ("Warga Uji Lima", "public_task", NIKS[0]),  # line 6: same as a written row
        ("Warga Uji Enam", "public_task", NIKS[3]),  # line 7: same as a row not written
        ("Warga Uji Tujuh", "public_task", registered),  # line 8: in the registry
        ("Warga Uji Delapan", "public_task", NIKS[4]),  # line 9: good
    ]
    response = await post_csv(client, callers, site["id"], _csv(rows))
    problem = assert_problem(response, 422)
    assert [(e["row"], e["column"], e["message"]) for e in problem["errors"]][1:] == [
        (6, "nik", "same NIK as row 2"),
        (7, "nik", "same NIK as row 5"),
        (8, "nik", "a person with this NIK is already registered"),
    ]
    assert (problem["errors"][0]["row"], problem["errors"][0]["column"]) == (4, "legal_basis")
    assert problem["error_count"] == 4
    assert await person_count(session) == 1


async def test_a_large_import_is_audited_in_several_events(client, callers, session, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    monkeypatch.setattr(imports, "AUDIT_IDS_PER_EVENT", 3)
    site = await make_site(client, callers)
    response = await post_csv(client, callers, site["id"], _csv(_good(7)))
    assert response.status_code == 200, response.text
    events = await audit_events(session, "person.import")
    assert [len(e.person_ids) for e in events] == [3, 3, 1]
    assert [i for e in events for i in e.person_ids] == [p.id for p in await _persons(session)]
    assert all(e.resource_type == "site" and e.resource_id == site["id"] for e in events)


async def test_a_nik_registered_while_the_import_runs_is_a_conflict(client, callers, session, monkeypatch):
    """The unique index has the last word: 409, and nothing of the file is written."""
    site = await make_site(client, callers)
    await make_person(client, callers, site["id"], nik=NIKS[2], sex="female", birth_date="1995-04-12")

    async def nobody(self, indexes):  # as if the other person came just after
        return []

    monkeypatch.setattr(imports._Import, "_registered", nobody)
    response = await post_csv(client, callers, site["id"], _csv(_good(4)))
    assert_problem(response, 409)
    assert NIKS[2] not in response.text
    assert await person_count(session) == 1


async def test_bytes_that_are_not_utf8_late_in_the_file(client, callers, session, small_batches):
    """Decoded as it is read: the error comes after batches were written, which go back."""
    site = await make_site(client, callers)
    good = _csv(_good(10)) + b"".join(
        f"Warga Uji Isi {n:04d},public_task,\n".encode() for n in range(400)
    )  # over the 8 KiB the decoder reads at a time
    response = await post_csv(client, callers, site["id"], good + b"Mar\xeda Uji,public_task,\n")
    problem = assert_problem(response, 422)
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(0, None)]
    assert "Mar" not in response.text
    assert await person_count(session) == 0


async def test_many_errors_are_all_counted_and_the_first_shown(client, callers, session, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    monkeypatch.setattr(imports, "MAX_REPORTED_ERRORS", 3)
    site = await make_site(client, callers)
    rows = [(f"Warga Uji {n}", "nope", "") for n in range(5)]
    problem = assert_problem(await post_csv(client, callers, site["id"], _csv(rows)), 422)
    assert [e["row"] for e in problem["errors"]] == [2, 3, 4]
    assert problem["error_count"] == 5
    assert problem["detail"].startswith("5 error(s) in 5 row(s)")


async def test_the_listing_after_an_import_is_complete(client, callers, small_batches):
    site = await make_site(client, callers)
    assert (await post_csv(client, callers, site["id"], _csv(_good(5)))).status_code == 200
    listing = await client.get(PERSONS, params={"limit": 50}, headers=callers.officer.headers)
    assert sorted(p["nik"] for p in listing.json()["items"]) == sorted(NIKS[:5])


# -- no database -------------------------------------------------------------------------------


def test_the_rows_written_name_every_column():
    """COPY sets no Python-side defaults: a column added to the model must be added here."""
    assert sorted(imports.PERSON_FIELDS) == sorted(Person.__table__.columns.keys())
    assert sorted(imports.CHANGE_FIELDS) == sorted(PersonChange.__table__.columns.keys())


def test_ids_increase_and_are_version_7():
    ids = imports._Ids()
    batches = [ids.take(500) for _ in range(4)]
    values = [u.int for batch in batches for u in batch]
    assert values == sorted(values) and len(set(values)) == len(values)
    made = [uuid.UUID(int=v) for v in values]
    assert {u.version for u in made} == {7} and {u.variant for u in made} == {uuid.RFC_4122}
    # Neighbours differ in more than a counter's last bits: not guessable from one another.
    assert min(b - a for a, b in zip(values, values[1:], strict=False)) > 1
    assert all(isinstance(u, uuid.UUID) for batch in batches for u in batch)


TOMORROW = (date.today() + timedelta(days=1)).isoformat()
CELLS = {
    "full_name": ["Warga Uji", "x" * 200, "x" * 201, "Warga\x07Uji", "  Warga  ", ""],
    "alias": ["Uji", "x" * 100, "x" * 101, ""],
    "sex": ["female", "male", "unknown", "Female", "perempuan", ""],
    "birth_date": [
        "1995-04-12",
        "1995-4-12",
        "1995-02-30",
        TOMORROW,
        "1995-04-12T00:00:00",
        "0001-01-01",
        "",
    ],
    "nik": [NIKS[0], "5371025204959", "5371029904959101", "5371025204950000", "٥٣٧١٠٢٥٢٠٤٩٥٩١٠١", ""],
    "kk_number": ["5371020101189001", "537102010118900", "５３７１０２０１０１１８９００１", ""],
    "phone": ["+62 812-3456-789", "0812", "08123456789x", ""],
    "domicile_address": ["Jl. Uji No. 1", "x" * 500, "x" * 501, "Jl.\x01Uji", ""],
    "origin_region_code": ["53.71", "5371", "53", "53.7", "x" * 9, ""],
    "domicile_region_code": ["53.05", "5305", "99.99", " 53.05", ""],
    "identity_document": ["ktp", "KTP", "kk", "none", "passport", ""],
    "identity_verified": ["true", "True", "YES", "0", "off", "maybe", ""],
    "legal_basis": ["consent", "public_task", "Consent", ""],
    "consent_at": [
        "2018-10-30T09:00:00+08:00",
        "2018-10-30T09:00:00Z",
        "2018-10-30T09:00:00.1234567Z",
        "2018-10-30 09:00:00+08:00",
        "2018-10-30T09:00:00",
        "2018-02-30T09:00:00Z",
        "2018-10-30T24:00:00Z",
        "",
    ],
    "notes": ["catatan", "x" * 10_000, "x" * 10_001, "baris\x0bdua", ""],
}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_fast_path_decides_as_the_model_does(data):
    """Every row: the same values, or the same errors, as validating it with PersonCreate alone.

    A valid row (the first value of each column) with up to three cells changed, so that the
    fast path is tried on each odd value while the rest of the row would pass.
    """
    changed = data.draw(st.sets(st.sampled_from(list(CELLS)), max_size=3))
    cells = {
        name: data.draw(st.sampled_from(values) | st.text(max_size=12)) if name in changed else values[0]
        for name, values in CELLS.items()
    }
    header, record = list(cells), list(cells.values())
    site_id = uuid.uuid4()
    fast, by_model = csv_io.Chunk(), csv_io.Chunk()
    csv_io.RowValidator(header, site_id)(2, record, fast)
    values = csv_io.RowValidator(header, site_id)._by_model(2, record, by_model)
    assert fast.errors == by_model.errors
    assert fast.rows == ([(2, values)] if values is not None else [])

"""The import use case shared by the API and the CLI: read, check and write a chunk at a time.

All or nothing: the chunks are written in the caller's transaction, and the first error stops the
writing (the rest of the file is still checked, so that every error is reported); the caller's
rollback then takes back what was written. On PostgreSQL the rows go in with COPY.
"""

import asyncio
import os
import uuid
from array import array
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from asyncpg.pgproto.pgproto import UUID as PgUUID
from sqlalchemy import String, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db import utcnow
from app.errors import AppError, Conflict, InvalidInput
from app.ids import uuid7
from app.persons import csv_io
from app.persons.models import Person, PersonChange
from app.persons.schemas import ImportReport
from app.persons.service import allocate_registration
from app.regions.models import Region
from app.security import crypto
from app.security.principal import Actor
from app.sites import service as site_service
from app.sites.models import Site

MAX_REPORTED_ERRORS = 1000
CHUNK_ROWS = 5000  # rows read, checked and written at a time: what bounds the memory
# The audit event of an import lists the persons it created; a large import gets one event per
# this many persons, so that no single event (a uuid[] row, GIN-indexed) grows with the file.
AUDIT_IDS_PER_EVENT = 10_000
# The columns of the rows an import inserts, in the order the record tuples hold them: the
# registration number (and the history entry's new_value) last, as they are added when written.
PERSON_FIELDS = (
    "id", "site_id", "full_name", "alias", "sex", "birth_date", "nik_ciphertext", "nik_blind_index",
    "nik_last4", "nik_region_code", "kk_ciphertext", "phone", "domicile_address", "origin_region_code",
    "domicile_region_code", "identity_document", "identity_verified", "identity_verified_at",
    "identity_verified_by", "legal_basis", "consent_at", "status", "status_changed_at", "restricted",
    "restricted_at", "erased_at", "notes", "created_by", "version", "created_at", "updated_at",
    "registration_seq", "registration_number",
)  # fmt: skip
CHANGE_FIELDS = (
    "id", "person_id", "occurred_at", "kind", "field", "old_value", "reason", "occurred_on",
    "actor_kind", "actor_id", "source", "new_value",
)  # fmt: skip


class UploadTooLarge(AppError):
    status, slug, title = 413, "content-too-large", "Content too large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is over the upload limit of {limit} bytes.")


class ImportRejected(InvalidInput):
    slug, title = "import-rejected", "Import rejected"

    def __init__(self, errors: list[csv_io.RowError], rows: int, count: int | None = None) -> None:
        shown = errors[:MAX_REPORTED_ERRORS]
        count = len(errors) if count is None else count
        super().__init__([], detail=f"{count} error(s) in {rows} row(s); nothing was written.")
        self.extra = {
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in shown],
            "error_count": count,
        }


class ImportConflict(Conflict):
    slug, title = "import-conflict", "Import conflict"

    def __init__(self) -> None:
        super().__init__(
            "A person with a NIK in the file was registered while the import ran; nothing was "
            "written. Import the file again to see which row."
        )


async def run_import(
    session: AsyncSession,
    actor: Actor,
    site_id: uuid.UUID,
    source: bytes | IO[bytes],
    *,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a CSV into a site: 422 listing every error and writing nothing, else every row."""
    site = await site_service.require(session, site_id)
    file = csv_io.ImportFile(source, site_id)
    if header_errors := file.read_header():
        raise ImportRejected(header_errors, 0)
    regions: dict[str, str] = dict((await session.execute(select(Region.code, Region.level))).all())
    run = _Import(session, actor, site, regions, dry_run=dry_run)
    await run.consume(file.chunks(CHUNK_ROWS), progress)
    if run.error_count:
        raise ImportRejected(run.errors, run.records, run.error_count)
    if not run.records:
        raise ImportRejected([csv_io.RowError(1, None, "the file has no rows")], 0)
    await run.finish()
    return ImportReport(dry_run=dry_run, rows=run.records, created=run.created, errors=[])


class _Import:
    """The state of one import as its chunks go by: errors so far, NIKs seen, rows written."""

    def __init__(
        self, session: AsyncSession, actor: Actor, site: Site, regions: dict[str, str], *, dry_run: bool
    ) -> None:
        self.session, self.actor, self.site, self.regions = session, actor, site, regions
        self.postgres = session.bind.dialect.name == "postgresql"
        self.writing = not dry_run  # until the first error
        self.errors: list[csv_io.RowError] = []  # the first MAX_REPORTED_ERRORS, in file order
        self.error_count = self.records = self.created = 0
        # NIKs of rows not written (a dry run, or from the first error on), by a 128-bit prefix of
        # the blind index; written rows are found in the table, like the registry's.
        self.unwritten: dict[int, int] | None = None if self.writing else {}
        self.first_seq: int | None = None
        self.line_of_seq = array("L")  # file line of each row written, by registration_seq
        self.audit_ids: list[uuid.UUID] = []
        self.ids = _Ids()

    async def consume(self, chunks: Iterator[csv_io.Chunk], progress: Callable[[int], None] | None) -> None:
        """Take the chunks in order; the next one is read and prepared in a thread meanwhile."""
        prepared = self._prepared(chunks)
        pending = asyncio.ensure_future(asyncio.to_thread(next, prepared, None))
        try:
            while (chunk := await pending) is not None:
                pending = asyncio.ensure_future(asyncio.to_thread(next, prepared, None))
                await self._take(chunk)
                if progress:
                    progress(self.records)
        finally:
            if not pending.done():  # the thread still reads the file: let it finish first
                await asyncio.wait([pending])

    def _prepared(self, chunks: Iterator[csv_io.Chunk]) -> Iterator["_Prepared"]:
        """The CPU-bound part (run in a thread): checks within the chunk, ids, encryption."""
        for chunk in chunks:
            prepared = _Prepared(chunk)
            prepared.check(self.regions)
            if self.writing and not prepared.errors:
                prepared.build(self.actor, self.site.id, self.ids)
            yield prepared

    async def _take(self, chunk: "_Prepared") -> None:
        self.records += chunk.records
        await self._check_duplicates(chunk)
        if chunk.errors:
            chunk.errors.sort(key=_error_order)
            self.error_count += len(chunk.errors)
            self.errors = sorted(self.errors + chunk.errors, key=_error_order)[:MAX_REPORTED_ERRORS]
        if self.writing and self.error_count:
            self.writing = False  # nothing more is written: later rows are checked against these
            self.unwritten = {}
            self._remember(chunk.firsts)
        elif self.writing and chunk.persons:
            await self._write(chunk)

    async def _check_duplicates(self, chunk: "_Prepared") -> None:
        """NIKs of earlier chunks (in memory or written) and of the registry."""
        firsts = chunk.firsts
        if self.unwritten is not None:
            firsts = []
            for line, index in chunk.firsts:
                earlier = self.unwritten.get(_key(index))
                if earlier is None:
                    firsts.append((line, index))
                else:
                    chunk.errors.append(csv_io.RowError(line, "nik", f"same NIK as row {earlier}"))
            self._remember(firsts)
        if not firsts:
            return
        line_of = dict((index, line) for line, index in firsts)
        for index, site_id, seq in await self._registered(list(line_of)):
            mine = site_id == self.site.id and self.first_seq is not None and seq >= self.first_seq
            message = (
                f"same NIK as row {self.line_of_seq[seq - self.first_seq]}"
                if mine
                else "a person with this NIK is already registered"
            )
            chunk.errors.append(csv_io.RowError(line_of[index], "nik", message))

    def _remember(self, firsts: list[tuple[int, str]]) -> None:
        assert self.unwritten is not None
        for line, index in firsts:
            self.unwritten.setdefault(_key(index), line)

    async def _registered(self, indexes: list[str]) -> list[tuple[str, uuid.UUID, int]]:
        """(blind index, site, registration_seq) of the persons already holding one of these NIKs."""
        column = Person.nik_blind_index
        # One array parameter on PostgreSQL rather than thousands of bound values.
        where = (
            column == any_(bindparam("indexes", indexes, type_=ARRAY(String)))
            if self.postgres
            else column.in_(indexes)
        )
        stmt = select(column, Person.site_id, Person.registration_seq).where(where)
        return [tuple(row) for row in await self.session.execute(stmt)]

    async def _write(self, chunk: "_Prepared") -> None:
        """Number and insert a chunk's rows and their history entries, in the caller's transaction."""
        numbers = await allocate_registration(self.session, self.site, len(chunk.persons))
        if self.first_seq is None:
            self.first_seq = numbers[0][0]
        # The site row stays locked by the counter update until the end: the numbers run on.
        assert numbers[0][0] == self.first_seq + len(self.line_of_seq), "registration numbers skipped"
        self.line_of_seq.extend(line for line, _ in chunk.rows)
        persons = [person + numbered for person, numbered in zip(chunk.persons, numbers, strict=True)]
        changes = [change + (number,) for change, (_, number) in zip(chunk.changes, numbers, strict=True)]
        try:
            if self.postgres:
                await self._copy(persons, changes)
            else:
                await self._insert(persons, changes)
        except IntegrityError as exc:  # a NIK registered by someone else since the check
            raise ImportConflict() from exc
        self.created += len(persons)
        self.audit_ids += [person[0] for person in persons]
        while len(self.audit_ids) >= AUDIT_IDS_PER_EVENT:
            await self._audit(self.audit_ids[:AUDIT_IDS_PER_EVENT])
            del self.audit_ids[:AUDIT_IDS_PER_EVENT]

    async def _copy(self, persons: list[tuple[Any, ...]], changes: list[tuple[Any, ...]]) -> None:
        """COPY through the session's own connection, so inside its transaction (begun already)."""
        import asyncpg  # noqa: PLC0415 - PostgreSQL only

        raw = await (await self.session.connection()).get_raw_connection()
        driver = raw.driver_connection
        try:
            await driver.copy_records_to_table("persons", records=persons, columns=PERSON_FIELDS)
            await driver.copy_records_to_table("person_changes", records=changes, columns=CHANGE_FIELDS)
        except asyncpg.UniqueViolationError as exc:
            raise ImportConflict() from exc

    async def _insert(self, persons: list[tuple[Any, ...]], changes: list[tuple[Any, ...]]) -> None:
        """Bulk INSERT (SQLite); render_nulls: one executemany, not a statement per pattern of Nones."""
        for model, fields, records in (
            (Person, PERSON_FIELDS, persons),
            (PersonChange, CHANGE_FIELDS, changes),
        ):
            rows = [dict(zip(fields, record, strict=True)) for record in records]
            await self.session.execute(insert(model).execution_options(render_nulls=True), rows)

    async def finish(self) -> None:
        """The audit event of the last persons created."""
        if self.audit_ids:
            await self._audit(self.audit_ids)
            self.audit_ids = []

    async def _audit(self, ids: list[uuid.UUID]) -> None:
        await audit.record(
            self.session,
            self.actor,
            "person.import",
            resource_type="site",
            resource_id=self.site.id,
            person_ids=ids,
        )


class _Prepared:
    """A chunk after the checks that need no database, with its rows ready to insert."""

    def __init__(self, chunk: csv_io.Chunk) -> None:
        self.rows = chunk.rows
        self.errors = chunk.errors
        self.records = chunk.records
        self.firsts: list[tuple[int, str]] = []  # (line, blind index) of each NIK's first row
        self.persons: list[dict[str, Any]] = []
        self.changes: list[dict[str, Any]] = []

    def check(self, regions: dict[str, str]) -> None:
        """Region codes, NIK provinces and NIKs twice in the chunk (the rest needs the database)."""
        first_line: dict[str, int] = {}
        errors = self.errors
        for line, values in self.rows:
            for column in ("origin_region_code", "domicile_region_code"):
                code = values[column]
                if code is not None and regions.get(code) != "regency":
                    errors.append(csv_io.RowError(line, column, "not a known regency/city code"))
            nik = values["nik"]
            if nik is not None:
                if regions.get(nik[:2]) != "province":
                    errors.append(
                        csv_io.RowError(line, "nik", "the first two digits are not a known province code")
                    )
                index = crypto.blind_index(nik)
                values["nik_blind_index"] = index
                earlier = first_line.setdefault(index, line)
                if earlier == line:
                    self.firsts.append((line, index))
                else:
                    errors.append(csv_io.RowError(line, "nik", f"same NIK as row {earlier}"))

    def build(self, actor: Actor, site_id: uuid.UUID, ids: "_Ids") -> None:
        """Records of the persons and of their `created` history entries, but for the numbers."""
        now = utcnow()
        new_ids = ids.take(2 * len(self.rows))
        person_ids, change_ids = new_ids[0::2], new_ids[1::2]
        history = (now, "created", None, None, None, None, actor.kind, actor.id, "import")
        for (_, values), person_id, change_id in zip(self.rows, person_ids, change_ids, strict=True):
            self.persons.append(_person_record(values, person_id, site_id, actor, now))
            self.changes.append((change_id, person_id, *history))


def _person_record(
    values: dict[str, Any], person_id: uuid.UUID, site_id: uuid.UUID, actor: Actor, now: datetime
) -> tuple[Any, ...]:
    """A new person as PERSON_FIELDS but the last two (COPY sets no Python-side defaults)."""
    nik, kk, verified, consent_at = (
        values["nik"],
        values["kk_number"],
        values["identity_verified"],
        values["consent_at"],
    )
    return (
        person_id,
        site_id,
        values["full_name"],
        values["alias"],
        values["sex"],
        values["birth_date"],
        crypto.encrypt(nik, person_id, "nik") if nik else None,
        values.get("nik_blind_index"),
        nik[-4:] if nik else None,
        f"{nik[:2]}.{nik[2:4]}" if nik else None,
        crypto.encrypt(kk, person_id, "kk_number") if kk else None,
        values["phone"],
        values["domicile_address"],
        values["origin_region_code"],
        values["domicile_region_code"],
        values["identity_document"],
        verified,
        now if verified else None,
        actor.id if verified else None,
        values["legal_basis"],
        consent_at.astimezone(UTC) if consent_at else None,  # as UTCDateTime stores it
        "registered",
        now,
        False,
        None,
        None,
        values["notes"],
        actor.id,
        1,
        now,
        now,
    )


class _Ids:
    """Version 7 UUIDs for the rows of one import, increasing in file order, drawn a chunk at a time.

    One `uuid7()` per chunk fixes the time; each next id adds a random step of up to 2**56 to the
    74 bits below the millisecond (RFC 9562, method 3): ordered, unguessable from a neighbour, and
    far cheaper than a `uuid7()` call per row.
    """

    STEP_BYTES = 7

    def __init__(self) -> None:
        self.last = 0  # the 122 bits (time and counter) of the last id given out

    def take(self, count: int) -> list[uuid.UUID]:
        value = max(_unversioned(uuid7().int), self.last + 1)
        steps = os.urandom(self.STEP_BYTES * count)
        ids = []
        for start in range(0, len(steps), self.STEP_BYTES):
            ids.append(PgUUID(_versioned(value).to_bytes(16)))
            value += int.from_bytes(steps[start : start + self.STEP_BYTES]) + 1
        self.last = value
        return ids


def _unversioned(value: int) -> int:
    """The 48-bit time and 74 random bits of a version 7 UUID, as one number."""
    return (value >> 80) << 74 | ((value >> 64) & 0xFFF) << 62 | (value & ((1 << 62) - 1))


def _versioned(bits: int) -> int:
    time, counter = bits >> 74, bits & ((1 << 74) - 1)
    return time << 80 | 0x7 << 76 | (counter >> 62) << 64 | 0x2 << 62 | (counter & ((1 << 62) - 1))


def _key(index: str) -> int:
    return int(index[:32], 16)


def _error_order(error: csv_io.RowError) -> tuple[int, str]:
    return (error.row, error.column or "")

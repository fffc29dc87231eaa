"""The import use case shared by the API and the CLI: read, check and write a batch at a time.

All or nothing: the batches are written in the caller's transaction, and the first error stops the
writing (the rest of the file is still checked, so that every error is reported); the caller's
rollback then takes back what was written. On PostgreSQL the rows go in with COPY.

While the database stores one batch (a task of its own), the next is read, validated and
encrypted in small slices, each followed by a yield to the event loop so that the COPY's data
keeps flowing and other requests are served. One thread: no GIL contention, which cost more than
a worker thread saved.
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
from app.persons import nik as nik_rules
from app.persons.models import Person, PersonChange
from app.persons.registration import allocate_registration
from app.persons.schemas import ImportedPerson, ImportReport
from app.regions.models import Region
from app.security import crypto
from app.security.principal import Actor
from app.sites import service as site_service
from app.sites.models import Site

MAX_REPORTED_ERRORS = 1000
MAX_LISTED_PERSONS = 10_000  # the report's ids and numbers: enough for a site, bounded for a bulk load
CHUNK_ROWS = 5000  # rows checked against the registry and written at a time: bounds the memory
SLICE_ROWS = 100  # rows read and prepared between two chances for the event loop to run
# The audit event of an import lists the persons it created; a large import gets one event per
# this many persons, so that no single event (a uuid[] row, GIN-indexed) grows with the file.
AUDIT_IDS_PER_EVENT = 10_000
# The columns of the rows an import inserts, in the order the record tuples hold them: the
# registration number (and the history entry's new_value) last, as they are added when written.
PERSON_FIELDS = (
    "id", "site_id", "full_name", "alias", "sex", "birth_date", *nik_rules.STORED_COLUMNS, "kk_ciphertext",
    "phone", "domicile_address", "origin_region_code",
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
    reason: str | None = None,
    registry: bool = True,
) -> ImportReport:
    """Import a CSV into a site: 422 listing every error and writing nothing, else every row.

    `registry=False` (a dry run only): NIKs are checked within the file, not against the registry.
    """
    assert registry or dry_run, "an import that writes always checks the registry"
    site = await site_service.require(session, site_id)
    file = csv_io.ImportFile(source, site_id)
    if header_errors := file.read_header():
        raise ImportRejected(header_errors, 0)
    regions: dict[str, str] = dict((await session.execute(select(Region.code, Region.level))).all())
    run = _Import(session, actor, site, regions, dry_run=dry_run, reason=reason, registry=registry)
    await run.consume(file.chunks(min(SLICE_ROWS, CHUNK_ROWS)), progress)
    if run.error_count:
        raise ImportRejected(run.errors, run.records, run.error_count)
    if not run.records:
        raise ImportRejected([csv_io.RowError(1, None, "the file has no rows")], 0)
    await run.finish()
    return ImportReport(
        dry_run=dry_run,
        rows=run.records,
        created=run.created,
        persons=run.listed,
        persons_truncated=run.created > len(run.listed),
        errors=[],
    )


class _Import:
    """The state of one import as its batches go by: errors so far, NIKs seen, rows written."""

    def __init__(
        self,
        session: AsyncSession,
        actor: Actor,
        site: Site,
        regions: dict[str, str],
        *,
        dry_run: bool,
        reason: str | None = None,
        registry: bool = True,
    ) -> None:
        self.session, self.actor, self.site, self.regions = session, actor, site, regions
        self.reason = reason  # of the audit events: the purpose, and the approval if any
        self.registry = registry  # whether NIKs are compared with the registry's
        self.postgres = session.bind.dialect.name == "postgresql"
        self.writing = not dry_run  # until the first error
        self.errors: list[csv_io.RowError] = []  # the first MAX_REPORTED_ERRORS, in file order
        self.error_count = self.records = self.created = 0
        # NIKs of rows not written (a dry run, or from the first error on), by a 128-bit prefix of
        # the blind index; written rows are found in the table, like the registry's.
        self.unwritten: dict[int, int] | None = None if self.writing else {}
        self.first_seq: int | None = None
        self.line_of_seq = array("I")  # file line of each row written, by registration_seq
        self.audit_ids: list[uuid.UUID] = []
        self.listed: list[ImportedPerson] = []  # the report's first MAX_LISTED_PERSONS
        self.ids = _Ids()
        self.writer: asyncio.Task[None] | None = None  # the batch being written

    async def consume(self, slices: Iterator[csv_io.Chunk], progress: Callable[[int], None] | None) -> None:
        """Take the file a slice at a time into batches; each full batch is checked and written."""
        batch = self._batch()
        try:
            for piece in slices:
                self.records += piece.records
                batch.add(piece, self.regions)
                if batch.records >= CHUNK_ROWS:
                    await self._take(batch)
                    batch = self._batch()
                    if progress:
                        progress(self.records)
                await asyncio.sleep(0)  # the batch being written moves on meanwhile
            if batch.records or batch.errors:
                await self._take(batch)
            await self._settle()
        finally:
            if self.writer is not None:  # leaving on an error: let the COPY end before the rollback
                await asyncio.wait([self.writer])
                if not self.writer.cancelled():
                    self.writer.exception()  # retrieved: the error being raised is the one to report
        if progress:
            progress(self.records)

    def _batch(self) -> "_Batch":
        return _Batch(self.actor, self.site.id, self.ids if self.writing else None)

    async def _take(self, chunk: "_Batch") -> None:
        """Check a batch against the registry and earlier batches; if all is well so far, write it.

        The writing goes on in a task of its own while the next batch is prepared.
        """
        await self._settle()  # the session is free again, and earlier batches are in the table
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
            self.writer = asyncio.create_task(self._write(chunk))

    async def _settle(self) -> None:
        """Wait for the batch being written (its error, if any, is raised here)."""
        if self.writer is not None:
            writer, self.writer = self.writer, None
            await writer

    async def _check_duplicates(self, chunk: "_Batch") -> None:
        """NIKs of earlier batches (in memory or written) and of the registry."""
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
        if not firsts or not self.registry:
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

    async def _write(self, chunk: "_Batch") -> None:
        """Number and insert a batch's rows and their history entries, in the caller's transaction."""
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
        room = MAX_LISTED_PERSONS - len(self.listed)
        self.listed += [
            ImportedPerson(row=line, id=person[0], registration_number=person[-1])
            for (line, _), person in zip(chunk.rows[:room], persons[:room], strict=True)
        ]
        self.audit_ids += [person[0] for person in persons]
        while len(self.audit_ids) >= AUDIT_IDS_PER_EVENT:
            await self._audit(self.audit_ids[:AUDIT_IDS_PER_EVENT])
            del self.audit_ids[:AUDIT_IDS_PER_EVENT]

    async def _copy(self, persons: list[tuple[Any, ...]], changes: list[tuple[Any, ...]]) -> None:
        """COPY through the session's own connection, so inside its transaction (begun already)."""
        import asyncpg  # PostgreSQL only

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
            reason=self.reason,
        )


class _Batch:
    """Rows on their way in: checked as far as can be without the database, and made ready to insert."""

    def __init__(self, actor: Actor, site_id: uuid.UUID, ids: "_Ids | None") -> None:
        self.actor, self.site_id = actor, site_id
        self.ids = ids  # None: nothing is to be written, so no rows are built
        self.rows: list[tuple[int, dict[str, Any]]] = []
        self.errors: list[csv_io.RowError] = []
        self.records = 0
        self.first_line: dict[str, int] = {}  # the line of each NIK's first row, by blind index
        self.firsts: list[tuple[int, str]] = []  # (line, blind index) of each NIK's first row
        self.persons: list[tuple[Any, ...]] = []  # records as PERSON_FIELDS but the last two
        self.changes: list[tuple[Any, ...]] = []  # records as CHANGE_FIELDS but the last

    def add(self, piece: csv_io.Chunk, regions: dict[str, str]) -> None:
        self.records += piece.records
        self.rows += piece.rows
        self.errors += piece.errors
        self._check(piece.rows, regions)
        if self.ids is not None and not self.errors:
            self._build(piece.rows, self.ids)

    def _check(self, rows: list[tuple[int, dict[str, Any]]], regions: dict[str, str]) -> None:
        """Region codes, NIK provinces and NIKs twice in the batch (the rest needs the database)."""
        errors, first_line = self.errors, self.first_line
        for line, values in rows:
            for column in ("origin_region_code", "domicile_region_code"):
                code = values[column]
                if code is not None and regions.get(code) != "regency":
                    errors.append(csv_io.RowError(line, column, "not a known regency/city code"))
            nik = values["nik"]
            if nik is not None:
                if regions.get(nik_rules.province_code(nik)) != "province":
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

    def _build(self, rows: list[tuple[int, dict[str, Any]]], ids: "_Ids") -> None:
        """Records of the persons and of their `created` history entries, but for the numbers."""
        actor, now = self.actor, utcnow()
        new_ids = ids.take(2 * len(rows))
        history = (now, "created", None, None, None, None, actor.kind, actor.id, "import")
        for (_, values), person_id, change_id in zip(rows, new_ids[0::2], new_ids[1::2], strict=True):
            self.persons.append(_person_record(values, person_id, self.site_id, actor, now))
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
        *nik_rules.stored(person_id, nik, values.get("nik_blind_index")),
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
    """Version 7 UUIDs for the rows of one import, increasing in file order, made a slice at a time.

    One `uuid7()` per slice fixes the time; each next id adds a random step of up to 2**56 to the
    74 bits below the millisecond (RFC 9562, method 3): ordered, not guessable from a neighbour,
    and a fraction of the cost of a `uuid7()` call per row. asyncpg's own UUID class (a subclass
    of uuid.UUID) is also what its COPY encodes fastest.
    """

    STEP_BYTES = 7

    def __init__(self) -> None:
        self.floor = 0  # the least value (time and counter bits) the next id may take

    def take(self, count: int) -> list[uuid.UUID]:
        value = max(_unversioned(uuid7().int), self.floor)
        steps = os.urandom(self.STEP_BYTES * count)
        ids = []
        for start in range(0, len(steps), self.STEP_BYTES):
            ids.append(PgUUID(_versioned(value).to_bytes(16)))
            value += int.from_bytes(steps[start : start + self.STEP_BYTES]) + 1
        self.floor = value
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

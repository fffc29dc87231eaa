"""Bulk CSV import (all or nothing, every error reported) and export (streamed, formula-safe)."""

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import service as audit
from app.db import utcnow
from app.ids import uuid7
from app.persons.models import Person, PersonChange
from app.persons.schemas import PersonCreate
from app.persons.service import allocate_registration, decrypt_nik
from app.regions.models import Region
from app.security import crypto
from app.security.principal import Actor
from app.sites.models import Site

IMPORT_COLUMNS = [name for name in PersonCreate.model_fields if name != "site_id"]
REQUIRED_COLUMNS = {"full_name", "legal_basis"}
EXPORT_COLUMNS = [
    "id", "registration_number", "site_id", "full_name", "alias", "sex", "birth_date", "nik",
    "nik_region_code", "kk_number", "phone", "domicile_address", "origin_region_code",
    "domicile_region_code", "identity_document", "identity_verified", "legal_basis", "consent_at",
    "status", "status_changed_at", "notes", "created_at", "updated_at",
]  # fmt: skip
CHUNK = 1000
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RowError:
    row: int
    column: str | None
    message: str


@dataclass
class ParsedImport:
    rows: list[tuple[int, PersonCreate]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8 with or without BOM; anything else is refused, not guessed."""
    return raw.decode("utf-8-sig")


def _records(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = [h.strip() for h in next(reader, [])]

    def numbered() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                yield start, record
            start = reader.line_num + 1

    return header, numbered()


def _header_errors(header: list[str]) -> list[RowError]:
    errors = [RowError(1, name or None, "unknown column") for name in header if name not in IMPORT_COLUMNS]
    errors += [
        RowError(1, name, "required column is missing") for name in sorted(REQUIRED_COLUMNS - set(header))
    ]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, "column appears twice"))
        seen.add(name)
    return errors


def parse(text: str, site_id: uuid.UUID) -> ParsedImport:
    """Validate every row with the same rules as the API; collect all errors, echo no values."""
    result = ParsedImport()
    try:
        header, records = _records(text)
        result.errors += _header_errors(header)
        if result.errors:
            return result
        for number, record in records:
            if len(record) != len(header):
                result.errors.append(
                    RowError(number, None, f"expected {len(header)} cells, found {len(record)}")
                )
                continue
            values: dict[str, Any] = {k: v.strip() for k, v in zip(header, record, strict=True) if v.strip()}
            try:
                result.rows.append((number, PersonCreate.model_validate({**values, "site_id": site_id})))
            except ValidationError as exc:
                for error in exc.errors(include_input=False, include_url=False):
                    column = str(error["loc"][0]) if error["loc"] else None
                    result.errors.append(RowError(number, column, error["msg"]))
    except csv.Error as exc:
        result.errors.append(RowError(0, None, f"malformed CSV: {exc}"))
    return result


async def check_against_registry(session: AsyncSession, parsed: ParsedImport) -> None:
    """Region codes, NIK provinces, and NIK duplicates inside the file and against the registry."""
    regions = {code: level for code, level in await session.execute(select(Region.code, Region.level))}
    seen: dict[str, int] = {}
    for number, person in parsed.rows:
        for column in ("origin_region_code", "domicile_region_code"):
            code = getattr(person, column)
            if code is not None and regions.get(code) != "regency":
                parsed.errors.append(RowError(number, column, "not a known regency/city code"))
        if person.nik is None:
            continue
        if regions.get(person.nik[:2]) != "province":
            parsed.errors.append(
                RowError(number, "nik", "the first two digits are not a known province code")
            )
        index = crypto.blind_index(person.nik)
        if index in seen:
            parsed.errors.append(RowError(number, "nik", f"same NIK as row {seen[index]}"))
        seen[index] = number
    indexes = list(seen)
    for start in range(0, len(indexes), CHUNK):
        chunk = indexes[start : start + CHUNK]
        taken = await session.scalars(select(Person.nik_blind_index).where(Person.nik_blind_index.in_(chunk)))
        for index in taken:
            parsed.errors.append(RowError(seen[index], "nik", "a person with this NIK is already registered"))
    parsed.errors.sort(key=lambda e: (e.row, e.column or ""))


def _row_values(
    person: PersonCreate, person_id: uuid.UUID, seq: int, number: str, actor: Actor
) -> dict[str, Any]:
    values = person.model_dump(exclude={"nik", "kk_number"})
    now = utcnow()
    nik = person.nik
    return {
        **values,
        "id": person_id,
        "registration_seq": seq,
        "registration_number": number,
        "nik_ciphertext": crypto.encrypt(nik, person_id, "nik") if nik else None,
        "nik_blind_index": crypto.blind_index(nik) if nik else None,
        "nik_last4": nik[-4:] if nik else None,
        "nik_region_code": f"{nik[:2]}.{nik[2:4]}" if nik else None,
        "kk_ciphertext": crypto.encrypt(person.kk_number, person_id, "kk_number")
        if person.kk_number
        else None,
        "identity_verified_at": now if person.identity_verified else None,
        "identity_verified_by": actor.id if person.identity_verified else None,
        "status": "registered",
        "status_changed_at": now,
        "restricted": False,
        "created_by": actor.id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


async def write(
    session: AsyncSession,
    actor: Actor,
    site: Site,
    rows: list[tuple[int, PersonCreate]],
    progress: Callable[[int], None] | None = None,
) -> list[uuid.UUID]:
    """Insert validated rows in bulk, in the caller's transaction; one audit event lists them all."""
    numbers = await allocate_registration(session, site, len(rows)) if rows else []
    ids: list[uuid.UUID] = []
    for start in range(0, len(rows), CHUNK):
        batch, persons, changes = rows[start : start + CHUNK], [], []
        for (_, person), (seq, number) in zip(batch, numbers[start : start + CHUNK], strict=True):
            person_id = uuid7()
            persons.append(_row_values(person, person_id, seq, number, actor))
            changes.append(
                {
                    "id": uuid7(),
                    "person_id": person_id,
                    "occurred_at": utcnow(),
                    "kind": "created",
                    "new_value": number,
                    "actor_kind": actor.kind,
                    "actor_id": actor.id,
                    "source": "import",
                }
            )
            ids.append(person_id)
        # render_nulls: one executemany per chunk, not a new statement whenever the empty fields differ.
        await session.execute(insert(Person).execution_options(render_nulls=True), persons)
        await session.execute(insert(PersonChange).execution_options(render_nulls=True), changes)
        if progress:
            progress(len(ids))
    await audit.record(
        session, actor, "person.import", resource_type="site", resource_id=site.id, person_ids=ids
    )
    return ids


def _safe(value: Any) -> str:
    if value is None:
        return ""
    text = (
        value.isoformat()
        if hasattr(value, "isoformat")
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_row(person: Person) -> list[str]:
    """One CSV row of the full record (officers and admins only)."""
    values = {
        **{column: getattr(person, column, None) for column in EXPORT_COLUMNS},
        "nik": decrypt_nik(person),
        "kk_number": crypto.decrypt(person.kk_ciphertext, person.id, "kk_number")
        if person.kk_ciphertext
        else None,
    }
    return [_safe(values[column]) for column in EXPORT_COLUMNS]


def _line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


async def stream_export(
    sessionmaker: async_sessionmaker[AsyncSession], ids: list[uuid.UUID]
) -> AsyncIterator[str]:
    """The CSV, CHUNK rows at a time, read in a session of its own (the request's has committed)."""
    yield "\ufeff" + _line(EXPORT_COLUMNS)  # BOM: Excel in Indonesian locales reads UTF-8 right
    async with sessionmaker() as session:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            persons = await session.scalars(select(Person).where(Person.id.in_(chunk)).order_by(Person.id))
            yield "".join(_line(export_row(p)) for p in persons)

"""Bulk CSV import (read and validated a chunk at a time, every error reported) and export.

Validation has the API's rules: `PersonCreate` decides. Most cells take a fast path built from the
model's own field rules (lengths, patterns, choices, its validator functions); a row the fast path
cannot accept outright is validated by the model itself, which also words every error.
"""

import csv
import io
import itertools
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from types import NoneType, SimpleNamespace, UnionType
from typing import IO, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, AwareDatetime, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.persons.models import Person
from app.persons.registration import decrypt_nik
from app.persons.schemas import PersonCreate
from app.security import crypto

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
# Where a spreadsheet may start a cell inside one of ours: the text's start, and after any list
# separator (`,`, or `;` in the Indonesian locale, which splits an unquoted `,`-file's text on
# it), a tab or a line break. A `'` goes in front of each formula character found there.
# Spaces may stand between (a spreadsheet that trims them on import still sees the formula).
_FORMULA_START = re.compile(r"(^|[,;\t\r\n\u2028\u2029])(\s*)(?=[=+\-@\t\r])")
NOT_UTF8 = "the file is not UTF-8"


@dataclass(slots=True)
class RowError:
    row: int
    column: str | None
    message: str


@dataclass
class Chunk:
    """One stretch of the file: its valid rows as (line, values) and the errors found in it."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    records: int = 0  # data rows read, valid or not


# -- the fast path: each cell checked by its field's own rules -----------------------------------


class _Unsure(Exception):
    """A value the fast path leaves to the model (which then accepts it or words the error)."""


_BOOLS = {"true": True, "t": True, "yes": True, "y": True, "on": True, "1": True}
_BOOLS |= {"false": False, "f": False, "no": False, "n": False, "off": False, "0": False}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AWARE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def _as_bool(value: str) -> bool:
    parsed = _BOOLS.get(value.lower())
    if parsed is None:
        raise _Unsure
    return parsed


def _as_date(value: str) -> date:
    if not _DATE.fullmatch(value):
        raise _Unsure
    return date.fromisoformat(value)  # ValueError on a non-date: the model words it


def _as_aware(value: str) -> datetime:
    if not _AWARE.fullmatch(value):
        raise _Unsure
    return datetime.fromisoformat(value)


_PARSERS: dict[Any, Callable[[str], Any]] = {
    str: str,
    date: _as_date,
    bool: _as_bool,
    AwareDatetime: _as_aware,
}


def _fast_check(annotation: Any, metadata: list[Any]) -> Callable[[str], Any] | None:
    """A check of one cell by the field's type and constraints; None when the field has other rules."""
    if get_origin(annotation) in (Union, UnionType):
        args = [arg for arg in get_args(annotation) if arg is not NoneType]
        if len(args) != 1:
            return None
        annotation = args[0]
    if get_origin(annotation) is Annotated:
        annotation, *inner = get_args(annotation)
        metadata = [*inner, *metadata]
    parse = _one_of(get_args(annotation)) if get_origin(annotation) is Literal else _PARSERS.get(annotation)
    shortest, longest, pattern, after = 0, None, None, []
    for item in metadata:
        if isinstance(item, AfterValidator):
            after.append(item.func)
        elif isinstance(item, StringConstraints) and not _transforms(item):
            shortest = item.min_length or 0
            longest = item.max_length
            pattern = re.compile(item.pattern) if item.pattern else None
        else:
            return None
    if parse is None:
        return None
    longest = sys.maxsize if longest is None else longest

    def check(value: str) -> Any:
        if not shortest <= len(value) <= longest or (pattern is not None and not pattern.search(value)):
            raise _Unsure
        parsed = parse(value)
        for func in after:
            parsed = func(parsed)
        return parsed

    return check


def _memoized(check: Callable[[str], Any], limit: int = 4096) -> Callable[[str], Any]:
    """`check` remembering up to `limit` accepted values: most columns repeat a few values.

    Only acceptances are kept, and no rule here turns an accepted value into a refused one over
    time (a date in the past stays there), so a remembered answer stays right.
    """
    known: dict[str, Any] = {}
    missing = object()

    def cached(value: str) -> Any:
        parsed = known.get(value, missing)
        if parsed is missing:
            parsed = check(value)
            if len(known) < limit:
                known[value] = parsed
        return parsed

    return cached


def _one_of(choices: tuple[Any, ...]) -> Callable[[str], Any]:
    allowed = frozenset(choices)

    def parse(value: str) -> str:
        if value not in allowed:
            raise _Unsure
        return value

    return parse


def _transforms(constraints: StringConstraints) -> bool:
    return any(
        getattr(constraints, name, None)
        for name in ("strip_whitespace", "to_upper", "to_lower", "strict", "ascii_only")
    )


def _unsure(_: str = "") -> Any:
    raise _Unsure


def _fast_checks() -> dict[str, Callable[[str], Any]]:
    validated = PersonCreate.__pydantic_decorators__.field_validators.values()
    own_rules = {name for decorator in validated for name in decorator.info.fields}
    checks = {}
    for name in IMPORT_COLUMNS:
        info = PersonCreate.model_fields[name]
        check = None if name in own_rules else _fast_check(info.annotation, list(info.metadata))
        if check is not None:
            checks[name] = check
    return checks


FAST_CHECKS = _fast_checks()
# Every value a row starts with: the model's defaults (the required fields must come from the file).
DEFAULTS = {name: info.default for name, info in PersonCreate.model_fields.items() if not info.is_required()}
REQUIRED_FIELDS = [name for name in IMPORT_COLUMNS if PersonCreate.model_fields[name].is_required()]
_MODEL_RULES = list(PersonCreate.__pydantic_decorators__.model_validators.values())
# The fast path runs the model's cross-field rules on its values; other kinds it leaves to the model.
_FAST_PATH = all(rule.info.mode == "after" for rule in _MODEL_RULES)


class RowValidator:
    """Validate the records of one file: the fast path where it decides, the model otherwise."""

    def __init__(self, header: list[str], site_id: uuid.UUID) -> None:
        self.header = header
        self.site_id = site_id
        self.checks = [(name, _memoized(FAST_CHECKS.get(name, _unsure))) for name in header]

    def __call__(self, number: int, record: list[str], chunk: Chunk) -> None:
        if len(record) != len(self.header):
            chunk.errors.append(
                RowError(number, None, f"expected {len(self.header)} cells, found {len(record)}")
            )
            return
        try:
            values = self._fast(record)
        except (_Unsure, ValueError, AssertionError):
            values = self._by_model(number, record, chunk)
        if values is not None:
            chunk.rows.append((number, values))

    def _fast(self, record: list[str]) -> dict[str, Any]:
        if not _FAST_PATH:
            raise _Unsure
        values = dict(DEFAULTS)
        for (name, check), cell in zip(self.checks, record, strict=True):
            cell = cell.strip()
            if cell:
                values[name] = check(cell)
        for name in REQUIRED_FIELDS:
            if name not in values:
                raise _Unsure
        if _MODEL_RULES:
            facts = SimpleNamespace(**values)
            for rule in _MODEL_RULES:
                rule.func(facts)
        return values

    def _by_model(self, number: int, record: list[str], chunk: Chunk) -> dict[str, Any] | None:
        cells = {k: v.strip() for k, v in zip(self.header, record, strict=True) if v.strip()}
        try:
            person = PersonCreate.model_validate({**cells, "site_id": self.site_id})
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                column = str(error["loc"][0]) if error["loc"] else None
                chunk.errors.append(RowError(number, column, error["msg"]))
            return None
        return person.model_dump(exclude={"site_id"})


# -- reading the file ----------------------------------------------------------------------------


class ImportFile:
    """A CSV import read as a stream (UTF-8, BOM or not, `,` or `;`): the header, then chunks."""

    def __init__(self, source: bytes | IO[bytes], site_id: uuid.UUID) -> None:
        stream = io.BytesIO(source) if isinstance(source, bytes) else source
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        self.site_id = site_id
        self.header: list[str] = []
        self._reader: Any = None

    def read_header(self) -> list[RowError]:
        """Errors of the header, or of the file as a whole; none means rows may follow."""
        try:
            first = self._text.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            self._reader = csv.reader(itertools.chain([first], self._text), delimiter=delimiter, strict=True)
            self.header = [h.strip() for h in next(self._reader, [])]
        except UnicodeDecodeError:
            return [RowError(0, None, NOT_UTF8)]
        except csv.Error as exc:
            return [RowError(0, None, f"malformed CSV: {exc}")]
        return _header_errors(self.header)

    def chunks(self, size: int) -> Iterator[Chunk]:
        """Validated rows, `size` records at a time; a malformed or non-UTF-8 stretch ends the file."""
        validate = RowValidator(self.header, self.site_id)
        records = self._numbered()
        while True:
            chunk, ended = Chunk(), False
            try:
                for number, record in itertools.islice(records, size):
                    chunk.records += 1
                    validate(number, record, chunk)
            except UnicodeDecodeError:
                chunk.errors.append(RowError(0, None, NOT_UTF8))
                ended = True
            except csv.Error as exc:
                chunk.errors.append(RowError(0, None, f"malformed CSV: {exc}"))
                ended = True
            if chunk.records or chunk.errors:
                yield chunk
            if ended or chunk.records < size:
                return

    def _numbered(self) -> Iterator[tuple[int, list[str]]]:
        """Records with the line each starts on; blank ones skipped (but counted as lines)."""
        reader = self._reader
        start = reader.line_num + 1
        for record in reader:
            if (record and record[0].strip()) or any(cell.strip() for cell in record):
                yield start, record
            start = reader.line_num + 1


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


# -- what a person preparing a file reads: the columns, from the model's own field rules ----------

# The template's one row: a synthetic person, every column filled. Its NIK names district 99 of
# Kota Kupang, which does not exist (the city has six): it cannot be anyone's.
TEMPLATE_ROW = {
    "full_name": "Warga Contoh Satu",
    "alias": "Contoh-01",
    "sex": "female",
    "birth_date": "1995-04-12",
    "nik": "5371995204959901",
    "kk_number": "",
    "phone": "",
    "domicile_address": "",
    "origin_region_code": "53.01",
    "domicile_region_code": "53.71",
    "identity_document": "ktp",
    "identity_verified": "true",
    "legal_basis": "public_task",
    "consent_at": "",
    "notes": "",
}
TEMPLATE_COLUMNS = ["full_name", *[name for name in IMPORT_COLUMNS if name != "full_name"]]


def _kind(schema: dict[str, Any]) -> str:
    """A column's type and format in words, from its JSON schema."""
    [schema] = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = {
        "date": "date, `YYYY-MM-DD`",
        "date-time": "date and time with offset (RFC 3339)",
    }.get(schema.get("format", ""))
    if kind is None and schema.get("type") == "boolean":
        kind = "`true` or `false` (also `yes`/`no`, `1`/`0`)"
    if kind is None:
        kind = "text"
        if "pattern" in schema:
            kind += f" matching `{schema['pattern']}`"
        elif "maxLength" in schema:
            kind += f", {schema.get('minLength', 0)} to {schema['maxLength']} characters"
    return kind


def column_docs() -> list[tuple[str, bool, str, str]]:
    """(column, required, type and format, description) of each import column, template order."""
    properties = PersonCreate.model_json_schema()["properties"]
    docs = []
    for name in TEMPLATE_COLUMNS:
        info = PersonCreate.model_fields[name]
        default = "" if info.is_required() or info.default is None else f" Empty: `{_plain(info.default)}`."
        notes = (info.description or "") + default
        docs.append((name, name in REQUIRED_COLUMNS, _kind(properties[name]), notes))
    return docs


def _plain(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def import_description() -> str:
    """The import operation's description: the rules of the file and a table of its columns."""
    rows = "\n".join(
        f"| `{name}` | {'yes' if required else 'no'} | {kind} | {text.strip()} |"
        for name, required, kind, text in column_docs()
    )
    return (
        "A CSV file (UTF-8, with or without a BOM; `,` or `;` between cells), sent as the body "
        "(`text/csv`) or as the `file` field of a `multipart/form-data` form. The first line names "
        "the columns, in any order; unknown or repeated columns are refused. An empty cell takes the "
        "default. All rows or none: any error answers 422 with every error as `{row, column, "
        "message}` (the header is row 1) and writes nothing; `dry_run=true` only checks. The NIK "
        "rules are those of `POST /persons` (16 digits, a known province, a real birth date, a "
        "serial other than 0000), and a NIK already registered or repeated in the file is an error. "
        "`GET /persons/import/template.csv` is a file with every column and one example row.\n\n"
        "| column | required | type and format | notes |\n| --- | --- | --- | --- |\n" + rows
    )


def template() -> str:
    """The import template: every column, and one synthetic example row."""
    return "\ufeff" + _line(TEMPLATE_COLUMNS) + _line(TEMPLATE_ROW[name] for name in TEMPLATE_COLUMNS)


# -- export ---------------------------------------------------------------------------------------


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
    return _FORMULA_START.sub(r"\1\2'", text)


def export_row(person: Person, include_nik: bool = False) -> list[str]:
    """One CSV row of the full record (staff only); NIK and KK number masked unless asked and permitted."""
    if include_nik:
        nik = decrypt_nik(person)
        kk = crypto.decrypt(person.kk_ciphertext, person.id, "kk_number") if person.kk_ciphertext else None
    else:
        nik, kk = crypto.masked_nik(person.nik_last4), "*" * 16 if person.kk_ciphertext else None
    values = {
        **{column: getattr(person, column, None) for column in EXPORT_COLUMNS},
        "nik": nik,
        "kk_number": kk,
    }
    return [_safe(values[column]) for column in EXPORT_COLUMNS]


def _line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


async def stream_export(
    sessionmaker: async_sessionmaker[AsyncSession], ids: list[uuid.UUID], include_nik: bool = False
) -> AsyncIterator[str]:
    """The CSV, CHUNK rows at a time, read in a session of its own (the request's has committed)."""
    yield "\ufeff" + _line(EXPORT_COLUMNS)  # BOM: Excel in Indonesian locales reads UTF-8 right
    async with sessionmaker() as session:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            persons = await session.scalars(select(Person).where(Person.id.in_(chunk)).order_by(Person.id))
            yield "".join(_line(export_row(p, include_nik)) for p in persons)

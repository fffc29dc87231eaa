"""CSV import through the CLI (`python -m app persons import FILE --site ID`): rows/s and peak RSS."""

import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import env
from bench.seed import synthetic_nik

COLUMNS = [
    "full_name",
    "alias",
    "sex",
    "birth_date",
    "nik",
    "kk_number",
    "domicile_address",
    "origin_region_code",
    "domicile_region_code",
    "identity_document",
    "identity_verified",
    "legal_basis",
]
TIMEOUT_SECONDS = 3600
# The ceiling is measured on at most this many of the imported rows (held in memory meanwhile).
CEILING_ROWS = 100_000


def write_csv(path: Path, rows: int, regencies: list[str], first: int) -> int:
    """A valid import file of `rows` synthetic persons whose NIKs start after the seeded ones."""
    ntt = [code for code in regencies if code.startswith("53.")] or regencies
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(rows):
            i = first + n
            origin = ntt[i % len(ntt)] if i % 5 else regencies[i % len(regencies)]
            nik, born, sex = synthetic_nik(i, origin)
            writer.writerow(
                [
                    f"Warga Impor {i + 1:07d}",
                    "" if i % 4 else f"Impor {i + 1}",
                    sex,
                    born.isoformat(),
                    nik,
                    f"{nik[:6]}{i:010d}",
                    f"Jalan Uji No. {i % 500 + 1}",
                    origin,
                    "53.71" if i % 50 == 0 else origin,
                    "ktp",
                    "true" if i % 3 == 0 else "false",
                    "public_task",
                ]
            )
    return path.stat().st_size


def _peak_rss_kib(pid: int) -> int | None:
    """VmHWM: the high-water mark of the resident set of `pid`'s own memory (since its exec)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def cli_env(database_url: str, pycache: Path) -> dict[str, str]:
    """The CLI's environment, with a bytecode cache as in the image (uv compiles it there).

    Without one (PYTHONDONTWRITEBYTECODE, as some shells set) every run compiles SQLAlchemy,
    FastAPI and pydantic from source first: over a second that a deployed CLI does not spend.
    """
    base = env.server_env(database_url, PYTHONPATH=str(env.ROOT), PYTHONPYCACHEPREFIX=str(pycache))
    return {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_up(database_url: str, site_id: str, work_dir: Path) -> None:
    """Fill the bytecode cache: a dry run of a file without rows (refused, which is fine here)."""
    empty = work_dir / "warm-up.csv"
    empty.write_text("full_name,legal_basis\n")
    argv = [sys.executable, "-m", "app", "persons", "import", str(empty), "--site", site_id, "--dry-run"]
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        argv, env=cli_env(database_url, work_dir / "pycache"), capture_output=True, timeout=300, check=False
    )


def run_cli(database_url: str, site_id: str, csv_path: Path) -> dict[str, Any]:
    """Run the import as a child process: wall time, and its peak RSS polled from /proc.

    Not getrusage: on Linux a child's ru_maxrss also counts the resident memory of the process
    that spawned it (the benchmark, holding seed data), which would inflate the figure.
    """
    argv = [sys.executable, "-m", "app", "persons", "import", str(csv_path), "--site", site_id]
    warm_up(database_url, site_id, csv_path.parent)
    peak = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        pid = os.posix_spawn(
            sys.executable,
            argv,
            cli_env(database_url, csv_path.parent / "pycache"),
            file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)],
        )
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            peak = max(peak, _peak_rss_kib(pid) or 0)
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)  # the child spawned just above
                done, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    return {
        "exit_code": code,
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "stdout": stdout.strip()[-300:],
        "stderr": stderr.replace("\r", "\n").strip().splitlines()[-3:] if code else [],
    }


def measure(database_url: str, site_id: str, csv_path: Path, rows: int) -> dict[str, Any]:
    result = run_cli(database_url, site_id, csv_path)
    created = f"created {rows}" in result["stdout"]
    result |= {
        "rows": rows,
        "ok": result["exit_code"] == 0 and created,
        "rows_per_s": round(rows / result["seconds"]) if result["seconds"] else None,
    }
    return result


async def copy_ceiling(dsn: str, site_id: str) -> dict[str, Any]:
    """The database's own limit for the import: COPY of rows already prepared, nothing else.

    Copies of the persons (and their history entries) that the CLI just imported, renumbered, go
    in with asyncpg COPY in the import's batch size, in one transaction that is then rolled back.
    No reading, validating or encrypting: what is left is PostgreSQL's work per row (heap,
    indexes, foreign keys, WAL), the ceiling of any import into this schema on this machine.
    """
    import uuid  # only this measurement needs them

    import asyncpg

    from app.persons.imports import CHANGE_FIELDS, CHUNK_ROWS, PERSON_FIELDS

    con = await asyncpg.connect(dsn)
    # Column names from the app's own constants; the only value is a bound parameter.
    try:
        persons = await con.fetch(
            f"SELECT {', '.join(PERSON_FIELDS)} FROM persons WHERE site_id = $1"  # noqa: S608
            " ORDER BY id LIMIT $2",
            uuid.UUID(site_id),
            CEILING_ROWS,
        )
        changes = await con.fetch(
            f"SELECT {', '.join('c.' + f for f in CHANGE_FIELDS)} FROM person_changes c"  # noqa: S608
            " WHERE c.person_id = ANY($1::uuid[])",
            [p["id"] for p in persons],
        )
        new_ids = {p["id"]: uuid.uuid4() for p in persons}
        fields = {name: n for n, name in enumerate(PERSON_FIELDS)}
        copies = []
        for n, person in enumerate(persons):
            row = list(person)
            row[fields["id"]] = new_ids[person["id"]]
            row[fields["nik_blind_index"]] = None if person["nik_blind_index"] is None else f"ceiling{n:057d}"
            row[fields["registration_seq"]] = 1_000_000_000 + n
            copies.append(tuple(row))
        # Each batch's history entries go in after its persons (their foreign key).
        history: dict[uuid.UUID, list[tuple[Any, ...]]] = {}
        for change in changes:
            copy = (uuid.uuid4(), new_ids[change["person_id"]], *tuple(change)[2:])
            history.setdefault(copy[1], []).append(copy)
        transaction = con.transaction()
        await transaction.start()
        started = time.perf_counter()
        for start in range(0, len(copies), CHUNK_ROWS):
            batch = copies[start : start + CHUNK_ROWS]
            await con.copy_records_to_table("persons", records=batch, columns=PERSON_FIELDS)
            entries = [entry for person in batch for entry in history.get(person[0], [])]
            await con.copy_records_to_table("person_changes", records=entries, columns=CHANGE_FIELDS)
        seconds = time.perf_counter() - started
        await transaction.rollback()
    finally:
        await con.close()
    return {"rows": len(copies), "seconds": round(seconds, 2), "rows_per_s": round(len(copies) / seconds)}

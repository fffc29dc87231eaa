"""Where the PostgreSQL runs of the suite get their server.

In order: REINTEGRASI_TEST_POSTGRES_URL; a server answering on 127.0.0.1:5432; a throwaway
cluster started from the local PostgreSQL binaries (pytest-postgresql). Without any of them the
PostgreSQL runs are skipped with a loud reason, except under CI=true, where that is a failure.
"""

import glob
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

LOCAL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg_ctl() -> str | None:
    found = shutil.which("pg_ctl") or sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if isinstance(found, list):
        return found[-1] if found else None
    return found


@contextmanager
def postgres_server_url() -> Iterator[str]:
    """A URL (asyncpg dialect, database `postgres`) of a server the tests may create databases on."""
    configured = os.environ.get("REINTEGRASI_TEST_POSTGRES_URL")
    if configured:
        if not _answers(configured):
            pytest.fail("REINTEGRASI_TEST_POSTGRES_URL is set but does not answer")
        yield configured
        return
    if _answers(LOCAL_URL):
        yield LOCAL_URL
        return
    pg_ctl = _pg_ctl()
    if pg_ctl and os.geteuid() != 0:  # PostgreSQL refuses to run as root
        from pytest_postgresql.executors import PostgreSQLExecutor

        datadir = tempfile.mkdtemp(prefix="reintegrasi-pg-")
        executor = PostgreSQLExecutor(
            executable=pg_ctl,
            host="127.0.0.1",
            port=_free_port(),  # each xdist worker starts its own
            user="postgres",
            options="",
            startparams="-w",
            unixsocketdir=datadir,
            dbname="postgres",
            postgres_options="",
            datadir=datadir + "/data",
            logfile=datadir + "/postgresql.log",
            password="",
        )
        with executor:
            executor.wait_for_postgres()
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{executor.port}/postgres"
        return
    reason = "NO POSTGRESQL: set REINTEGRASI_TEST_POSTGRES_URL or start a server on 127.0.0.1:5432"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)

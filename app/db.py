"""Engine and the request session (one commit per request); the declarative base is in app.orm."""

import logging
import os
import re
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.audit import deps as audit_deps
from app.config import Settings
from app.errors import AppError
from app.orm import (
    NAMING_CONVENTION,
    Base,
    IdMixin,
    TimestampMixin,
    UTCDateTime,
    UuidList,
    VersionedMixin,
    utcnow,
)

# Re-exported: the domains' models import the base and its types from here.
__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "IdMixin",
    "TimestampMixin",
    "UTCDateTime",
    "UuidList",
    "VersionedMixin",
    "utcnow",
]

log = logging.getLogger("app.db")


def keep_files_private() -> None:
    """Files this process creates from now on (the SQLite database and its -wal and -shm) are 0600.

    SQLite creates the -wal and -shm files with the database file's mode, so the umask at the
    database's creation decides all three. Called first by every entry point (app, CLI, alembic).
    """
    os.umask(0o077)


def sqlite_files(database_url: str) -> list[str]:
    """The SQLite database file of `database_url` and its -wal and -shm companions (none for memory)."""
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return []
    return [database, f"{database}-wal", f"{database}-shm"]


class DatabaseFilesExposed(RuntimeError):
    """The SQLite files can be read by other users of this machine."""


def check_database_files(settings: Settings) -> None:
    """Refuse to serve (production) or warn when other local users can read the SQLite files."""
    if not settings.is_sqlite:
        return
    exposed = []
    for path in sqlite_files(settings.database_url):
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            exposed.append(f"{path} (mode {mode:04o})")
    if not exposed:
        return
    message = (
        f"other users of this machine can read the database: {', '.join(exposed)}; "
        "run `chmod 600` on these files"
    )
    if settings.environment == "production":
        raise DatabaseFilesExposed(message)
    log.warning(message)


# Tables the runtime role may only read and append to (no UPDATE, DELETE, TRUNCATE).
APPEND_ONLY_TABLES = ("audit_events", "audit_seals")
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def runtime_grants(role: str) -> list[str]:
    """The statements, run as the tables' owner, that let `role` run the API and the worker.

    Everything the app does to its tables, except rewriting the audit trail: on the audit tables
    INSERT and SELECT only. It owns nothing, so it cannot ALTER, DROP or DISABLE TRIGGER either.
    """
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError("a role name is lower-case letters, digits and _")
    audit = ", ".join(APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {role}",
    ]


def create_engine(settings: Settings) -> AsyncEngine:
    """The application's engine; SQLite serializes writers with BEGIN IMMEDIATE."""
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url, connect_args={"timeout": 30}, hide_parameters=True
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=settings.db_pool_pre_ping,
        # Exception messages and logs must never carry bound values (names, NIK ciphertext...).
        hide_parameters=True,
        # A connect that cannot succeed must fail within the pool timeout (then 503), not hang.
        connect_args={
            # A statement that runs over 30 s is cancelled by the server. Not asyncpg's
            # `command_timeout`: that arms and cancels a timer around every statement (hot path).
            "server_settings": {"timezone": "UTC", "statement_timeout": "30s"},
            "timeout": settings.db_pool_timeout_seconds,
        },
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so BEGIN IMMEDIATE can be issued:
        # a deferred transaction that later writes can fail with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Freed space (an erased or updated value) is overwritten with zeros, not left in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed at the end of the block, rolled back on any error.

    Some writes must outlive a failed request: the audit event of a denied attempt and a
    failed login's throttle record. They run after the rollback, in a transaction of their own.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except Exception as exc:
            if await _rolled_back(session) and isinstance(exc, AppError):
                await _write_durable(session, request, exc)
            raise
        await run_after_commit(session, request.app.state.engine, request.app.state.settings)


AfterCommit = Callable[[AsyncEngine, Settings], Awaitable[None]]


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` once the session's transaction has committed (work that cannot run inside one)."""
    session.info.setdefault("after_commit", []).append(action)


async def run_after_commit(session: AsyncSession, engine: AsyncEngine, settings: Settings) -> None:
    """The actions registered with `after_commit`; a failure is logged: the commit already stands."""
    for action in session.info.pop("after_commit", []):
        try:
            await action(engine, settings)
        except (DBAPIError, OSError):
            log.exception("an after-commit action failed")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session as a dependency (committed once, before the response)."""
    async with request_session(request) as session:
        yield session


async def write_durable_apart(request: Request, exc: AppError) -> None:
    """The writes of a denied request that used no session (the driver reads): a session of their own."""
    if exc.durable or exc.audited:
        async with request.app.state.sessionmaker() as session:
            await _write_durable(session, request, exc)


async def _rolled_back(session: AsyncSession) -> bool:
    """Roll back; False when the connection itself is gone (the original error is what matters)."""
    try:
        await session.rollback()
    except (DBAPIError, OSError):
        log.warning("rollback failed: connection lost")
        return False
    return True


async def _write_durable(session: AsyncSession, request: Request, exc: AppError) -> None:
    for write in exc.durable:
        await write(session)
    if exc.audited:
        await audit_deps.record_denial(session, request, exc)
    if exc.durable or exc.audited:
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

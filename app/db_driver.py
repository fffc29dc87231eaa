"""Core statements run on the driver connection (asyncpg): the registry's hottest reads skip the ORM.

GET one person and a page of persons are the calls partner systems and the frontend make most.
Through the session they cost ~2-5 ms of Python per request, most of it the ORM and the
session's greenlet bridge; here the same statements (built with SQLAlchemy, compiled once for
PostgreSQL) run on the pooled connection's asyncpg object, inside one transaction.
Only on PostgreSQL: elsewhere the callers use the session (see `app.persons.driver_reads`).
"""

from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement

_DIALECT = PGDialect_asyncpg()


def _connection_lost(exc: BaseException) -> bool:
    """The connection is gone or in an unknown state: the pool must not hand it out again."""
    if isinstance(exc, asyncpg.exceptions.DataError):  # client-side: an argument it cannot encode
        return False
    if isinstance(exc, asyncpg.PostgresError):
        return exc.sqlstate.startswith(("08", "57P"))
    return isinstance(exc, (asyncpg.InterfaceError, OSError))


class DriverStatement:
    """A Core statement with named bind parameters, compiled for asyncpg on first use."""

    __slots__ = ("_names", "_sql", "keys", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        # The attribute names of a select's columns, in the order of a record's values.
        self.keys = tuple(column.key for column in getattr(statement, "selected_columns", ()))
        self._sql: str | None = None
        self._names: tuple[str, ...] = ()

    def _compiled(self) -> tuple[str, tuple[str, ...]]:
        if self._sql is None:
            compiled = self.statement.compile(dialect=_DIALECT)
            self._names = tuple(compiled.positiontup or ())
            self._sql = str(compiled)
        return self._sql, self._names

    async def fetch(self, connection: asyncpg.Connection, params: Mapping[str, Any]) -> list[asyncpg.Record]:
        """The rows; every named parameter must be in `params` (a KeyError, never a stale value)."""
        sql, names = self._compiled()
        return await connection.fetch(sql, *[params[name] for name in names])

    async def execute(self, connection: asyncpg.Connection, params: Mapping[str, Any]) -> None:
        sql, names = self._compiled()
        await connection.execute(sql, *[params[name] for name in names])


class Transaction:
    """`async with Transaction(engine) as connection`: a pooled connection's asyncpg object inside a
    transaction, committed when the block ends and rolled back if it raises.

    Checked out from the engine's own pool: one pool, one size and timeout for the whole app.
    Errors pass through unchanged (app/errors.py answers driver errors as the session's: 503 for
    a lost connection or a transient condition, 422 for a refused value). A connection that was
    lost, or left mid-statement by a cancellation, is not reused. A class, not a generator: it
    runs on every hot read.
    """

    __slots__ = ("_engine", "_pooled", "_transaction")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pooled: Any = None
        self._transaction: Any = None

    async def __aenter__(self) -> asyncpg.Connection:
        self._pooled = await self._engine.raw_connection()
        try:
            connection: asyncpg.Connection = self._pooled.driver_connection
            self._transaction = connection.transaction()
            await self._transaction.start()
        except BaseException as exc:
            self._give_back(discard=exc)
            raise
        return connection

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        if exc is not None and (not isinstance(exc, Exception) or _connection_lost(exc)):
            self._give_back(discard=exc)
            return
        try:
            await (self._transaction.commit() if exc is None else self._transaction.rollback())
        except BaseException as error:
            self._give_back(discard=error)
            raise
        self._give_back(discard=None)

    def _give_back(self, discard: BaseException | None) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is None:
            return
        if discard is not None and _connection_lost(discard):
            # What SQLAlchemy does on a disconnect: every connection older than this one goes too
            # (after a database restart they are all dead), not only the one that failed.
            self._engine.sync_engine.pool._invalidate(pooled, discard)  # noqa: SLF001
        elif discard is not None:
            pooled.invalidate(discard)
        pooled.close()

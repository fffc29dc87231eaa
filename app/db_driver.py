"""Core statements run on the driver connection (asyncpg): the registry's hottest reads skip the ORM.

GET one person and a page of persons are the calls partner systems and the frontend make most.
Through the session they cost ~2-5 ms of Python per request, most of it the ORM and the
session's greenlet bridge; here the same statements (built with SQLAlchemy, compiled once with
the engine's own dialect) run on the pooled connection's asyncpg object, inside one transaction.
Only on PostgreSQL: elsewhere the readers use the session (see `app.persons.reader`).

What this relies on of SQLAlchemy, all public and checked by tests/platform/test_driver_assumptions.py:
the asyncpg dialect's `numeric_dollar` paramstyle, `Compiled.positiontup` naming the positional
parameters in order, `render_postcompile` for expanding parameters, `selected_columns` keys in
the order of a record's values, and `PoolProxiedConnection.driver_connection` / `.invalidate()`.
"""

from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement


def _connection_lost(exc: BaseException) -> bool:
    """The connection is gone or in an unknown state: the pool must not hand it out again."""
    if isinstance(exc, asyncpg.exceptions.DataError):  # client-side: an argument it cannot encode
        return False
    if isinstance(exc, asyncpg.PostgresError):
        return exc.sqlstate.startswith(("08", "57P"))
    return isinstance(exc, (asyncpg.InterfaceError, OSError))


class DriverConnection:
    """A pooled connection's asyncpg object, and the engine's dialect its statements compile for."""

    __slots__ = ("dialect", "raw")

    def __init__(self, raw: asyncpg.Connection, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect


class DriverStatement:
    """A Core statement with named bind parameters, compiled for the connection's dialect on first use.

    `postcompile`: expanding parameters rendered as one positional parameter per value (their
    names `<name>_1`, `<name>_2`, ...): the statement is then for that many values only.
    """

    __slots__ = ("_dialect", "_names", "_postcompile", "_sql", "keys", "statement")

    def __init__(self, statement: ClauseElement, *, postcompile: bool = False) -> None:
        self.statement = statement
        # The attribute names of a select's columns, in the order of a record's values.
        self.keys = tuple(column.key for column in getattr(statement, "selected_columns", ()))
        self._postcompile = postcompile
        self._dialect: Dialect | None = None
        self._sql = ""
        self._names: tuple[str, ...] = ()

    def compiled(self, dialect: Dialect) -> tuple[str, tuple[str, ...]]:
        """The SQL for `dialect` and the names of its positional parameters, in order."""
        if self._dialect is not dialect:
            kwargs = {"render_postcompile": True} if self._postcompile else {}
            compiled = self.statement.compile(dialect=dialect, compile_kwargs=kwargs)
            self._names = tuple(compiled.positiontup or ())
            self._sql = str(compiled)
            self._dialect = dialect
        return self._sql, self._names

    async def fetch(self, connection: DriverConnection, params: Mapping[str, Any]) -> list[asyncpg.Record]:
        """The rows; every named parameter must be in `params` (a KeyError, never a stale value)."""
        sql, names = self.compiled(connection.dialect)
        return await connection.raw.fetch(sql, *[params[name] for name in names])

    async def execute(self, connection: DriverConnection, params: Mapping[str, Any]) -> None:
        sql, names = self.compiled(connection.dialect)
        await connection.raw.execute(sql, *[params[name] for name in names])


class Transaction:
    """`async with Transaction(engine) as connection`: a pooled connection (`DriverConnection`)
    inside a transaction, committed when the block ends and rolled back if it raises.

    Checked out from the engine's own pool: one pool, one size and timeout for the whole app.
    Errors pass through unchanged (app/errors.py answers driver errors as the session's: 503 for
    a lost connection or a transient condition, 422 for a refused value). A connection that was
    lost, or left mid-statement by a cancellation, is not reused. A class, not a generator: it
    runs on every hot read.
    """

    __slots__ = ("_engine", "_pool", "_pooled", "_transaction")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pool: Any = None
        self._pooled: Any = None
        self._transaction: Any = None

    async def __aenter__(self) -> DriverConnection:
        self._pool = self._engine.sync_engine.pool
        self._pooled = await self._engine.raw_connection()
        try:
            raw: asyncpg.Connection = self._pooled.driver_connection
            self._transaction = raw.transaction()
            await self._transaction.start()
        except BaseException as exc:
            await self._give_back(discard=exc)
            raise
        return DriverConnection(raw, self._engine.dialect)

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        if exc is not None and (not isinstance(exc, Exception) or _connection_lost(exc)):
            await self._give_back(discard=exc)
            return
        try:
            await (self._transaction.commit() if exc is None else self._transaction.rollback())
        except BaseException as error:
            await self._give_back(discard=error)
            raise
        await self._give_back(discard=None)

    async def _give_back(self, discard: BaseException | None) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is None:
            return
        if discard is not None:
            pooled.invalidate(discard)
        pooled.close()
        if discard is not None and _connection_lost(discard) and self._engine.sync_engine.pool is self._pool:
            # What SQLAlchemy does on a disconnect: the other idle connections go too (after a
            # database restart they are all dead), through the public `dispose`: a fresh pool,
            # the idle connections of the old one closed. Once: the first loss replaces the pool.
            await self._engine.dispose()

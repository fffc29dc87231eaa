"""Core statements run on the driver connection (asyncpg): the registry's hottest reads skip the ORM.

GET one person and a page of persons are the calls partner systems and the frontend make most.
Through the session they cost ~2-5 ms of Python per request, most of it the ORM and the
session's greenlet bridge; here the same statements (built with SQLAlchemy, compiled once for
PostgreSQL) run on the pooled connection's asyncpg object, inside one transaction.
Only on PostgreSQL: elsewhere the callers use the session (see `app.persons.reads`).
"""

import asyncio
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement

from app.errors import ServiceUnavailable

_DIALECT = PGDialect_asyncpg()
# The connection is gone or in an unknown state: the pool must not hand it out again.
_CONNECTION_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    OSError,
    asyncio.TimeoutError,
)


class DatabaseUnavailable(ServiceUnavailable):
    slug, title = "service-unavailable", "Service unavailable"

    def __init__(self) -> None:
        super().__init__("The database is unavailable; retry shortly.", headers={"Retry-After": "5"})


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
    A lost connection is invalidated and answered 503, as the session's errors are. A class, not
    a generator: it runs on every hot read.
    """

    __slots__ = ("_engine", "_pooled", "_transaction")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pooled: Any = None
        self._transaction: Any = None

    async def __aenter__(self) -> asyncpg.Connection:
        self._pooled = await self._engine.raw_connection()
        connection: asyncpg.Connection = self._pooled.driver_connection
        self._transaction = connection.transaction()
        try:
            await self._transaction.start()
        except _CONNECTION_ERRORS as exc:
            self._give_back(exc)
            raise DatabaseUnavailable from exc
        except BaseException:
            self._give_back(None)
            raise
        return connection

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        lost = exc if isinstance(exc, _CONNECTION_ERRORS) else None
        try:
            if exc is None:
                await self._transaction.commit()
            elif lost is None:
                await self._transaction.rollback()
        except _CONNECTION_ERRORS as error:
            lost = error
        finally:
            self._give_back(lost)
        if lost is not None:
            raise DatabaseUnavailable from lost

    def _give_back(self, lost: BaseException | None) -> None:
        if isinstance(lost, _CONNECTION_ERRORS):
            self._pooled.invalidate(lost)
        self._pooled.close()

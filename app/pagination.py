"""Keyset pagination with encrypted, opaque cursors: page 1000 costs what page 1 costs."""

import base64
import binascii
import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar, get_args

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, Uuid, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `cursor` to get the next one."""

    model_config = ConfigDict(extra="forbid")

    items: list[T]
    next_cursor: str | None

    @classmethod
    def of(
        cls,
        rows: Iterable[Any],
        cursor: str | None,
        present: type[BaseModel] | Callable[[Any], Any] | None = None,
    ) -> "Page[Any]":
        """The page of `rows` and the cursor after them: each row as `present` shows it.

        `present` is a response model (validated from the row's attributes), a function, or none
        when the rows are the items already.
        """
        if isinstance(present, type) and issubclass(present, BaseModel):
            present = present.model_validate
        items = list(rows) if present is None else [present(row) for row in rows]
        return cls(items=items, next_cursor=cursor)

    @classmethod
    def model_parametrized_name(cls, params: tuple[type[Any], ...]) -> str:
        """`PersonPage` for `Page[PersonRead]` (and for the discriminated union of a person's views)."""
        first = params[0]
        while get_args(first):  # Annotated[A | B, ...] -> A | B -> A
            first = get_args(first)[0]
        return f"{first.__name__.removesuffix('Read')}Page"


class PageParams(BaseModel):
    limit: int
    after: str | None


@lru_cache
def _cipher() -> AESGCM:
    return AESGCM(hashlib.sha256(b"cursor:" + get_settings().secret_key.encode()).digest())


def encode_cursor(last_key: Any) -> str:
    """An opaque cursor pointing after `last_key`: encrypted, not merely signed.

    A partner's list is keyed by real person ids; a readable cursor would link the partner's
    pseudonymous ids to the real ones.
    """
    nonce = os.urandom(12)
    sealed = _cipher().encrypt(nonce, str(last_key).encode(), b"cursor")
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The key a cursor points after; a tampered or malformed cursor is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return _cipher().decrypt(raw[:12], raw[12:], b"cursor").decode()
    except (ValueError, binascii.Error, InvalidTag, UnicodeDecodeError) as exc:
        raise InvalidInput([(("query", "cursor"), "invalid cursor")]) from exc


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1 to 200.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    """Query parameters shared by every list.

    `async` like every dependency here that does no I/O: FastAPI runs a plain `def` dependency in
    a worker thread, a thread hop per request for nothing.
    """
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageParams, Depends(page_params)]


async def paginate_rows(
    session: AsyncSession, stmt: Select[Any], id_column: Any, params: PageParams
) -> tuple[Sequence[Any], str | None]:
    """Run `stmt` ordered by `id_column` from the cursor on; return rows and the next cursor."""
    stmt, _ = keyset_query(stmt, id_column, params)
    rows = (await session.execute(stmt)).all()
    return cut_page(rows, params, lambda row: _row_key(row, id_column.key))


def keyset_query(stmt: Select[Any], id_column: Any, params: PageParams) -> tuple[Select[Any], dict[str, Any]]:
    """`stmt` from the cursor on, by `id_column`, one row over the limit; and its parameters' values.

    Named parameters: the driver reads compile one statement for every page (app.db_driver).
    """
    values = keyset_values(id_column, params)
    if params.after is not None:
        stmt = stmt.where(id_column > bindparam("page_after", values["page_after"], type_=id_column.type))
    return stmt.order_by(id_column).limit(bindparam("page_limit", values["page_limit"])), values


def keyset_values(id_column: Any, params: PageParams) -> dict[str, Any]:
    """The values of `keyset_query`'s named parameters (`page_after` only after a cursor)."""
    values: dict[str, Any] = {"page_limit": params.limit + 1}
    if params.after is not None:
        values["page_after"] = _after_key(params.after, id_column)
    return values


def cut_page(
    rows: Sequence[Any], params: PageParams, key_of: Callable[[Any], Any]
) -> tuple[Sequence[Any], str | None]:
    """The page's rows (the extra row dropped) and the cursor after the last, if there is more."""
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return rows, encode_cursor(key_of(rows[-1])) if more else None


def _after_key(after: str, id_column: Any) -> Any:
    """The cursor's key as `id_column` compares it; a cursor of another list is a 422, not a 500."""
    if not isinstance(id_column.type, Uuid):
        return after
    try:
        return uuid.UUID(after)
    except ValueError as exc:
        raise InvalidInput([(("query", "cursor"), "invalid cursor")]) from exc


def _row_key(row: Any, key: str) -> Any:
    first = row[0]
    return getattr(first, key) if hasattr(first, "__table__") else first

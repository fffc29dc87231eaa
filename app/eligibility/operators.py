"""The rule operators, each comparison written once for both back ends.

A comparison takes the fact's value and the rule's value. Python's comparison operators work on
SQLAlchemy expressions as on plain values, so most entries are one function for both sides; the
others give their Python and SQL forms side by side. The null tests (is_null, not_null) are about
a fact being missing, not a comparison of values: the back ends ask the fact itself (see facts.py).
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement


class Op(StrEnum):
    eq = "eq"
    ne = "ne"
    in_ = "in"
    not_in = "not_in"
    lt = "lt"
    lte = "lte"
    gt = "gt"
    gte = "gte"
    is_null = "is_null"
    not_null = "not_null"
    starts_with = "starts_with"


LIST_OPS = frozenset({Op.in_, Op.not_in})
NULL_OPS = frozenset({Op.is_null, Op.not_null})


@dataclass(frozen=True, slots=True)
class Comparison:
    """One operator on a present value: `python(actual, expected)` and `sql(expression, expected)`."""

    python: Callable[[Any, Any], bool]
    sql: Callable[[Any, Any], ColumnElement[bool]]


def _same(compare: Callable[[Any, Any], Any]) -> Comparison:
    """An operator whose Python function builds the SQL expression too."""
    return Comparison(python=compare, sql=compare)


def _sql_starts_with(expr: Any, prefix: str) -> ColumnElement[bool]:
    # substr, not LIKE: LIKE is case-insensitive on SQLite and treats _ and % as wildcards.
    return func.substr(expr, 1, len(prefix)) == prefix


COMPARISONS: dict[Op, Comparison] = {
    Op.eq: _same(operator.eq),
    Op.ne: _same(operator.ne),
    Op.lt: _same(operator.lt),
    Op.lte: _same(operator.le),
    Op.gt: _same(operator.gt),
    Op.gte: _same(operator.ge),
    Op.in_: Comparison(python=lambda actual, values: actual in values, sql=lambda expr, v: expr.in_(v)),
    Op.not_in: Comparison(
        python=lambda actual, values: actual not in values, sql=lambda expr, v: expr.not_in(v)
    ),
    Op.starts_with: Comparison(python=lambda actual, prefix: actual.startswith(prefix), sql=_sql_starts_with),
}

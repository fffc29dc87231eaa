"""The SQL back end: one rule tree becomes one boolean expression over `persons`.

The expression is used as a WHERE clause (simulation counts) or as a selected column
(determinations: INSERT ... SELECT), so a run over a million persons is one statement. NULL
handling follows facts.py: each comparison on a nullable fact is `source IS NOT NULL AND ...`,
so every condition is definitely true or false, exactly as in the Python evaluator.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import JSON, String, and_, case, func, literal, not_, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from app.eligibility.facts import FACTS, Fact, FactType
from app.eligibility.operators import COMPARISONS, Op


def compile_rule(rule: Mapping[str, Any], as_of: date) -> ColumnElement[bool]:
    """The rule as an SQL boolean expression, true exactly where the Python evaluator says eligible."""
    if "all" in rule:
        return and_(*(compile_rule(child, as_of) for child in rule["all"]))
    if "any" in rule:
        return or_(*(compile_rule(child, as_of) for child in rule["any"]))
    if "not" in rule:
        return not_(compile_rule(rule["not"], as_of))
    return _condition(FACTS[rule["fact"]], Op(rule["op"]), rule.get("value"), as_of)


def _condition(fact: Fact, op: Op, value: Any, as_of: date) -> ColumnElement[bool]:
    if op is Op.is_null:
        return fact.missing_sql(as_of)
    if op is Op.not_null:
        return not_(fact.missing_sql(as_of))
    comparison = _compare(fact, op, fact.sql(as_of), value)
    if not fact.nullable:
        return comparison
    return and_(not_(fact.missing_sql(as_of)), comparison)


def _compare(fact: Fact, op: Op, expr: Any, value: Any) -> ColumnElement[bool]:
    if fact.type is FactType.boolean:
        # A boolean column or predicate is itself the condition: `= true` would be 1 on SQLite.
        return expr if (op is Op.eq) == value else not_(expr)
    if fact.type is FactType.uuid:
        value = [uuid.UUID(v) for v in value] if isinstance(value, list) else uuid.UUID(value)
    return COMPARISONS[op].sql(expr, value)


def facts_object(names: Iterable[str], as_of: date, dialect: str) -> ColumnElement[Any]:
    """A JSON object of the named facts' values, built in SQL (the record of what a decision used)."""
    args: list[Any] = []
    for name in names:
        fact = FACTS[name]
        expr = fact.sql(as_of)
        if fact.type is FactType.boolean and dialect == "sqlite":
            # SQLite has no boolean: 1/0 would be stored as numbers, so emit JSON true/false
            # (boolean facts are never missing).
            expr = func.json(case((expr, "true"), else_="false"))
        args += [literal(name, String), expr]
    if dialect == "postgresql":
        return func.jsonb_build_object(*args, type_=JSONB())
    return func.json_object(*args, type_=JSON())

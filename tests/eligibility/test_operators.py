"""One operator table (app.eligibility.operators) drives both back ends, and covers every operator."""

import operator
from datetime import date

from sqlalchemy.dialects import sqlite

from app.eligibility import operators
from app.eligibility.compiler import compile_rule
from app.eligibility.evaluator import holds
from app.eligibility.facts import FACTS
from app.eligibility.operators import COMPARISONS, NULL_OPS, Comparison, Op


def _sql(rule: dict) -> str:
    return str(compile_rule(rule, date(2024, 1, 1)).compile(dialect=sqlite.dialect()))


def test_every_operator_a_fact_offers_is_a_null_test_or_in_the_table():
    offered = {op for fact in FACTS.values() for op in fact.operators}
    assert offered == set(Op)
    assert set(COMPARISONS) == set(Op) - NULL_OPS


def test_changing_an_entry_changes_python_and_sql_alike(monkeypatch):
    rule = {"fact": "age_years", "op": "gt", "value": 17}
    assert holds(Op.gt, 18, 17)
    assert "> ?" in _sql(rule)
    monkeypatch.setitem(operators.COMPARISONS, Op.gt, Comparison(python=operator.lt, sql=operator.lt))
    assert not holds(Op.gt, 18, 17)
    assert "< ?" in _sql(rule)


def test_starts_with_is_a_prefix_in_both_back_ends_not_a_pattern():
    assert holds(Op.starts_with, "53.71", "53.7")
    assert not holds(Op.starts_with, "5_.71", "53")
    assert "substr(" in _sql({"fact": "origin_region_code", "op": "starts_with", "value": "53.7"})
    assert "LIKE" not in _sql({"fact": "origin_region_code", "op": "starts_with", "value": "53.7"})

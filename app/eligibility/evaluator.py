"""The Python back end: evaluates a rule tree on one person's facts and explains every node.

Rules here are canonical dicts (as validated by schemas.check_rule and stored); the semantics,
shared with the SQL compiler, are described in facts.py.
"""

from collections.abc import Mapping
from typing import Any

from app.eligibility.facts import FACTS
from app.eligibility.operators import COMPARISONS, NULL_OPS, Op


def holds(op: Op | str, actual: Any, expected: Any) -> bool:
    """One condition: a comparison with a missing fact is false, whatever the operator."""
    op = Op(op)
    if op is Op.is_null:
        return actual is None
    if op is Op.not_null:
        return actual is not None
    if actual is None:
        return False
    return COMPARISONS[op].python(actual, expected)


def explain(rule: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """The tree with each node's result; every node is evaluated so that each can be shown."""
    for kind in ("all", "any"):
        if kind in rule:
            children = [explain(child, facts) for child in rule[kind]]
            combine = all if kind == "all" else any
            return {kind: children, "result": combine(c["result"] for c in children)}
    if "not" in rule:
        child = explain(rule["not"], facts)
        return {"not": child, "result": not child["result"]}
    op = Op(rule["op"])
    actual = facts[rule["fact"]]
    return {
        "fact": rule["fact"],
        "op": op.value,
        "expected": None if op in NULL_OPS else rule["value"],
        "actual": actual,
        "result": holds(op, actual, rule.get("value")),
    }


def evaluate(rule: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether `facts` satisfy `rule`."""
    return bool(explain(rule, facts)["result"])


def facts_used(rule: Mapping[str, Any]) -> list[str]:
    """The names of the facts a rule reads, in registry order."""
    used: set[str] = set()
    stack = [rule]
    while stack:
        node = stack.pop()
        if "fact" in node:
            used.add(node["fact"])
        stack.extend(node.get("all", ()))
        stack.extend(node.get("any", ()))
        if "not" in node:
            stack.append(node["not"])
    return [name for name in FACTS if name in used]


def mask(explanation: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """The explanation with the actual values of `hidden` facts withheld (results stay)."""
    for kind in ("all", "any"):
        if kind in explanation:
            return {**explanation, kind: [mask(child, hidden) for child in explanation[kind]]}
    if "not" in explanation:
        return {**explanation, "not": mask(explanation["not"], hidden)}
    if explanation["fact"] in hidden:
        return {**explanation, "actual": None, "masked": True}
    return explanation

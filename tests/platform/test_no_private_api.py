"""No private API of a library in app/: what a minor release may change without notice.

Read from the syntax tree, so that comments and strings do not count: no import of a library's
`_module` or `_name`, and no `x._attribute` outside the class's own `self`/`cls` (the libraries'
objects are reached that way: `pool._invalidate`, `query._generate_cache_key()`, `logging._srcfile`).
"""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
# namedtuple's documented API carries an underscore so as not to clash with field names.
NAMEDTUPLE_API = frozenset({"_make", "_asdict", "_replace", "_fields", "_field_defaults"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) of each private name the module reaches outside its own code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and not node.module.startswith("app"):
            if any(_private(part) for part in node.module.split(".")):
                found.append((node.lineno, f"from {node.module} import"))
            found += [(node.lineno, f"import {a.name}") for a in node.names if _private(a.name)]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, f"import {a.name}")
                for a in node.names
                if any(_private(part) for part in a.name.split("."))
            ]
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in NAMEDTUPLE_API:
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append((node.lineno, f"._{node.attr[1:]}"))
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import logging\nlogging._srcfile = None",
        "from pydantic_core._pydantic_core import list_all_errors",
        "from logging import _srcfile",
        "import sqlalchemy._private",
        "key = query._generate_cache_key()",
        "engine.sync_engine.pool._invalidate(pooled, exc)",
    ],
)
def test_the_check_sees_private_uses(source):
    assert private_uses(source)


def test_a_class_may_use_its_own_and_namedtuples_api():
    assert not private_uses("class A:\n    def f(self):\n        return self._x, Row._make(values)")


def test_app_uses_no_private_api_of_a_library():
    found = [
        f"{path.relative_to(APP.parent)}:{line}: {what}"
        for path in sorted(APP.rglob("*.py"))
        for line, what in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)

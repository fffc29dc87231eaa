"""The chores every resource repeats go through their one helper, never a copy in app/.

Locations through `Idempotency.created/respond` (a route's name), pages through `Page.of`, the
refusal of nulls in a PATCH through `PatchBody`, a child under its parent through
`get_child_or_404`.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import app

APP_DIR = Path(app.__file__).parent


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(APP_DIR.rglob("*.py")):
        yield str(path.relative_to(APP_DIR.parent)), ast.parse(path.read_text(), str(path))


def _where(name: str, node: ast.AST) -> str:
    return f"{name}:{getattr(node, 'lineno', '?')}"


def test_no_hard_coded_api_path_is_built():
    built = [
        _where(name, node)
        for name, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        and node.values
        and isinstance(node.values[0], ast.Constant)
        and str(node.values[0].value).startswith("/api/v1/")
    ]
    assert built == [], "build a path from its route's name (Idempotency.path), not an f-string"


def test_pages_are_built_by_page_of():
    built = [
        _where(name, node)
        for name, tree in _modules()
        if name != "app/pagination.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Page")
            or (isinstance(node.func, ast.Subscript) and getattr(node.func.value, "id", None) == "Page")
            or any(k.arg == "next_cursor" for k in node.keywords)
        )
    ]
    assert built == [], "build a page with Page.of(rows, cursor, present)"


def test_nulls_are_refused_by_the_patch_body_only():
    refusals = [
        _where(name, node)
        for name, tree in _modules()
        if name not in {"app/schemas.py", "app/i18n/messages_id.py"}
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == "may not be null"
    ]
    assert refusals == [], "declare the field without None in a PatchBody instead"

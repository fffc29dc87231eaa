"""Finds every message the API can put in a problem, by reading the source of app/.

A message is normalised to a template: each f-string field becomes `{}`, the form the catalog of
app/i18n uses as its key. The sinks read here:
- `title` of AppError subclasses (also `status, slug, title = ...`);
- the first argument or `detail=` of an AppError subclass's constructor, and of `super().__init__`
  inside one;
- `(loc, msg)` pairs of InvalidInput, `RowError(row, column, msg)` of the CSV import, and the
  `fail(loc, msg)` of the eligibility rule checker;
- ValueError (and the app's subclasses) / PydanticCustomError messages: validators' 422s;
- the fixed `title=` / `detail=` of `problem(...)` in app/errors.py and app/middleware.py.
A name in a sink is followed to the strings assigned to it in the function or the module; what
stays unreadable (`str(exc)`, a number) is listed by `computed()` for the test to account for.
"""

import ast
import importlib
import pkgutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import app
from app.errors import AppError

APP_DIR = Path(app.__file__).parent
ROOT = APP_DIR.parent
LOC_ROOTS = {"body", "query", "path", "header", "cookie"}
# ValueErrors of these modules never reach a response: settings, storage, the CLI-only region
# loader, crypto, the evaluator/compiler, which run on rules that were already validated, and the
# person views' builder, which runs on the views' own field names.
INTERNAL_VALUE_ERRORS = {
    "app/config.py",
    "app/db.py",
    "app/security/crypto.py",
    "app/regions/service.py",
    "app/eligibility/evaluator.py",
    "app/eligibility/compiler.py",
    "app/privacy/views.py",
}
PROBLEM_MODULES = {"app/errors.py", "app/middleware.py"}


@dataclass(frozen=True)
class Message:
    template: str
    where: str  # path:line, for the failure message


@cache
def error_classes() -> dict[str, type[AppError]]:
    """Every AppError subclass of the app that answers with an error status, by class name."""
    for module in pkgutil.walk_packages(app.__path__, "app."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, type[AppError]] = {}
    pending = [AppError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.status >= 400:  # Replay (200) carries a stored response, not a problem
            found[cls.__name__] = cls
    return found


@cache
def value_errors() -> frozenset[str]:
    """ValueError and the app's subclasses of it (e.g. the webhook target check's TargetRefused)."""
    error_classes()  # imports every module of the app
    names = {"ValueError"}
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("app."):
            for obj in vars(module).values():
                if (
                    isinstance(obj, type)
                    and issubclass(obj, ValueError)
                    and obj.__module__.startswith("app.")
                ):
                    names.add(obj.__name__)
    return frozenset(names)


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) and _is_text(node.orelse)
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _strings(node: ast.expr) -> Iterator[str]:
    """The templates a string-valued expression can take: constants, f-strings, a or b."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield "".join(
            part.value if isinstance(part, ast.Constant) else "{}"
            for part in node.values
            if isinstance(part, ast.Constant | ast.FormattedValue)
        )
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def field_words(node: ast.expr) -> Iterator[str]:
    """String constants inside f-string fields (e.g. `or 'none'`), not `', '.join` separators."""
    for joined in ast.walk(node):
        if not isinstance(joined, ast.JoinedStr):
            continue
        for part in joined.values:
            if not isinstance(part, ast.FormattedValue):
                continue
            separators = {
                id(n.func.value)
                for n in ast.walk(part.value)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "join"
            }
            for n in ast.walk(part.value):
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in separators:
                    yield n.value


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_loc(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple) and node.elts:
        first = node.elts[0]
        return isinstance(first, ast.Constant) and first.value in LOC_ROOTS
    return False


def _assignments(nodes: Iterable[ast.AST]) -> dict[str, list[ast.expr]]:
    """The values assigned to each plain name among `nodes`."""
    assigned: dict[str, list[ast.expr]] = {}
    for stmt in nodes:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            assigned.setdefault(stmt.targets[0].id, []).append(stmt.value)
    return assigned


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, classes: dict[str, type[AppError]]) -> None:
        self.path = path
        self.classes = classes
        self.invalid_input = {n for n, c in classes.items() if issubclass(c, classes["InvalidInput"])}
        self.found: list[tuple[ast.expr, int]] = []
        self.class_names: list[str] = []
        self.dynamic: list[tuple[str, int]] = []
        self.value_errors = value_errors()
        self.assigned: list[dict[str, list[ast.expr]]] = [{}]
        self.error_class: list[bool] = []

    def add(self, node: ast.expr | None) -> None:
        if node is None:
            return
        if isinstance(node, ast.Name):
            # `msg = "..."` in the function, or a module constant: the message is what was assigned.
            scope = next((a for a in reversed(self.assigned) if node.id in a), None)
            if scope is not None:
                for value in scope[node.id]:
                    self.add(value)
                return
        if _is_text(node):
            self.found.append((node, node.lineno))
        else:  # computed at run time: the scan cannot read it (see test_messages_complete)
            self.dynamic.append((ast.unparse(node), node.lineno))

    def visit_Module(self, node: ast.Module) -> None:
        self.assigned = [_assignments(node.body)]
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.assigned.append(_assignments(ast.walk(node)))
        self.generic_visit(node)
        self.assigned.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        is_error = node.name in self.classes
        if is_error:
            for stmt in node.body:
                if isinstance(stmt, ast.Assign):
                    self._title(stmt)
        self.error_class.append(is_error)
        self.class_names.append(node.name)
        self.generic_visit(node)
        self.error_class.pop()
        self.class_names.pop()

    def _title(self, stmt: ast.Assign) -> None:
        for target in stmt.targets:
            if isinstance(target, ast.Name) and target.id == "title":
                self.add(stmt.value)
            elif isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                for name, value in zip(target.elts, stmt.value.elts, strict=False):
                    if isinstance(name, ast.Name) and name.id == "title":
                        self.add(value)

    def _parent_lists_errors(self) -> bool:
        parent = self.classes[self.class_names[-1]].__mro__[1]
        return issubclass(parent, self.classes["InvalidInput"])

    def visit_Tuple(self, node: ast.Tuple) -> None:
        if len(node.elts) == 2 and _is_loc(node.elts[0]):
            self.add(node.elts[1])
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        kwargs = {k.arg: k.value for k in node.keywords}
        is_super_init = (
            name == "__init__"
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
            and _name(node.func.value.func) == "super"
            and bool(self.error_class)
            and self.error_class[-1]
        )
        if name in self.classes or is_super_init:
            # InvalidInput's first argument is its list of (loc, msg), read by visit_Tuple.
            lists_errors = name in self.invalid_input or (is_super_init and self._parent_lists_errors())
            self.add(node.args[0] if node.args and not lists_errors else None)
            self.add(kwargs.get("detail"))
            if lists_errors and node.args:
                for pair in ast.walk(node.args[0]):
                    if (
                        isinstance(pair, ast.Tuple)
                        and len(pair.elts) == 2
                        and isinstance(pair.elts[0], ast.Name)
                    ):
                        self.add(pair.elts[1])
        elif name == "RowError" and len(node.args) == 3:
            self.add(node.args[2])
        elif name == "fail" and isinstance(node.func, ast.Attribute) and len(node.args) == 2:
            self.add(node.args[1])
        elif name in self.value_errors and self.path not in INTERNAL_VALUE_ERRORS:
            self.add(node.args[0] if node.args else None)
        elif name == "PydanticCustomError" and len(node.args) >= 2:
            self.add(node.args[1])
        elif name == "problem" and self.path in PROBLEM_MODULES:
            self.add(kwargs.get("title"))
            self.add(kwargs.get("detail"))
        self.generic_visit(node)


@cache
def _scan() -> tuple[list[tuple[ast.expr, str]], list[Message]]:
    """Every message expression of app/ with where it is written; and the computed ones."""
    classes = error_classes()
    found: list[tuple[ast.expr, str]] = []
    dynamic: list[Message] = []
    for file in sorted(APP_DIR.rglob("*.py")):
        path = file.relative_to(ROOT).as_posix()
        scanner = _Scanner(path, classes)
        scanner.visit(ast.parse(file.read_text(encoding="utf-8"), filename=path))
        found += [(node, f"{path}:{line}") for node, line in scanner.found]
        dynamic += [Message(source, f"{path}:{line}") for source, line in scanner.dynamic]
    return found, dynamic


def _sink_nodes() -> list[tuple[ast.expr, str]]:
    return _scan()[0]


def computed() -> list[Message]:
    """Message arguments that are not a string or f-string (a variable, `str(exc)`...)."""
    return _scan()[1]


def messages() -> list[Message]:
    """Every message template of app/."""
    return [Message(t, where) for node, where in _sink_nodes() for t in _strings(node) if t]


def words() -> list[Message]:
    """Words inside the fields of message f-strings (e.g. `or 'none'`), translated as values."""
    return [Message(w, where) for node, where in _sink_nodes() for w in field_words(node)]


def framework_messages() -> list[Message]:
    """The fixed details FastAPI and Starlette put in the errors they raise (body and form parsing)."""
    import fastapi.routing
    import starlette.formparsers

    sinks = {fastapi.routing: {"HTTPException"}, starlette.formparsers: {"MultiPartException"}}
    found: list[Message] = []
    for module, names in sinks.items():
        path = Path(module.__file__ or "")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) in names:
                args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "detail")]
                found += [Message(t, f"{module.__name__}:{node.lineno}") for a in args for t in _strings(a)]
    return found


def string_literals() -> set[str]:
    """Every string constant in app/ (where a catalog value word must come from)."""
    return {
        node.value
        for file in APP_DIR.rglob("*.py")
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }

"""The import graph of app/ has no cycle, and no module of app/ is over 500 lines.

Cross-domain work is a flow, visibility a leaf `queries`; a long module is split by what it holds.

grimp (import-linter's graph) reads every import statement of a module, at the top and inside
functions alike, so a cycle hidden behind a function-local import fails here too. It only sees
regular packages: a folder without `__init__.py` would drop out of the graph unnoticed.
"""

from pathlib import Path

import grimp
import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def import_cycles(package: str) -> list[list[str]]:
    """One shortest cycle through each direct import that lies on a cycle, as a chain of modules."""
    graph = grimp.build_graph(package, cache_dir=None)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append([importer, *back])
    return cycles


def test_app_has_no_import_cycle() -> None:
    cycles = import_cycles("app")
    assert not cycles, "import cycles in app/:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_folder_of_app_is_a_regular_package() -> None:
    folders = {path.parent for path in APP.rglob("*.py") if "__pycache__" not in path.parts}
    assert [str(f) for f in sorted(folders) if not (f / "__init__.py").exists()] == []


def test_a_cycle_through_a_function_local_import_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cyclic_example"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic_example import b\n")
    (package / "b.py").write_text("def late():\n    from cyclic_example import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic_example") == [
        ["cyclic_example.a", "cyclic_example.b", "cyclic_example.a"],
        ["cyclic_example.b", "cyclic_example.a", "cyclic_example.b"],
    ]


# No module of app/ grows past this many lines: a longer one holds several things and is split by
# what it holds (as persons/ and apidocs/examples/ are). The Indonesian message catalogue is data.
MAX_MODULE_LINES = 500
LONG_BY_NATURE = {"i18n/messages_id.py"}


def long_modules(root: Path, limit: int = MAX_MODULE_LINES) -> dict[str, int]:
    """The modules under `root` (but the catalogue) with more than `limit` lines, and their lengths."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if "__pycache__" in path.parts or name in LONG_BY_NATURE:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found[name] = lines
    return found


def test_no_module_of_app_is_over_500_lines() -> None:
    assert long_modules(APP) == {}


def test_a_long_module_is_found(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n" * 500)
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "long.py").write_text("x = 1\n" * 501)
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "messages_id.py").write_text("x = 1\n" * 900)
    assert long_modules(tmp_path) == {"deep/long.py": 501}

"""Imports inside ``server/`` go one way: down the layers of docs/architecture.md.

Every ``import`` and ``from ... import`` of every module is read with :mod:`ast`, including
the ones inside functions, methods and ``if TYPE_CHECKING:`` blocks, so an import moved into a
function to dodge a cycle still counts. A unit is a package directly under ``server/`` (``cases``,
``db``, ...) or a top-level module (``app``, ``settings``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "server"

# Lower layers never import higher ones. Units on one layer may import each other, but never
# in a cycle (checked below). ``server`` is the root package (it only holds ``__version__``).
LAYERS: list[set[str]] = [
    {"server", "lib", "settings"},
    {"db"},
    {"audit"},
    {"auth", "checklists"},
    {"cases"},
    {"sync", "evidence"},
    {"partners", "workspace"},
    {"app", "admin", "web"},
]
LAYER = {unit: level for level, units in enumerate(LAYERS) for unit in units}
# Domain code gets its configuration passed in; only the wiring reads the settings module.
SETTINGS_READERS = {"app", "admin", "web"}


def _unit_of(path: Path, server: Path = SERVER) -> str:
    parts = path.relative_to(server).parts
    if parts == ("__init__.py",):
        return "server"
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _module_of(path: Path, server: Path) -> list[str]:
    parts = ["server", *path.relative_to(server).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_modules(path: Path, server: Path) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of every import in the file, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_of(path, server)
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from server import app`` imports the unit ``app``, not the root package.
            if module == "server":
                found.extend((node.lineno, f"server.{alias.name}") for alias in node.names)
    return found


def _target_unit(module: str, server: Path) -> str | None:
    parts = module.split(".")
    if parts[0] != "server":
        return None
    if len(parts) == 1:
        return "server"
    if (server / parts[1]).is_dir() or (server / f"{parts[1]}.py").is_file():
        return parts[1]
    return "server"  # a name defined in server/__init__.py, e.g. __version__


def collect(server: Path = SERVER) -> list[tuple[str, str, str]]:
    """Every cross-unit import as ``(importing unit, imported unit, "file:line")``."""
    edges = []
    for path in sorted(server.rglob("*.py")):
        unit = _unit_of(path, server)
        for line, module in _imported_modules(path, server):
            target = _target_unit(module, server)
            if target is not None and target != unit:
                where = f"{path.relative_to(server.parent)}:{line}"
                edges.append((unit, target, where))
    return edges


def violations(edges: list[tuple[str, str, str]]) -> list[str]:
    """Imports against the layer order or the settings rule."""
    problems = []
    unplaced: set[str] = set()
    for unit, target, where in edges:
        for name in (unit, target):
            if name not in LAYER and name not in unplaced:
                unplaced.add(name)
                problems.append(f"{where}: unit {name!r} has no place in LAYERS")
        if unit not in LAYER or target not in LAYER:
            continue
        if target == "settings" and unit not in SETTINGS_READERS:
            problems.append(
                f"{where}: {unit} imports settings; pass it the values it needs instead"
            )
        elif LAYER[target] > LAYER[unit]:
            problems.append(
                f"{where}: {unit} (layer {LAYER[unit]}) imports {target} "
                f"(layer {LAYER[target]}), a higher layer"
            )
    return problems


def cycles(edges: list[tuple[str, str, str]]) -> list[list[str]]:
    """Package cycles, each as the path of units that closes it."""
    graph: dict[str, set[str]] = {}
    for unit, target, _ in edges:
        graph.setdefault(unit, set()).add(target)
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_every_import_goes_down_the_layers() -> None:
    problems = violations(collect())
    assert not problems, "imports against the order in docs/architecture.md:\n" + "\n".join(
        problems
    )


def test_no_package_cycles() -> None:
    found = cycles(collect())
    assert not found, "package cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_every_unit_under_server_has_a_layer() -> None:
    units = {_unit_of(p) for p in SERVER.rglob("*.py")}
    assert units - LAYER.keys() == set()


# The checker itself, on small trees that break each rule.


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "server"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_an_upward_import_inside_a_function_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "db/__init__.py": "",
            "db/feed.py": "def f():\n    from server.cases.repository import x\n",
            "cases/__init__.py": "",
            "cases/repository.py": "from server.db.feed import y\n",
        },
    )
    edges = collect(root)
    assert violations(edges) == [
        "server/db/feed.py:2: db (layer 1) imports cases (layer 4), a higher layer"
    ]
    assert cycles(edges) == [["cases", "db", "cases"]]


def test_relative_and_type_checking_imports_count(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "auth/__init__.py": "",
            "auth/service.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from ..settings import Settings\n",
            "settings.py": "",
            "app.py": "from server import settings\n",
        },
    )
    assert violations(collect(root)) == [
        "server/auth/service.py:3: auth imports settings; pass it the values it needs instead"
    ]


def test_a_cycle_between_peers_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "sync/__init__.py": "import server.evidence.x\n",
            "evidence/__init__.py": "from server.sync import y\n",
        },
    )
    edges = collect(root)
    assert violations(edges) == []
    assert cycles(edges) == [["evidence", "sync", "evidence"]]


def test_an_unknown_unit_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"stray.py": "from server.lib import x\n", "lib/__init__.py": ""})
    assert violations(collect(root)) == ["server/stray.py:1: unit 'stray' has no place in LAYERS"]


@pytest.mark.parametrize("unit", sorted(SETTINGS_READERS))
def test_wiring_may_read_settings(tmp_path: Path, unit: str) -> None:
    root = _tree(
        tmp_path, {f"{unit}.py": "from server.settings import Settings\n", "settings.py": ""}
    )
    assert violations(collect(root)) == []

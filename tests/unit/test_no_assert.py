"""Production code never uses ``assert`` for control flow: ``python -O`` strips asserts, so a
check that matters raises a real error instead."""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"


def asserts_in(root: Path) -> list[str]:
    """``file:line`` of every assert statement under ``root``."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.extend(
            f"{path.relative_to(root.parent)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Assert)
        )
    return found


def test_server_has_no_assert_statements() -> None:
    assert asserts_in(SERVER) == []


def test_an_assert_inside_a_method_is_found(tmp_path: Path) -> None:
    root = tmp_path / "server"
    root.mkdir()
    # A method with an assert between two statements.
    (root / "m.py").write_text(
        "class A:\n    def f(self, x):\n        assert x\n        return 1\n"
    )
    assert asserts_in(root) == ["server/m.py:3"]

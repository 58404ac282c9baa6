"""Only ``lsi_rig.gui`` may import Qt widgets (import-linter cannot forbid an external
sub-package, so this test walks the syntax trees of every module)."""

from __future__ import annotations

import ast
from pathlib import Path

import lsi_rig

PACKAGE = Path(lsi_rig.__file__).parent
FORBIDDEN = ("PyQt6.QtWidgets", "pyqtgraph")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_gui_imports_qt_widgets() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "gui" in path.relative_to(PACKAGE).parts:
            continue
        for name in _imports(path):
            if name.startswith(FORBIDDEN):
                offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert offenders == []


def test_the_check_sees_a_widget_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("from PyQt6.QtWidgets import QWidget\nimport pyqtgraph as pg\n")
    found = [n for n in _imports(sample) if n.startswith(FORBIDDEN)]
    assert "PyQt6.QtWidgets" in found and "pyqtgraph" in found

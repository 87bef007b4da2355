"""geo's demo stays in its layer: it seeds places and accounts and imports no app above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parents[1]
ABOVE_GEO = ("pingan.events", "pingan.people", "pingan.workflow", "pingan.notify")


def imported_modules(path: Path) -> set[str]:
    """Return every module ``path`` imports, at the top or inside a function."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            # `from pingan import events` imports pingan.events too.
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


@pytest.mark.parametrize(
    "path",
    [GEO / "demo.py", GEO / "management" / "commands" / "load_demo.py"],
    ids=lambda path: str(path.relative_to(GEO)),
)
def test_geo_demo_imports_nothing_from_the_layers_above(path):
    above = {
        module
        for module in imported_modules(path)
        if any(module == app or module.startswith(app + ".") for app in ABOVE_GEO)
    }
    assert above == set()


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    path = tmp_path / "demo.py"
    path.write_text("def load():\n    from pingan.events.demo import load_demo_events\n")
    assert "pingan.events.demo.load_demo_events" in imported_modules(path)

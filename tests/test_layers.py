"""Layers import downward only: scenario/ and catalog/ never import engine/ or results/.

The scan reads every module's AST, so an import hidden inside a function counts as well.
"""

from __future__ import annotations

import ast

import pytest
from conftest import REPO, imported_modules

LOWER_LAYERS = ("scenario", "catalog")
FORBIDDEN = ("batchsim.engine", "batchsim.results")


def forbidden_imports(source: str) -> list[str]:
    """Return the imports of ``source`` that reach into the engine or results layers."""
    found = imported_modules(ast.parse(source))
    return [n for n in found if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]


def test_the_scan_sees_an_import_inside_a_function():
    source = "def f():\n    from batchsim.engine.spot import price_points\n"
    assert forbidden_imports(source) == [
        "batchsim.engine.spot",
        "batchsim.engine.spot.price_points",
    ]
    assert forbidden_imports("from batchsim import results\n") == ["batchsim.results"]
    assert forbidden_imports("import batchsim.catalog\n") == []


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_lower_layers_never_import_the_engine_or_results(layer):
    modules = sorted((REPO / "batchsim" / layer).rglob("*.py"))
    assert modules
    offenders = {
        str(path.relative_to(REPO)): bad
        for path in modules
        if (bad := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}

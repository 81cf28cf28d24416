"""The notebooks in notebooks/: stored without outputs, using the public API, and each runs to its
end in a real kernel. The behaviour checks are the ``assert`` cells inside each notebook, which
keep the figures its prose quotes true; executing needs the ``notebooks`` extra (nbclient,
nbformat, ipykernel) and is skipped without it."""

from __future__ import annotations

import ast
import json
import os

import pytest
from conftest import REPO, imported_modules

NOTEBOOKS = REPO / "notebooks"
NAMES = [
    "01-job-lifecycle.ipynb",
    "02-on-demand-vs-spot.ipynb",
    "03-capacity-planning.ipynb",
    "04-replay-history.ipynb",
]


def _code_cells(name: str) -> list[dict]:
    cells = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def test_the_notebooks_folder_holds_the_three_stories():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_is_stored_without_outputs(name):
    cells = _code_cells(name)
    assert cells
    assert [cell["outputs"] for cell in cells] == [[] for _ in cells]
    assert [cell["execution_count"] for cell in cells] == [None for _ in cells]


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_uses_only_the_public_api_and_asserts(name):
    source = "\n".join("".join(cell["source"]) for cell in _code_cells(name))
    tree = ast.parse(source)
    assert "batchsim" in imported_modules(tree)
    assert [module for module in imported_modules(tree) if module.startswith("batchsim.")] == []
    assert any(isinstance(node, ast.Assert) for node in ast.walk(tree))


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_runs_to_its_end(name):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    # NOTE: the kernel runs in notebooks/ (as Jupyter would); PYTHONPATH makes it, and the
    # `python -m batchsim` it starts, import this checkout rather than another installed one.
    paths = [str(REPO), os.environ.get("PYTHONPATH", "")]
    # NOTE: execute raises CellExecutionError at the first cell that fails, a failed assert included.
    client.execute(env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, paths))))
    assert all(cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")

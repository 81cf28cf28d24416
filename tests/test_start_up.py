"""What a command imports: ``import batchsim`` and a whole ``batchsim sweep``, ``compare`` or
``plan`` never import pandas (0.2–0.3 s of every short sweep's start-up), while
``batchsim.explain`` and ``batchsim.RunResult`` still work, imported on first use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import batchsim

REPO = Path(__file__).resolve().parents[1]
COMMAND = """
import json, sys
from batchsim.cli import main
status = main(json.loads(sys.argv[1]))
print(status, "pandas" in sys.modules, "scipy.special" in sys.modules,
      "matplotlib" in sys.modules)
"""
QUICKSTART = str(REPO / "scenarios" / "quickstart.yaml")


def _python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, check=True
    )
    return done.stdout.strip().splitlines()[-1]  # the table before it is the command's


def test_import_batchsim_does_not_import_pandas():
    assert _python("import sys, batchsim.cli; print('pandas' in sys.modules)") == "False"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_whole_sweep_never_imports_pandas(tmp_path, workers):
    command = ["sweep", QUICKSTART, "--vary", "maxvCpus=32,64", "--vary", "instanceTypes=[c5],[m5]",
               "--replications", "2", "--workers", workers, "--deadline", "5h", "-q",
               "-o", str(tmp_path / "out")]  # fmt: skip
    found = _python(COMMAND, json.dumps(command))
    assert found == "0 False True True"  # it ran, wrote its plots and intervals, no pandas
    assert (tmp_path / "out" / "heatmap.png").is_file()


def test_compare_and_plan_never_import_pandas(tmp_path):
    compare = [
        "compare",
        QUICKSTART,
        str(REPO / "scenarios" / "steady-stream-warm.yaml"),
        "--replications",
        "2",
        "--workers",
        "1",
        "-q",
        "-o",
        str(tmp_path / "compare"),
    ]
    plan = ["plan", QUICKSTART, "--deadline", "5h", "--vary", "maxvCpus=32,64,128",
            "--replications-max", "30", "--workers", "1", "-q", "-o", str(tmp_path / "plan")]  # fmt: skip
    assert _python(COMMAND, json.dumps(compare)).split()[:2] == ["0", "False"]
    assert _python(COMMAND, json.dumps(plan)).split()[:2] == ["0", "False"]
    assert (tmp_path / "compare" / "compare.csv").is_file()
    assert (tmp_path / "plan" / "plan.json").is_file()


def test_the_lazy_names_are_the_modules_and_classes():
    from batchsim.explain import story_text
    from batchsim.results.run_result import RunResult

    assert batchsim.explain.story_text is story_text
    assert batchsim.RunResult is RunResult
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        batchsim.nonsense  # noqa: B018

"""batchsim plan's runs: --resume (the same plan.json from fewer runs), an interrupt that keeps
the runs made, the Python API against the command, the progress line only on a terminal, and
Dask (one LocalCluster for every round, the same files as one process)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from test_plan import SCENARIO, VARY

import batchsim
from batchsim.cli import main
from batchsim.scenario.loader import parse_scenario
from batchsim.sweeps import dask_executor
from batchsim.sweeps import execute as execute_module
from batchsim.sweeps.runner import run_task

FILES = ("plan.json", "runs.csv", "sweep.yaml", "scenario.yaml")


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture
def fresh(scenario, tmp_path) -> Path:
    """The folder of an uninterrupted plan on one process: the reference."""
    status, _, err = plan_cli(scenario, tmp_path / "fresh")
    assert status == 0, err
    return tmp_path / "fresh"


def plan_cli(scenario: Path, folder: Path, *extra: str, stderr=None) -> tuple[int, str, str]:
    vary = [arg for v in VARY for arg in ("--vary", v)]
    argv = ["plan", str(scenario), *vary, "--confidence", "0.6", "--replications-max", "8",
            "--deadline", "90m", "-o", str(folder), *extra]  # fmt: skip
    if "--workers" not in extra and "--dask" not in extra:
        argv += ["--workers", "1"]
    out, err = io.StringIO(), stderr or io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def counting(monkeypatch, stop_after: int | None = None) -> list[int]:
    """Count the runs made (in this process); raise KeyboardInterrupt after ``stop_after``."""
    made: list[int] = []

    def counted(task):
        if stop_after is not None and len(made) == stop_after:
            raise KeyboardInterrupt
        made.append(task.seed)
        return run_task(task)

    monkeypatch.setattr(execute_module, "run_task", counted)
    return made


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# ----------------------------------------------------------------------------- resume
def test_resume_of_a_finished_plan_makes_no_run_and_the_same_files(fresh, scenario, monkeypatch):
    made = counting(monkeypatch)
    status, out, err = plan_cli(scenario, fresh, "--resume")
    runs_made = json.loads((fresh / "plan.json").read_text())["runs_made"]
    assert status == 0, err
    assert made == [] and "(0 runs simulated in" in out and f", {runs_made} resumed)" in out


def test_an_interrupted_plan_resumes_with_the_runs_left_and_the_same_plan(
    fresh, scenario, tmp_path, monkeypatch
):
    folder = tmp_path / "out"
    counting(monkeypatch, stop_after=25)  # the coarse pass (20 runs) and 5 of the next round
    status, _, err = plan_cli(scenario, folder)
    assert status == 130 and "25 finished runs kept" in err
    assert sorted(p.name for p in folder.iterdir()) == ["runs.csv", "scenario.yaml", "sweep.yaml"]
    made = counting(monkeypatch)
    status, out, err = plan_cli(scenario, folder, "--resume")
    runs_made = json.loads((fresh / "plan.json").read_text())["runs_made"]
    assert status == 0, err
    assert len(made) == runs_made - 25 and ", 25 resumed)" in out
    assert folder_bytes(folder) == folder_bytes(fresh)


def test_resume_refuses_a_folder_of_another_plan(fresh, scenario):
    status, _, err = plan_cli(scenario, fresh, "--resume", "--seed", "7")
    assert status == 2 and "it holds another sweep" in err


# ----------------------------------------------------------------------------- the API
def test_the_api_gives_the_commands_plan(fresh, scenario):
    result = batchsim.plan(
        scenario, vary=VARY, deadline="90m", confidence=0.6, replications=8, workers=1
    )
    document = json.loads((fresh / "plan.json").read_text())
    assert result.to_json() == (fresh / "plan.json").read_text()
    assert result.answer == document["answer"] and result.answer["point"] == 6
    assert result.runners_up == document["runners_up"]
    assert result.cheaper_failures == document["cheaper_failures"]
    assert (result.runs_made, result.grid_runs) == (document["runs_made"], 80)
    assert len(result.runs) == result.runs_made
    assert list(result.runs.columns[:3]) == ["point", "replication", "seed"]


def test_the_api_takes_a_scenario_object_and_workers(fresh, scenario):
    loaded = parse_scenario(SCENARIO, str(scenario))
    result = batchsim.plan(
        loaded, vary=dict(v.split("=") for v in VARY), deadline=5400, confidence=0.6,
        replications=8, workers=2,
    )  # fmt: skip
    document = json.loads((fresh / "plan.json").read_text())
    assert result.answer == document["answer"]
    assert [p["run_rows"] for p in json.loads(result.to_json())["points"]] == [
        p["run_rows"] for p in document["points"]
    ]


def test_the_api_needs_a_target(scenario):
    with pytest.raises(batchsim.ScenarioError, match="a plan needs a target"):
        batchsim.plan(scenario, vary=VARY, confidence=0.6, replications=8)


# ----------------------------------------------------------------------------- progress
def test_progress_line_only_on_a_terminal(scenario, tmp_path):
    shown = Terminal()
    assert plan_cli(scenario, tmp_path / "a", stderr=shown)[0] == 0
    # the first round is the coarse pass: 10 configurations × 2 replications of the grid's 80
    assert (
        "\r\x1b[Kplan: round 1, 20/20 runs; 20 made (25.0 % of the grid's 80)" in shown.getvalue()
    )
    assert "plan: round 2, " in shown.getvalue()
    quiet = Terminal()
    assert plan_cli(scenario, tmp_path / "b", "-q", stderr=quiet)[0] == 0
    assert quiet.getvalue() == ""
    _, _, piped = plan_cli(scenario, tmp_path / "c")
    assert piped == ""


# ----------------------------------------------------------------------------- Dask
def test_dask_local_cluster_gives_the_same_files_with_one_cluster(
    fresh, scenario, tmp_path, monkeypatch
):
    pytest.importorskip("distributed")
    started = []
    real = dask_executor.start_local_cluster

    def counted(workers):
        started.append(workers)
        return real(workers)

    monkeypatch.setattr(dask_executor, "start_local_cluster", counted)
    status, _, err = plan_cli(scenario, tmp_path / "dask", "--dask", "local", "--workers", "2")
    assert status == 0, err
    assert started == [2]  # one cluster for every round of the search
    assert folder_bytes(tmp_path / "dask") == folder_bytes(fresh)

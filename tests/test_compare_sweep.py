"""batchsim compare on the sweep's machinery: the same runs and files whatever the executor,
the sweep's statistics, --resume, an interrupt that keeps the finished runs, failed runs left
out, and the progress line only on a terminal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from conftest import cli
from test_compare import random_scenario, scenario

import batchsim.api
from batchsim.cli import main
from batchsim.compare import compare
from batchsim.sweeps import execute as execute_module
from batchsim.sweeps.runner import InProcess, LocalPool, run_task

FILES = ("compare.csv", "compare.json")


@pytest.fixture
def files(tmp_path) -> list[str]:
    """Two scenario files that share a workload: the baseline and a narrower cluster."""
    wide = tmp_path / "wide.yaml"
    wide.write_text(yaml.safe_dump(random_scenario(name="wide"), sort_keys=False))
    narrow = random_scenario(name="narrow")
    narrow["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 4
    (tmp_path / "narrow.yaml").write_text(yaml.safe_dump(narrow, sort_keys=False))
    return [str(wide), str(tmp_path / "narrow.yaml")]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def counting(monkeypatch) -> list[int]:
    """Count the runs the executors make (in this process: one worker)."""
    seeds: list[int] = []

    def counted(task):
        seeds.append(task.seed)
        return run_task(task)

    monkeypatch.setattr(execute_module, "run_task", counted)
    return seeds


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# ----------------------------------------------------------------------------- executors
def test_every_executor_gives_the_same_comparison_and_runs():
    scenarios = [scenario(random_scenario()), scenario(random_scenario(name="b"))]
    found = [
        compare(scenarios, replications=4, seed=3, executor=executor)
        for executor in (InProcess(), LocalPool(2), LocalPool(3))
    ]
    assert all(c.to_dict() == found[0].to_dict() for c in found[1:])
    assert all(c.runs_csv_text() == found[0].runs_csv_text() for c in found[1:])
    assert [(r["point"], r["replication"], r["seed"]) for r in found[0].runs] == [
        (p, r, 3 + r) for p in (0, 1) for r in range(4)
    ]


def test_dask_local_cluster_gives_the_same_files_as_one_worker(files, tmp_path):
    pytest.importorskip("distributed")
    common = [*files, "--replications", "3", "--deadline", "1h"]
    assert cli("compare", *common, "--workers", "1", "-o", str(tmp_path / "one"))[0] == 0
    status, _, err = cli(
        "compare", *common, "--dask", "local", "--workers", "2", "-o", str(tmp_path / "dask")
    )
    assert status == 0, err
    assert folder_bytes(tmp_path / "dask") == folder_bytes(tmp_path / "one")


def test_intervals_are_the_sweeps_own_on_the_same_runs(files, tmp_path):
    # One sweep point at the baseline's own maxvCpus makes the baseline's runs again, so its
    # points.csv mean and Student t half-width are the comparison's, to the last bit.
    assert cli("compare", *files, "--replications", "5", "-o", str(tmp_path / "c"))[0] == 0
    argv = [files[0], "--vary", "maxvCpus=16", "--replications", "5", "--workers", "1"]
    assert cli("sweep", *argv, "-o", str(tmp_path / "s"))[0] == 0
    results = json.loads((tmp_path / "c" / "compare.json").read_text())["results"]["wide"]
    with open(tmp_path / "s" / "points.csv", newline="") as stream:
        point = next(csv.DictReader(stream))
    for metric in ("total_cost_usd", "makespan_s"):
        assert repr(results[metric]["mean"]) == point[f"{metric}.mean"]
        assert repr(results[metric]["ci95"]) == point[f"{metric}.ci95"]


# ----------------------------------------------------------------------------- resume
def interrupted(files, folder: Path, monkeypatch, after: int, replications: str = "3") -> None:
    """Run a comparison into ``folder`` and interrupt it after ``after`` runs."""
    made: list[int] = []

    def stopping(task):
        if len(made) == after:
            raise KeyboardInterrupt
        made.append(task.seed)
        return run_task(task)

    monkeypatch.setattr(execute_module, "run_task", stopping)
    status, _, err = cli("compare", *files, "--replications", replications, "-o", str(folder))
    assert status == 130 and f"{after} finished runs kept" in err


def test_an_interrupt_keeps_the_finished_runs_and_resume_makes_the_rest(
    files, tmp_path, monkeypatch
):
    fresh, folder = tmp_path / "fresh", tmp_path / "out"
    assert cli("compare", *files, "--replications", "3", "-o", str(fresh))[0] == 0
    assert sorted(p.name for p in fresh.iterdir()) == ["compare.csv", "compare.json", "report.html"]
    interrupted(files, folder, monkeypatch, after=4)
    assert sorted(p.name for p in folder.iterdir()) == ["compare.partial.json", "runs.csv"]
    with open(folder / "runs.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["scenario"], r["seed"], r["status"]) for r in rows] == [
        ("wide", "1", "ok"), ("wide", "2", "ok"), ("wide", "3", "ok"), ("narrow", "1", "ok"),
    ]  # fmt: skip
    assert json.loads((folder / "compare.partial.json").read_text())["runs_finished"] == 4
    seeds = counting(monkeypatch)
    status, out, err = cli("compare", *files, "--replications", "3", "--resume", "-o", str(folder))
    assert status == 0, err
    assert sorted(seeds) == [2, 3] and "(2 runs simulated in" in out and ", 4 resumed)" in out
    assert folder_bytes(folder) == folder_bytes(fresh)
    assert sorted(p.name for p in folder.iterdir()) == [
        "compare.csv",
        "compare.json",
        "report.html",
    ]


def test_resume_with_more_replications_keeps_the_finished_seeds(files, tmp_path, monkeypatch):
    fresh, folder = tmp_path / "fresh", tmp_path / "out"
    assert cli("compare", *files, "--replications", "5", "-o", str(fresh))[0] == 0
    interrupted(files, folder, monkeypatch, after=3)
    seeds = counting(monkeypatch)
    argv = [*files, "--replications", "5", "--resume", "-o", str(folder)]
    assert cli("compare", *argv)[0] == 0
    assert sorted(seeds) == [1, 2, 3, 4, 4, 5, 5]  # wide's seeds 1–3 were kept
    assert folder_bytes(folder) == folder_bytes(fresh)


def test_resume_reruns_a_scenario_whose_file_changed(files, tmp_path, monkeypatch):
    folder = tmp_path / "out"
    interrupted(files, folder, monkeypatch, after=3)
    seeds = counting(monkeypatch)
    argv = [*files, "--replications", "3", "--resume", "-o", str(folder)]
    assert (
        cli("compare", *argv, "--set", "computeEnvironments[0].computeResources.maxvCpus=8")[0] == 0
    )
    assert len(seeds) == 6  # --set changed both scenarios' digests: nothing is reused


# ----------------------------------------------------------------------------- failures
def test_a_failed_run_is_left_out_and_the_others_go_on(files, tmp_path, monkeypatch):
    real = batchsim.api.simulate_summary

    def failing(scenario, seed=None):
        if seed == 2:
            raise RuntimeError("disk on fire")
        return real(scenario, seed=seed)

    monkeypatch.setattr(batchsim.api, "simulate_summary", failing)
    folder = tmp_path / "out"
    status, out, err = cli("compare", *files, "--replications", "3", "-o", str(folder))
    assert status == 1
    assert err == (
        "batchsim: 2 of 6 runs failed:\n"
        "  wide, seed 2: RuntimeError: disk on fire\n"
        "  narrow, seed 2: RuntimeError: disk on fire\n"
    )
    assert "2 of 6 runs failed and are left out" in out and "(n=2)" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        "compare.csv",
        "compare.json",
        "report.html",
    ]
    cost = json.loads((folder / "compare.json").read_text())["results"]["wide"]["total_cost_usd"]
    assert cost["n"] == 2 and cost["values"][1] is None
    assert cost["mean"] == (cost["values"][0] + cost["values"][2]) / 2


# ----------------------------------------------------------------------------- progress
@pytest.mark.parametrize(("stream", "quiet", "shown"), [
    (Terminal, False, True), (Terminal, True, False), (io.StringIO, False, False),
])  # fmt: skip
def test_progress_line_only_on_a_terminal(files, tmp_path, stream, quiet, shown):
    err = stream()
    argv = ["compare", *files, "--replications", "2", "-o", str(tmp_path / "o")]
    assert main(argv + (["-q"] if quiet else []), stdout=io.StringIO(), stderr=err) == 0
    assert ("compare: 4/4 runs (100 %)" in err.getvalue()) is shown
    assert ("\r" in err.getvalue()) is shown


def test_workers_with_a_scheduler_address_is_refused_before_any_run(files, tmp_path):
    pytest.importorskip("distributed")
    argv = [*files, "--dask", "tcp://127.0.0.1:9", "--workers", "2", "-o", str(tmp_path / "o")]
    status, out, err = cli("compare", *argv)
    assert status == 2 and "--workers sizes only --dask local" in err
    assert out == "" and not (tmp_path / "o").exists()

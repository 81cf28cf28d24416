"""batchsim sweep: values and ranges, points, common random numbers, failures, resume, executors,
target probabilities against a binomial computation, the files and the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import base_scenario, cli, run
from scipy import stats as scipy_stats

import batchsim
from batchsim.errors import SweepError
from batchsim.sweeps import execute as execute_module
from batchsim.sweeps.chunks import CHUNK_S, POOL_CHUNK_S, Chunks
from batchsim.sweeps.load import load_sweep_file, spec_from_options
from batchsim.sweeps.plots import grid, pareto_front
from batchsim.sweeps.runner import OK, InProcess, LocalPool, Outcome, Task, run_task
from batchsim.sweeps.stats import Probability, t_975
from batchsim.sweeps.table import METRICS, metrics_of
from batchsim.sweeps.values import Span, parse_values, value_text

MAXV = "computeEnvironments[od].computeResources.maxvCpus"


def random_scenario() -> dict:
    """Six 2-vCPU jobs at t=0, exponential runtimes (mean 10 min): makespan and cost vary by seed."""
    data = base_scenario()
    data["workload"] = [
        {
            "name": "a",
            "count": 6,
            "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"},
            "runtime": {"exponential": {"mean": "600s"}},
        }
    ]
    return data


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(random_scenario(), sort_keys=False))
    return path


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("64,128", [64, 128]),
        ("64..1024*2", [64, 128, 256, 512, 1024]),
        ("64..1000*2", [64, 128, 256, 512]),
        ("0..60+15", [0, 15, 30, 45, 60]),
        ("0..1+0.25", [0.0, 0.25, 0.5, 0.75, 1.0]),
        ("8,16..32*2", [8, 16, 32]),
        ("[c5],[c6i,m6i]", [["c5"], ["c6i", "m6i"]]),
        ("BEST_FIT,SPOT_CAPACITY_OPTIMIZED", ["BEST_FIT", "SPOT_CAPACITY_OPTIMIZED"]),
        ("90s,{a: 1}", ["90s", {"a": 1}]),
    ],
)
def test_values_lists_and_ranges(text, values):
    assert parse_values(text) == values


def test_a_range_without_a_step_is_a_continuous_span():
    span = parse_values("10..20")
    assert span == Span(10.0, 20.0, integer=True)
    assert (span.at(0.0), span.at(0.26), span.at(0.99)) == (10, 13, 20)
    assert parse_values("0.5..1.5").at(0.5) == 1.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("10..1+1", "ends below its start"),
        ("1..10+0", "greater than 0"),
        ("0..8*2", "start > 0"),
        ("1..1e9+1", "over 10,000 values"),
        ("1,5..9", "must stand alone"),
        ("1,,2", "empty value"),
        ("[c5", "as YAML"),
    ],
)
def test_bad_values_are_refused_with_the_reason(text, words):
    with pytest.raises(ValueError, match=words):
        parse_values(text)


def test_value_text_reads_back_as_the_value():
    for value in (64, 0.5, "90s", ["c6i", "m6i"], {"a": 1}, True):
        assert yaml.safe_load(value_text(value)) == value
    assert value_text(["c6i", "m6i"]) == "[c6i, m6i]"


# ----------------------------------------------------------------------------- spec
def test_grid_points_vary_the_first_factor_slowest_and_bare_keys_resolve(scenario_file):
    spec = spec_from_options(scenario_file, ["maxvCpus=8..16*2", "instanceTypes=[c5.large],[m5]"])
    assert spec.paths == [MAXV, "computeEnvironments[od].computeResources.instanceTypes"]
    values = [tuple(v for _, v in point) for point in spec.points()]
    assert values == [(8, ["c5.large"]), (8, ["m5"]), (16, ["c5.large"]), (16, ["m5"])]
    assert spec.seeds == list(range(1, 11))


def test_an_ambiguous_or_unknown_bare_key_and_a_bad_path_are_all_reported(scenario_file):
    data = random_scenario()
    data["computeEnvironments"].append(
        {**data["computeEnvironments"][0], "computeEnvironmentName": "b"}
    )
    scenario_file.write_text(yaml.safe_dump(data))
    with pytest.raises(SweepError) as caught:
        spec_from_options(scenario_file, ["maxvCpus=8", "maxvCpuz=8", "jobQueues.x=1", "nothing"])
    messages = [str(problem) for problem in caught.value.problems]
    assert len(messages) == 4
    assert "several places (computeEnvironments[od].computeResources.maxvCpus, " in messages[0]
    assert "no key 'maxvCpuz'" in messages[1]
    assert "is a list" in messages[2] and "PATH=VALUES" in messages[3]
    assert caught.value.format().splitlines()[0].endswith("4 problems in sweep:")


def write_sweep_file(folder: Path, text: str) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(text)
    return path


def test_sweep_file_zip_moves_paths_together_and_keeps_settings(scenario_file):
    path = write_sweep_file(scenario_file.parent, (
        "scenario: random.yaml\n"
        "vary:\n  jobQueues[q].priority: [1, 2]\n"
        "zip:\n  - {maxvCpus: [8, 16, 32], minvCpus: '0..4+2'}\n"
        "replications: 3\nseed: 5\ntargets: {deadline: 1h, budget: 2}\n"
    ))  # fmt: skip
    spec = load_sweep_file(path)
    assert (spec.replications, spec.seed, spec.seeds) == (3, 5, [5, 6, 7])
    assert (spec.targets.deadline_s, spec.targets.budget_usd) == (3600.0, 2.0)
    values = [tuple(v for _, v in point) for point in spec.points()]
    assert values == [(p, m, n) for p in (1, 2) for m, n in ((8, 0), (16, 2), (32, 4))]
    again = scenario_file.parent / "again"
    again.mkdir()
    (again / "scenario.yaml").write_text(spec.scenario_text)
    (again / "sweep.yaml").write_text(spec.to_yaml())
    assert load_sweep_file(again / "sweep.yaml").points() == spec.points()


def test_sweep_file_problems_come_with_paths_and_lines(scenario_file):
    path = write_sweep_file(scenario_file.parent, (
        "scenario: random.yaml\n"
        "vary:\n  maxvCpus: '64..8*2'\n"
        "replications: 0\n"
        "sample: {latin: 4}\n"
        "tagrets: {}\n"
    ))  # fmt: skip
    with pytest.raises(SweepError) as caught:
        load_sweep_file(path)
    assert [str(p) for p in caught.value.problems] == [
        "tagrets (line 6): unknown key 'tagrets'; did you mean 'targets'?",
        "replications (line 4): must be a whole number ≥ 1, got 0",
    ]


def test_sweep_file_value_problems_come_with_paths_and_lines(scenario_file):
    path = write_sweep_file(scenario_file.parent, (
        "scenario: random.yaml\n"
        "vary:\n  maxvCpus: '64..8*2'\n"
        "zip:\n  - minvCpus: [0, 2]\n    jobQueues[q].priority: [1]\n"
    ))  # fmt: skip
    with pytest.raises(SweepError) as caught:
        load_sweep_file(path)
    assert [str(p) for p in caught.value.problems] == [
        "vary.maxvCpus (line 3): the range '64..8*2' ends below its start",
        "zip[0] (line 5): zipped paths need lists of the same length",
    ]


def test_latin_sampling_is_reproducible_and_fills_every_stratum(scenario_file):
    vary = ["maxvCpus=8,16,32,64", "jobQueues[q].priority=1..100"]
    spec = spec_from_options(scenario_file, vary, latin=4, seed=3)
    points = spec.points()
    assert points == spec_from_options(scenario_file, vary, latin=4, seed=3).points()
    assert points != spec_from_options(scenario_file, vary, latin=4, seed=4).points()
    # A Latin hypercube puts exactly one of N draws in each 1/N stratum of every factor.
    assert sorted(point[0][1] for point in points) == [8, 16, 32, 64]
    priorities = sorted(point[1][1] for point in points)
    assert [int((p - 1) / 99 * 4 - 1e-9) for p in priorities] == [0, 1, 2, 3]
    assert all(isinstance(p, int) for p in priorities)


def test_a_range_without_step_needs_latin(scenario_file):
    with pytest.raises(SweepError, match="only for sample: {latin: N}"):
        spec_from_options(scenario_file, ["maxvCpus=8..64"])


# ----------------------------------------------------------------------------- runs
def test_common_random_numbers_and_a_parameter_that_does_not_matter(scenario_file):
    # One queue: its priority changes nothing, so every point gives the same run per replication.
    runs = batchsim.sweep(
        scenario_file, vary={"jobQueues[q].priority": [1, 5, 9]}, replications=3, seed=4
    )
    assert list(runs["seed"]) == [4, 5, 6] * 3
    assert list(runs["point"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    for replication in range(3):
        same = runs[runs["replication"] == replication][list(METRICS)]
        assert (same.nunique(dropna=False) == 1).all()
    single = metrics_of(run(random_scenario(), seed=5).summary)
    assert runs.loc[1, "makespan_s"] == single["makespan_s"]
    assert runs["makespan_s"].nunique() == 3  # the seed matters


def test_metrics_cover_every_number_of_the_summary():
    summary = run(random_scenario(), seed=1).summary
    numbers = {k for k, v in summary.items() if isinstance(v, int | float) and k != "seed"}
    assert numbers <= set(METRICS)
    assert len(metrics_of(summary)) == len(METRICS)


def test_a_failed_point_is_recorded_and_the_others_run(scenario_file, tmp_path):
    folder = tmp_path / "out"
    status, _, err = cli("sweep", str(scenario_file), "--vary", "maxvCpus=16,-4", "--replications", "2",
                         "--workers", "1", "-o", str(folder))  # fmt: skip
    assert status == 1
    assert "2 of 4 runs failed" in err
    rows = read_csv(folder / "runs.csv")
    assert [row["status"] for row in rows] == ["ok", "ok", "error", "error"]
    assert "maxvCpus" in rows[2]["error"] and "at least 0" in rows[2]["error"]
    assert rows[2]["makespan_s"] == "" and rows[0]["makespan_s"] != ""
    points = read_csv(folder / "points.csv")
    assert [(p["ok"], p["failed"]) for p in points] == [("2", "0"), ("0", "2")]


def test_run_task_turns_any_exception_into_an_error_row():
    outcome = run_task(execute_module.Task("name: [", "x.yaml", (), 1))
    assert outcome.status == "error" and "invalid YAML" in outcome.error


def test_workers_one_and_two_give_identical_files(scenario_file, tmp_path):
    argv = ["sweep", str(scenario_file), "--vary", "maxvCpus=4,8,16", "--replications", "3",
            "--deadline", "40m"]  # fmt: skip
    assert cli(*argv, "--workers", "1", "-o", str(tmp_path / "one"))[0] == 0
    assert cli(*argv, "--workers", "2", "-o", str(tmp_path / "two"))[0] == 0
    for name in ("runs.csv", "points.csv", "sweep.yaml", "scenario.yaml", "cost_vs_makespan.png"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), (
            name
        )


def test_chunks_last_about_chunk_s_and_shrink_to_a_fair_share_at_the_end():
    assert CHUNK_S == 0.25
    chunks = Chunks(list(range(100)))
    assert chunks.take(threads=2) == [0]  # nothing measured yet: one run
    chunks.record([0], 0.01)  # 10 ms a run: 25 runs make 0.25 s, but the fair share is 99 // 4
    assert chunks.take(threads=2) == list(range(1, 25))
    chunks.record(list(range(1, 25)), 0.24)  # still 10 ms a run; 75 left: 75 // 4 = 18
    assert len(chunks.take(threads=2)) == 18
    chunks.record(list(range(25, 43)), 1.8)  # the latest chunk: 0.1 s a run, so 0.25 s is 2 runs
    assert len(chunks.take(threads=2)) == 2
    chunks.record([43, 44], 0.05)  # 25 ms a run again: 10 runs (55 left: 55 // 4 = 13)
    sizes = []
    while taken := chunks.take(threads=2):
        sizes.append(len(taken))
    # 55 left: 10 while left // 4 ≥ 10 (55, 45), then 35 // 4, 27 // 4, 21 // 4, …, then 1s
    assert sizes == [10, 10, 8, 6, 5, 4, 3, 2] + [1] * 7 and chunks.taken == 100


def test_the_pools_chunks_are_shorter_and_sized_the_same_way():
    assert POOL_CHUNK_S == 0.1
    chunks = Chunks(list(range(100)), POOL_CHUNK_S)
    assert chunks.take(threads=2) == [0]
    chunks.record([0], 0.01)  # 10 ms a run: 10 runs make 0.1 s (the fair share is 99 // 4 = 24)
    assert chunks.take(threads=2) == list(range(1, 11))


def test_a_chunk_never_spans_two_points_and_each_point_is_measured_on_its_own():
    tasks = ["fast"] * 50 + ["slow"] * 50
    chunks = Chunks(tasks, POOL_CHUNK_S, group=lambda task: task)
    assert chunks.take(threads=2) == [0]
    chunks.record([0], 0.001)  # 1 ms a run: 100 runs would make 0.1 s; 24 is the fair share
    assert chunks.take(threads=2) == list(range(1, 25))
    chunks.record(list(range(1, 25)), 0.024)
    assert chunks.take(threads=2) == list(range(25, 43))  # 75 left: the fair share, 18
    assert chunks.take(threads=2) == list(range(43, 50))  # 14 due, cut where the point ends
    assert chunks.take(threads=2) == [50]  # the slow point: one run first, however fast the last
    chunks.record([50], 2.0)  # 2 s a run: every chunk of it is one run
    assert chunks.take(threads=2) == [51] and chunks.size(threads=2) == 1


def test_warm_up_imports_while_other_processes_run_and_is_joined(tmp_path, monkeypatch):
    (tmp_path / "warm_probe_pool.py").write_text("LOADED = True\n")
    (tmp_path / "warm_probe_alone.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    tasks = [Task("", "", (), seed) for seed in range(3)]
    finished: dict[int, dict] = {}

    def row_of(k, outcome):
        return {"k": k}

    warm = ("warm_probe_pool", "no_such_module_anywhere")  # a failed import is not an error
    assert execute_module.run_tasks(tasks, FakePool(), row_of, finished, warm=warm) == 3
    assert "warm_probe_pool" in sys.modules and finished == {k: {"k": k} for k in range(3)}
    assert not [t for t in threading.enumerate() if t.name == "batchsim-warm-up"]
    # in one process nothing runs beside the runs, so nothing is imported early
    execute_module.run_tasks(tasks, InProcess(), row_of, {}, warm=("warm_probe_alone",))
    assert "warm_probe_alone" not in sys.modules


class FakePool:
    """An executor of other processes, as the run loop sees it: outcomes, no simulation."""

    def map_unordered(self, function, tasks):
        for index, _ in enumerate(tasks):
            yield index, Outcome(OK)


def test_executors_yield_every_index_once():
    tasks = list(range(7))
    assert sorted(LocalPool(2).map_unordered(abs, tasks)) == [(i, i) for i in tasks]
    assert list(InProcess().map_unordered(abs, tasks)) == [(i, i) for i in tasks]


def counting(monkeypatch) -> list:
    calls: list = []

    def counted(task):
        calls.append(task)
        return run_task(task)

    monkeypatch.setattr(execute_module, "run_task", counted)
    return calls


def test_resume_skips_finished_runs_and_writes_the_same_files(scenario_file, tmp_path, monkeypatch):
    argv = ["sweep", str(scenario_file), "--vary", "maxvCpus=4,8", "--replications", "3",
            "--workers", "1", "--deadline", "40m"]  # fmt: skip
    full, part = tmp_path / "full", tmp_path / "part"
    assert cli(*argv, "-o", str(full))[0] == 0
    shutil.copytree(full, part)
    lines = (part / "runs.csv").read_text().splitlines(keepends=True)
    (part / "runs.csv").write_text(
        "".join(lines[:1] + lines[1:3] + lines[5:6])
    )  # keep runs 0, 1, 4
    calls = counting(monkeypatch)
    status, out, _ = cli(*argv, "-o", str(part), "--resume")
    assert status == 0 and "3 runs simulated" in out and "3 resumed" in out
    assert sorted(task.seed for task in calls) == [1, 3, 3]  # runs 2, 3 and 5
    for name in ("runs.csv", "points.csv", "sweep.yaml", "cost_vs_makespan.png"):
        assert (part / name).read_bytes() == (full / name).read_bytes(), name


def test_an_interrupted_sweep_keeps_its_finished_runs_for_resume(
    scenario_file, tmp_path, monkeypatch
):
    argv = [
        "sweep",
        str(scenario_file),
        "--vary",
        "maxvCpus=4,8",
        "--replications",
        "2",
        "--workers",
        "1",
    ]
    assert cli(*argv, "-o", str(tmp_path / "full"))[0] == 0

    def stopping(task):
        if task.seed == 2 and "maxvCpus=8" in task.overrides[-1]:
            raise KeyboardInterrupt
        return run_task(task)

    monkeypatch.setattr(execute_module, "run_task", stopping)
    status, _, err = cli(*argv, "-o", str(tmp_path / "part"))
    assert status == 130 and "3 finished runs kept" in err
    assert len(read_csv(tmp_path / "part" / "runs.csv")) == 3
    calls = counting(monkeypatch)
    assert cli(*argv, "-o", str(tmp_path / "part"), "--resume")[0] == 0
    assert len(calls) == 1
    for name in ("runs.csv", "points.csv"):
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


def run_or_die(task):
    """``run_task``, except that the worker running seed 2 of maxvCpus=8 is killed (as the
    kernel's out-of-memory killer would)."""
    if task.seed == 2 and "maxvCpus=8" in task.overrides[-1]:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_task(task)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_worker_killed_midway_keeps_the_finished_runs_for_resume(
    scenario_file, tmp_path, monkeypatch
):
    argv = ["sweep", str(scenario_file), "--vary", "maxvCpus=4,8", "--replications", "2"]
    assert cli(*argv, "-o", str(tmp_path / "full"))[0] == 0
    monkeypatch.setattr(execute_module, "run_task", run_or_die)
    status, _, err = cli(*argv, "--workers", "2", "-o", str(tmp_path / "part"))
    assert status == 2 and "a worker process ended abruptly during the sweep" in err
    assert "finished runs kept" in err and (tmp_path / "part" / "runs.csv").exists()
    kept = len(read_csv(tmp_path / "part" / "runs.csv"))
    assert kept < 4
    monkeypatch.setattr(execute_module, "run_task", run_task)
    status, out, _ = cli(*argv, "--workers", "2", "-o", str(tmp_path / "part"), "--resume")
    assert status == 0 and f"{4 - kept} runs simulated" in out
    for name in ("runs.csv", "points.csv"):
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


def test_resume_refuses_a_folder_of_another_sweep(scenario_file, tmp_path):
    folder = str(tmp_path / "out")
    assert (
        cli(
            "sweep",
            str(scenario_file),
            "--vary",
            "maxvCpus=4,8",
            "--replications",
            "2",
            "-o",
            folder,
        )[0]
        == 0
    )
    status, _, err = cli("sweep", str(scenario_file), "--vary", "maxvCpus=4,16", "--replications", "2",
                         "-o", folder, "--resume")  # fmt: skip
    assert status == 2 and "holds another sweep" in err


# ----------------------------------------------------------------------------- targets
def wilson(met: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval, from its formula."""
    centre = (met + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(met * (n - met) / n + z * z / 4)
    return centre - half, centre + half


def test_intervals_are_scipy_stats_own_numbers_bit_for_bit():
    # stats.py computes them with scipy.special (a lighter import): the same floats
    for n in range(1, 61):
        for met in range(n + 1):
            found = scipy_stats.binomtest(met, n).proportion_ci(0.95, method="wilson")
            assert Probability(met, n).interval == (float(found.low), float(found.high))
    assert [t_975(df) for df in range(1, 201)] == [
        float(scipy_stats.t.ppf(0.975, df)) for df in range(1, 201)
    ]


def test_deadline_probability_and_interval_match_a_binomial_computation(scenario_file, tmp_path):
    folder = tmp_path / "out"
    deadline_s = 1500.0
    assert cli("sweep", str(scenario_file), "--vary", "maxvCpus=4,8", "--replications", "12",
               "--deadline", "25m", "--budget", "0.05", "-o", str(folder))[0] == 0  # fmt: skip
    runs, points = read_csv(folder / "runs.csv"), read_csv(folder / "points.csv")
    for point in points:
        mine = [r for r in runs if r["point"] == point["point"]]
        met = sum(float(r["makespan_s"]) <= deadline_s for r in mine)
        low, high = wilson(met, len(mine))
        assert float(point["p_deadline"]) == met / len(mine)
        assert float(point["p_deadline.low"]) == pytest.approx(low, abs=1e-12)
        assert float(point["p_deadline.high"]) == pytest.approx(high, abs=1e-12)
        both = sum(
            float(r["makespan_s"]) <= deadline_s and float(r["total_cost_usd"]) <= 0.05
            for r in mine
        )
        assert float(point["p_all"]) == both / len(mine)
    assert {p["p_deadline"] for p in points} - {"0.0", "1.0"}, "choose a deadline some runs miss"


def test_compare_deadline_reports_the_probability_and_makespan_quantiles(scenario_file, tmp_path):
    status, out, _ = cli("compare", str(scenario_file), "--replications", "12", "--deadline", "25m",
                         "-o", str(tmp_path / "cmp"))  # fmt: skip
    assert status == 0
    found = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    makespans = found["results"]["micro"]["makespan_s"]["values"]
    block = found["deadline"]["scenarios"]["micro"]
    met = sum(value <= 1500.0 for value in makespans)
    assert (block["met"], block["n"], block["probability"]) == (met, 12, met / 12)
    assert (block["ci95_low"], block["ci95_high"]) == pytest.approx(wilson(met, 12), abs=1e-12)
    assert block["makespan_quantiles_s"]["p90"] == pytest.approx(np.percentile(makespans, 90))
    row = next(line for line in out.splitlines() if line.startswith("P(makespan ≤ 25 min)"))
    assert row.split()[4:7] == [
        f"{100 * met / 12:.0f}",
        "%",
        f"[{100 * block['ci95_low']:.0f}–{100 * block['ci95_high']:.0f}",
    ]
    p95 = next(line for line in out.splitlines() if line.startswith("Makespan p95"))
    assert p95.split()[2:] == [f"{np.percentile(makespans, 95) / 60:.2f}", "min"]


def test_compare_max_wait_and_budget_report_their_probabilities(scenario_file, tmp_path):
    status, out, _ = cli("compare", str(scenario_file), "--replications", "12", "-o",
                         str(tmp_path / "cmp"), "--max-wait-p95", "2m", "--budget", "0.12")  # fmt: skip
    assert status == 0
    found = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    results = found["results"]["micro"]
    for key, metric, limit in (("max_wait_p95", "queue_wait_p95_s", 120.0),
                               ("budget", "total_cost_usd", 0.12)):  # fmt: skip
        values = results[metric]["values"]
        met = sum(value <= limit for value in values)
        block = found[key]["scenarios"]["micro"]
        assert (block["met"], block["n"], block["probability"]) == (met, 12, met / 12)
        assert (block["ci95_low"], block["ci95_high"]) == pytest.approx(wilson(met, 12), abs=1e-12)
    assert (
        found["max_wait_p95"]["max_wait_p95_s"] == 120.0 and found["budget"]["budget_usd"] == 0.12
    )
    assert "deadline" not in found
    rows = [line.split()[:6] for line in out.splitlines() if line.startswith("P(")]
    waits, costs = (found[key]["scenarios"]["micro"] for key in ("max_wait_p95", "budget"))
    assert rows == [
        ["P(queue", "wait", "p95", "≤", "2", "min)"],
        ["P(total", "cost", "≤", "$0.12)", f"{100 * costs['probability']:.0f}", "%"],
    ]
    # every run's wait p95 is 100 s (within 2 min); the budget is one some runs miss
    assert waits["probability"] == 1.0 and 0.0 < costs["probability"] < 1.0


def test_pareto_front_keeps_the_points_nothing_beats():
    makespan = [1.0, 2.0, 3.0, 2.0, float("nan")]
    cost = [5.0, 3.0, 1.0, 4.0, 0.0]
    assert list(pareto_front(np.asarray(makespan), np.asarray(cost))) == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_the_heat_maps_grid_keeps_first_appearance_order_and_leaves_gaps_empty():
    points = [
        {"x": "64", "y": "[c5]", "cost": 2.0},
        {"x": "32", "y": "[c5]", "cost": 1.0},
        {"x": "64", "y": "[m5]", "cost": None},  # no run of this point finished
        {"x": "32", "y": "[m5]", "cost": 3.0},
    ]
    xs, ys, table = grid(points, "x", "y", "cost")
    assert (xs, ys) == (["64", "32"], ["[c5]", "[m5]"])
    assert table[0].tolist() == [2.0, 1.0]
    assert np.isnan(table[1, 0]) and table[1, 1] == 3.0


# ----------------------------------------------------------------------------- CLI
def test_cli_prints_a_line_per_point_and_writes_the_folder(scenario_file, tmp_path):
    folder = tmp_path / "out"
    status, out, _ = cli("sweep", str(scenario_file), "--vary", "maxvCpus=4,8", "--vary",
                         "jobQueues[q].priority=1,2", "--replications", "2", "-o", str(folder))  # fmt: skip
    assert status == 0
    assert out.splitlines()[0].split() == [
        "point",
        "maxvCpus",
        "priority",
        "ok",
        "makespan",
        "cost",
    ]
    assert len(out.splitlines()) == 2 + 4 + 1
    assert sorted(p.name for p in folder.iterdir()) == [
        "cost_vs_makespan.png", "heatmap.png", "points.csv", "report.html", "runs.csv",
        "scenario.yaml", "sweep.yaml",
    ]  # fmt: skip
    assert cli("run", str(scenario_file), "-o", str(folder))[0] == 0  # a sweep folder is batchsim's


@pytest.mark.parametrize(
    "argv",
    [
        ["--vary", "maxvCpus=8..4+1"],
        ["--vary", "nowhere.at.all[3]=1"],
        ["--vary", "maxvCpus=4", "--set", "computeEnvironments[0].computeResources.maxvCpus=x"],
        ["--vary", "maxvCpus=4", "--deadline", "soon"],
        ["--vary", "maxvCpus=4", "--budget", "-3"],
    ],
)
def test_cli_bad_input_exits_2_without_a_traceback(scenario_file, tmp_path, argv):
    status, _, err = cli("sweep", str(scenario_file), *argv, "-o", str(tmp_path / "out"))
    assert status == 2
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_refuses_a_foreign_folder_and_vary_beside_a_sweep_file(scenario_file, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    status, _, err = cli("sweep", str(scenario_file), "--vary", "maxvCpus=4", "-o", str(foreign))
    assert status == 2 and "not batchsim results" in err
    path = write_sweep_file(scenario_file.parent, "scenario: random.yaml\nvary: {maxvCpus: [4]}\n")
    status, _, err = cli("sweep", str(path), "--vary", "maxvCpus=8", "-o", str(tmp_path / "o"))
    assert status == 2 and "add it to the file's vary" in err
    status, out, _ = cli("sweep", str(path), "--replications", "2", "-o", str(tmp_path / "o"))
    assert status == 0 and "2 runs simulated" in out

"""batchsim compare: replications on common seeds, 95 % CIs, paired differences, files, CLI."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import base_scenario, run
from scipy import stats

from batchsim.cli import ExitStatus, main
from batchsim.compare import (
    CSV_COLUMNS,
    METRICS,
    Estimate,
    column_labels,
    compare,
    estimate,
    format_estimate,
    metric_values,
    t_quantile_975,
)
from batchsim.scenario.schema import Scenario

METRIC_KEYS = [
    "total_cost_usd",
    "cost_per_succeeded_job_usd",
    "makespan_s",
    "queue_wait_p95_s",
    "interruptions",
    "wasted_vcpu_hours",
    "failed_jobs",
]


def random_scenario(**changes) -> dict:
    """Six jobs at t=0 with exponential runtimes (mean 10 min), each failing with probability 0.3."""
    data = base_scenario(**changes)
    data["workload"] = [
        {
            "name": "a",
            "count": 6,
            "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"},
            "runtime": {"exponential": {"mean": "600s"}},
            "failure": {"probability": 0.3},
        }
    ]
    return data


def scenario(data: dict) -> Scenario:
    return Scenario.model_validate(data)


def half_width(values: list[float]) -> float:
    """The textbook Student t 95 % half-width, with scipy and numpy."""
    n = len(values)
    return stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / math.sqrt(n)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# ----------------------------------------------------------------------------- t quantile
@pytest.mark.parametrize("df", [*range(1, 121), 150, 200, 500, 1000, 5000])
def test_t_quantile_matches_scipy(df):
    assert t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-11)


@pytest.mark.parametrize("df", [0, -1, 2.5])
def test_t_quantile_needs_a_whole_df_of_at_least_one(df):
    with pytest.raises(ValueError):
        t_quantile_975(df)


def test_estimate_leaves_out_missing_values_and_needs_two_for_an_interval():
    assert estimate([None, None]) == Estimate(None, None, 0)
    assert estimate([None, 4.0]) == Estimate(4.0, None, 1)
    spread = estimate([1.0, None, 2.0, 4.0])
    assert spread.n == 3 and spread.mean == pytest.approx(7 / 3)
    assert spread.ci95 == pytest.approx(half_width([1.0, 2.0, 4.0]), rel=1e-12)


# ----------------------------------------------------------------------------- compare()
def test_deterministic_scenario_has_zero_width_intervals_and_the_single_run_values():
    fixed = scenario(base_scenario())
    comparison = compare([fixed], replications=4, seed=1)
    single = metric_values(run(base_scenario(), seed=1).summary)
    makespan = comparison.estimate("micro", "makespan_s")
    assert makespan == Estimate(725.0, 0.0, 4)  # boot 100 + pull 20 + start 5 + run 600
    for key in METRIC_KEYS:
        assert comparison.estimate("micro", key) == Estimate(float(single[key]), 0.0, 4), key
    assert comparison.difference("micro", "total_cost_usd") is None


def test_random_scenario_mean_and_interval_match_numpy_and_scipy_over_single_runs():
    seed, replications = 3, 6
    comparison = compare([scenario(random_scenario())], replications=replications, seed=seed)
    runs = [
        metric_values(run(random_scenario(), s).summary) for s in range(seed, seed + replications)
    ]
    assert comparison.seeds == tuple(range(3, 9))
    for key in ("total_cost_usd", "makespan_s", "failed_jobs"):
        values = [r[key] for r in runs]
        assert len(set(values)) > 1, f"{key} should vary with the seed"
        got = comparison.estimate("micro", key)
        assert got.n == replications
        assert got.mean == pytest.approx(np.mean(values), rel=1e-12)
        assert got.ci95 == pytest.approx(half_width(values), rel=1e-10)


def test_paired_difference_is_the_mean_of_per_seed_differences():
    seed, replications = 1, 5
    narrow = random_scenario(name="narrow")
    narrow["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 4
    comparison = compare(
        [scenario(random_scenario()), scenario(narrow)], replications=replications, seed=seed
    )
    for key in ("total_cost_usd", "makespan_s"):
        first = [run(random_scenario(), s).summary[key] for s in range(seed, seed + replications)]
        second = [run(narrow, s).summary[key] for s in range(seed, seed + replications)]
        differences = np.subtract(second, first)
        assert np.ptp(differences) > 0, "the test needs differences that vary by seed"
        got = comparison.difference("narrow", key)
        assert got.n == replications
        assert got.mean == pytest.approx(differences.mean(), rel=1e-12)
        assert got.ci95 == pytest.approx(half_width(list(differences)), rel=1e-10)


def test_common_random_numbers_pair_identical_scenarios_exactly():
    twin = scenario(random_scenario(name="twin"))
    comparison = compare([scenario(random_scenario()), twin], replications=4)
    for key in METRIC_KEYS:
        assert comparison.difference("twin", key) == Estimate(0.0, 0.0, 4), key


def test_missing_values_are_left_out_and_n_counts_the_rest():
    data = random_scenario(simulation={"stopAt": "1200s"})
    comparison = compare([scenario(data)], replications=6, seed=3)
    makespans = [run(data, s).summary["makespan_s"] for s in range(3, 9)]
    finished = [value for value in makespans if value is not None]
    assert 0 < len(finished) < 6, "the test needs some runs cut by stopAt"
    got = comparison.estimate("micro", "makespan_s")
    assert got.n == len(finished)
    assert got.mean == pytest.approx(np.mean(finished), rel=1e-12)
    assert comparison.estimate("micro", "total_cost_usd").n == 6
    assert f"(n={len(finished)})" in comparison.table()


def test_two_workers_give_identical_results():
    scenarios = [scenario(random_scenario()), scenario(random_scenario(name="b"))]
    serial = compare(scenarios, replications=3, seed=2, workers=1)
    parallel = compare(scenarios, replications=3, seed=2, workers=2)
    assert parallel.values == serial.values
    assert parallel.to_dict() == serial.to_dict() and parallel.table() == serial.table()


@pytest.mark.parametrize(
    "arguments", [{"replications": 0}, {"seed": -1}, {"workers": 0}, {"replications": 2.5}]
)
def test_bad_arguments_are_rejected(arguments):
    with pytest.raises(ValueError):
        compare([scenario(base_scenario())], **arguments)


def test_labels_are_unique_by_file_stem_then_suffix():
    assert column_labels(["a", "b"], [None, None]) == ["a", "b"]
    assert column_labels(["a", "a"], ["x/spot.yaml", "y/od.yaml"]) == ["spot", "od"]
    assert column_labels(["a", "a", "b"], [None, None, None]) == ["a", "a#2", "b"]
    assert column_labels(["a", "a"], ["x/s.yaml", "y/s.yaml"]) == ["s", "s#2"]


# ----------------------------------------------------------------------------- output
@pytest.mark.parametrize(
    "value, unit, signed, expected",
    [
        (Estimate(12.34, 0.56, 10), "usd", False, "$12.34 ± 0.56"),
        (Estimate(1234.5, 10.0, 10), "usd", False, "$1,234.50 ± 10.00"),
        (Estimate(0.0102, 0.0002, 10), "usd", False, "$0.0102 ± 0.0002"),
        (Estimate(-0.1012, 0.1006, 10), "usd", True, "-$0.10 ± 0.10"),
        (Estimate(2.6 * 3600, 0.1 * 3600, 10), "duration", False, "2.6 h ± 0.1"),
        (Estimate(1800.0, 120.0, 10), "duration", False, "30.0 min ± 2.0"),
        (Estimate(13.4, 35.8, 10), "duration", True, "+13.4 s ± 35.8"),
        (Estimate(3.2, 1.1, 10), "count", False, "3.2 ± 1.1"),
        (Estimate(3.0, None, 1), "count", False, "3.0 (n=1)"),
        (Estimate(None, None, 0), "count", False, "n/a"),
    ],
)
def test_cells_read_as_mean_plus_minus_half_width(value, unit, signed, expected):
    assert format_estimate(value, unit, replications=10, signed=signed) == expected


def test_table_has_metric_rows_scenario_columns_and_a_difference_block():
    comparison = compare(
        [scenario(random_scenario()), scenario(random_scenario(name="other"))], replications=3
    )
    lines = comparison.table().splitlines()
    assert any("Δ vs micro" in line for line in lines)
    header = next(line for line in lines if line.startswith("Metric"))
    assert header.split() == ["Metric", "micro", "other", "other"]
    labels = [metric.label for metric in METRICS]
    rows = [line for line in lines if line.split("  ")[0] in labels]
    assert [row.split("  ")[0] for row in rows] == labels
    cost_cells = rows[0].split("  ")
    cells = [cell.strip() for cell in cost_cells if cell.strip()]
    assert cells[1:] == [
        format_estimate(comparison.estimate("micro", "total_cost_usd"), "usd", 3),
        format_estimate(comparison.estimate("other", "total_cost_usd"), "usd", 3),
        format_estimate(comparison.difference("other", "total_cost_usd"), "usd", 3, signed=True),
    ]
    assert cells[1].startswith("$") and " ± " in cells[1]


def test_csv_and_json_have_exactly_the_specified_columns_and_keys(tmp_path):
    comparison = compare(
        [scenario(random_scenario()), scenario(random_scenario(name="other"))],
        replications=3,
        seed=5,
        sources=["a.yaml", "b.yaml"],
    )
    written = comparison.write(tmp_path / "out")
    names = ["compare.csv", "compare.json", "report.html"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names
    assert [p.name for p in written] == names
    with open(tmp_path / "out" / "compare.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0]) == CSV_COLUMNS == (
        "scenario", "metric", "mean", "ci95", "n", "diff_vs_first", "diff_ci95",
    )  # fmt: skip
    assert [(r["scenario"], r["metric"]) for r in rows] == [
        (label, key) for label in ("micro", "other") for key in METRIC_KEYS
    ]
    assert all(r["diff_vs_first"] == r["diff_ci95"] == "" for r in rows[:7])
    other_cost = rows[7]
    assert float(other_cost["diff_vs_first"]) == pytest.approx(
        comparison.difference("other", "total_cost_usd").mean, rel=1e-15
    )
    document = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert document["replications"] == 3 and document["seeds"] == [5, 6, 7]
    assert document["scenarios"] == [
        {"label": "micro", "name": "micro", "path": "a.yaml"},
        {"label": "other", "name": "other", "path": "b.yaml"},
    ]
    assert list(document["results"]["other"]) == METRIC_KEYS
    cell = document["results"]["other"]["total_cost_usd"]
    assert set(CSV_COLUMNS[2:]) <= set(cell)
    assert cell["mean"] == pytest.approx(float(other_cost["mean"]), rel=1e-15)
    assert len(cell["values"]) == 3 and cell["diff_n"] == 3


# ----------------------------------------------------------------------------- CLI
def test_cli_compare_prints_the_table_and_writes_the_files(tmp_path):
    first = write_yaml(tmp_path / "od.yaml", random_scenario(name="od"))
    second = write_yaml(tmp_path / "narrow.yaml", random_scenario(name="narrow"))
    out_dir = tmp_path / "cmp"
    status, out, err = cli(
        "compare", str(first), str(second), "--replications", "3", "--seed", "4", "-o", str(out_dir),
        "--set", "jobDefinitions[work].simulation.runtime=60s",
    )  # fmt: skip
    assert status == ExitStatus.SUCCESS, err
    assert "Δ vs od" in out and "Total cost (USD)" in out and str(out_dir) in out
    document = json.loads((out_dir / "compare.json").read_text())
    assert document["seeds"] == [4, 5, 6]
    assert [s["path"] for s in document["scenarios"]] == [str(first), str(second)]
    assert (out_dir / "compare.csv").is_file()


def test_cli_compare_accepts_a_single_file(tmp_path):
    only = write_yaml(tmp_path / "s.yaml", base_scenario())
    status, out, err = cli("compare", str(only), "--replications", "2", "-o", str(tmp_path / "o"))
    assert status == 0, err
    assert "Δ vs" not in out and "$" in out


def test_cli_compare_reports_every_problem_of_every_file_and_runs_nothing(tmp_path):
    broken = base_scenario()
    broken["computeEnvironments"][0]["computeResources"]["maxvCpu"] = 8
    first = write_yaml(tmp_path / "first.yaml", broken)
    dangling = base_scenario()
    dangling["workload"][0]["submit"]["jobQueue"] = "nope"
    second = write_yaml(tmp_path / "second.yaml", dangling)
    fine = write_yaml(tmp_path / "fine.yaml", base_scenario())
    out_dir = tmp_path / "never"
    status, out, err = cli("compare", str(fine), str(first), str(second), "-o", str(out_dir))
    assert status == ExitStatus.INVALID_SCENARIO == 2
    assert str(first) in err and "unknown key 'maxvCpu'" in err
    assert str(second) in err and "unknown job queue 'nope'" in err
    assert str(fine) not in err
    assert "Traceback" not in err and out == "" and not out_dir.exists()


@pytest.mark.parametrize("flag", ["--replications", "--workers"])
def test_cli_compare_needs_at_least_one_replication_and_worker(tmp_path, flag, capsys):
    only = write_yaml(tmp_path / "s.yaml", base_scenario())
    status, _, _ = cli("compare", str(only), flag, "0", "-o", str(tmp_path / "o"))
    assert status == 2 and f"{flag}: a whole number ≥ 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_compare_help_lists_the_options(capsys):
    status, _, _ = cli("compare", "--help")
    text = capsys.readouterr().out
    assert status == 0 and "--replications N" in text and "--workers W" in text

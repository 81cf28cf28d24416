"""The summary is computed from the engine's columns (``results/metrics.py``); these tests read
the same figures off the DataFrames with pandas, a second computation no code shares, and
check that a sweep's summary-only run (``simulate_summary``) gives the same dict as
``simulate()``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import batchsim
from batchsim.api import simulate_summary
from batchsim.records import Outcome
from batchsim.results.metrics import grouped

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CASES = [
    ("genomics-array", 1),  # an array: parents counted apart, one workload entry
    ("hourly-jobs-spot-checkpoint", 2),  # Spot: interruptions, wasted work, two lifecycles
    ("spot-with-on-demand-fallback", 3),
    ("pattern-pipeline", 1),  # several workload entries: waits grouped by entry
    ("trace-replay-kth", 1),  # a trace: waits per job queue
    ("nightly-licences", 2),  # consumable resources: peak in use
    ("gpu-mix", 1),
]


@functools.cache
def run(stem: str, seed: int) -> batchsim.RunResult:
    return batchsim.simulate(batchsim.load_scenario(SCENARIOS / f"{stem}.yaml"), seed=seed)


def waits_of(waits: pd.Series) -> dict:
    values = waits.dropna().to_numpy(float)
    if len(values) == 0:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    return {"mean": values.mean(), "p50": np.percentile(values, 50),
            "p95": np.percentile(values, 95), "max": values.max()}  # fmt: skip


def assert_close(found, expected, rel=1e-12):
    """Assert two nested dicts of numbers (or None) have the same keys and close values."""
    if isinstance(expected, dict):
        assert list(found) == list(expected)
        for key in expected:
            assert_close(found[key], expected[key], rel)
    elif expected is None:
        assert found is None
    else:
        assert found == pytest.approx(float(expected), rel=rel)


@pytest.mark.parametrize(("stem", "seed"), CASES)
def test_summary_agrees_with_the_tables(stem, seed):
    result = run(stem, seed)
    jobs, attempts, instances, summary = (
        result.jobs, result.attempts, result.instances, result.summary
    )  # fmt: skip
    plain = jobs[jobs["arraySize"].isna()]
    counts = plain["status"].value_counts()
    assert summary["jobs_by_status"] == {
        s: int(counts.get(s, 0)) for s in summary["jobs_by_status"]
    }
    parents = jobs[jobs["arraySize"].notna()]["status"].value_counts()
    assert summary["array_jobs_by_status"] == {
        s: int(parents.get(s, 0)) for s in summary["array_jobs_by_status"]
    }
    assert summary["jobs_total"] == len(plain)
    assert summary["attempts_total"] == len(attempts)
    assert summary["instances_launched"] == len(instances)
    assert summary["total_cost_usd"] == pytest.approx(instances["costUsd"].sum(), rel=1e-12)
    by_lifecycle = instances.groupby("lifecycle")["costUsd"].sum()
    assert_close(summary["cost_by_lifecycle_usd"], by_lifecycle.to_dict())
    by_type = instances["instanceType"].value_counts().to_dict()
    assert summary["instances_by_type"] == dict(sorted(by_type.items()))
    paid = (instances["vcpus"] * instances["runSeconds"]).sum()
    assert summary["vcpu_hours_paid"] == pytest.approx(paid / 3600, rel=1e-12)
    assert summary["vcpu_hours_used"] == pytest.approx(
        instances["busyVcpuSeconds"].sum() / 3600, rel=1e-12
    )
    share = (instances["busyVcpuSeconds"] / (instances["vcpus"] * instances["runSeconds"])).clip(
        upper=1
    )
    idle = (instances["costUsd"] * (1 - share.fillna(0))).sum()
    assert summary["idle_cost_usd"] == pytest.approx(idle, rel=1e-9, abs=1e-12)
    assert_close(summary["queue_wait_s"], waits_of(attempts["queueWaitSeconds"]))
    spot = attempts["outcome"] == Outcome.SPOT_INTERRUPTED.value
    assert summary["interruptions"] == int(spot.sum())
    if stem == "hourly-jobs-spot-checkpoint":
        assert summary["interruptions"] > 0
    assert summary["wasted_vcpu_hours"] == pytest.approx(attempts["wastedVcpuHours"].sum())
    if jobs["status"].isin(["SUCCEEDED", "FAILED"]).all():
        makespan = jobs["stoppedAt"].max() - jobs["createdAt"].min()
        assert summary["makespan_s"] == pytest.approx(makespan, rel=1e-12)
    first = attempts["startedAt"].min() - jobs["createdAt"].min()
    assert summary["first_start_s"] == pytest.approx(first, rel=1e-12)
    entry = attempts["jobId"].map(jobs.set_index("jobId")["workload"])
    expected = {
        str(name): waits_of(waits)
        for name, waits in attempts["queueWaitSeconds"].groupby(entry.to_numpy(object))
    }
    assert_close(summary["queue_wait_by_workload_s"], expected)


def test_trace_waits_per_queue_agree_with_the_tables():
    result = run("trace-replay-kth", 1)
    jobs, attempts = result.jobs, result.attempts
    for entry, found in result.summary["traces"].items():
        queue_of = jobs[jobs["workload"] == entry].set_index("jobId")["jobQueue"]
        mine = attempts[attempts["jobId"].isin(queue_of.index)]
        queues = mine["jobId"].map(queue_of).to_numpy(object)
        expected = {
            str(queue): waits_of(waits) for queue, waits in mine["queueWaitSeconds"].groupby(queues)
        }
        assert_close(found["queue_wait_by_queue_s"], expected)
        assert found["queue_wait_by_queue_s"]  # the trace's jobs waited somewhere


def test_consumables_peak_agrees_with_the_table():
    result = run("nightly-licences", 2)
    peaks = result.consumables.groupby("consumableResource", sort=False)["inUseQuantity"].max()
    assert result.summary["consumables_peak_in_use"] == {k: int(v) for k, v in peaks.items()}


@pytest.mark.parametrize(("stem", "seed"), CASES)
def test_a_sweeps_summary_only_run_is_simulates_summary(stem, seed):
    scenario = batchsim.load_scenario(SCENARIOS / f"{stem}.yaml")
    alone = simulate_summary(scenario, seed=seed)
    assert json.dumps(alone) == json.dumps(run(stem, seed).summary)


CUT = [
    # stopped before anything ran: jobs RUNNABLE, no attempt started, instances still booting
    ("genomics-array", ["simulation.stopAt=1m"]),
    # stopped midway: some jobs done, some running (attempts unfinished), no makespan
    ("hourly-jobs-spot", ["simulation.stopAt=3h"]),
    # no capacity at all: every job stays RUNNABLE, no instance is ever launched
    ("quickstart", ["computeEnvironments[0].computeResources.maxvCpus=0",
                    "computeEnvironments[0].computeResources.minvCpus=0"]),
]  # fmt: skip


@pytest.mark.parametrize(("stem", "overrides"), CUT)
def test_a_cut_or_starved_run_summarises_as_its_tables(stem, overrides):
    scenario = batchsim.load_scenario(SCENARIOS / f"{stem}.yaml", overrides)
    result = batchsim.simulate(scenario, seed=1)
    summary, jobs = result.summary, result.jobs
    assert json.dumps(simulate_summary(scenario, seed=1)) == json.dumps(summary)
    assert summary["makespan_s"] is None
    plain = jobs[jobs["arraySize"].isna()]
    unfinished = ~plain["status"].isin(["SUCCEEDED", "FAILED"])
    assert summary["jobs_unfinished"] == int(unfinished.sum()) > 0
    assert summary["attempts_total"] == len(result.attempts)
    assert summary["instances_launched"] == len(result.instances)
    assert summary["total_cost_usd"] == pytest.approx(result.instances["costUsd"].sum())
    if result.attempts["startedAt"].isna().all():
        assert summary["first_start_s"] is None
    if not len(result.instances):
        assert summary["utilization"] is None and summary["instances_by_type"] == {}


def test_one_lifecycle_costs_the_total_to_the_last_digit():
    summary = run("genomics-array", 1).summary
    assert list(summary["cost_by_lifecycle_usd"].values()) == [summary["total_cost_usd"]]


def test_grouped_keeps_each_groups_order_and_drops_missing_keys():
    keys = np.array(["b", "a", None, "b", "a", "c"], dtype=object)
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    parts = grouped(keys, values)
    assert list(parts) == ["a", "b", "c"]
    assert [part.tolist() for part in parts.values()] == [[2.0, 5.0], [1.0, 4.0], [6.0]]
    assert grouped(np.array([], dtype=object), np.array([])) == {}


@pytest.mark.parametrize("seed", [-1, True, 2.0])
def test_simulate_and_simulate_summary_refuse_a_seed_that_is_not_a_whole_number(seed):
    for run_it in (batchsim.simulate, simulate_summary):
        with pytest.raises(ValueError, match="seed must be a whole number"):
            run_it(SCENARIOS / "quickstart.yaml", seed=seed)

"""The run's summary metrics (the keys of ``summary.json``), computed from the engine's record
columns (:class:`batchsim.records.EngineRun`) with NumPy.

NOTE: read straight from the columns, not from the DataFrames: a sweep keeps a run's summary
only, and building the frames to read it was two thirds of a short run's time. The figures are
the frames' (``tests/test_summary_metrics.py`` reads them off the tables with pandas): sums run
over the instances in launch order (the table's rows), NaN skipped, with NumPy's ``sum``. So
does each lifecycle's cost, which pandas' ``groupby().sum()`` added with compensation (or by
``reduceat``, as the pandas version and the rows' order had it): the last digit could differ
from ``total_cost_usd``'s with a single lifecycle, and now cannot. Nothing here changes a
column: the tables are built from the same columns afterwards.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

import numpy as np

from batchsim.records import TERMINAL_STATES, Columns, EngineRun, JobState, Outcome
from batchsim.results.derived import launch_order, queue_waits, run_seconds

JOB_STATES = tuple(state.value for state in JobState)
TERMINAL = frozenset(state.value for state in TERMINAL_STATES)


def _clean(value: float | None) -> float | None:
    """Return a JSON-friendly float (None for missing or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def wait_stats(waits: np.ndarray) -> dict[str, float | None]:
    """Return mean, p50, p95 and max of queue waits in seconds (None when there are none).

    Waits are those of attempts that left RUNNABLE (NaN for the others, left out); a job still
    RUNNABLE at the end of the run is counted in ``jobs_by_status`` and ``jobs_unfinished``.
    """
    values = _finite(waits)
    if len(values) == 0:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    return {
        "mean": float(values.mean()),
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
    }


def _finite(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


def grouped(keys: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
    """Return ``values`` split by their ``keys`` (text; None left out), keys in sorted order,
    each group's values in their original order (as ``Series.groupby(keys, sort=True)``)."""
    listed = keys.tolist()
    names = sorted({key for key in listed if key is not None})
    code_of = {name: code for code, name in enumerate(names)}
    codes = np.fromiter((code_of.get(key, -1) for key in listed), np.int64, len(listed))
    kept = codes >= 0
    codes, values = codes[kept], values[kept]
    # NOTE: one stable sort, not a scan of every value per key (a pipeline of 400 entries over
    # a million attempts spent 15 s in comparisons)
    parts = np.split(values[np.argsort(codes, kind="stable")], np.cumsum(np.bincount(codes))[:-1])
    # NOTE: not strict: with no names np.split still returns one (empty) part
    return {str(name): part for name, part in zip(names, parts, strict=False)}


def waits_by_workload(jobs: Columns, attempts: Columns, waits: np.ndarray) -> dict[str, dict]:
    """Return queue-wait statistics per workload entry (entries differ: an array vs a trickle)."""
    names = set(jobs["workload"].tolist())
    if len(names) == 1 and len(waits):
        # NOTE: one workload entry owns every attempt; no need to look up a million jobs
        return {str(next(iter(names))): wait_stats(waits)}
    entries = jobs["workload"][attempts["jobIndex"].astype(np.int64)]
    return {entry: wait_stats(part) for entry, part in grouped(entries, waits).items()}


def trace_summary(run: EngineRun, waits: np.ndarray) -> dict:
    """Return each trace entry's row counts (read, skipped, submitted) with its queue waits per
    job queue (a trace mapped onto several queues: one line per queue, not per job)."""
    job_of = run.attempts["jobIndex"].astype(np.int64)
    found = {}
    for entry, counts in run.traces.items():
        mine = (run.jobs["workload"] == entry)[job_of]
        queues = run.jobs["jobQueue"][job_of][mine]
        by_queue = grouped(queues, waits[mine])
        found[entry] = {
            **counts,
            "queue_wait_by_queue_s": {queue: wait_stats(w) for queue, w in by_queue.items()},
        }
    return found


def _first_created(jobs: Columns) -> float:
    created = _finite(jobs["createdAt"])
    return float(created.min()) if len(created) else math.nan


def first_start(jobs: Columns, attempts: Columns) -> float | None:
    """Return seconds from the first submission to the first job RUNNING (the cold-start wait).

    Read from the attempts: a job's own ``startedAt`` is its last attempt's, so a first job
    interrupted and retried would hide the moment anything first ran.
    """
    started = _finite(attempts["startedAt"])
    if len(started) == 0:
        return None
    return float(started.min() - _first_created(jobs))


def makespan(jobs: Columns, statuses: Mapping[str, int]) -> float | None:
    """Return seconds from the first submission to the last job reaching a terminal state.

    None while any job is not terminal (blocked RUNNABLE, or cut by stopAt): the workload
    never finished, so it has no makespan (``jobs_unfinished`` says how many).
    ``statuses`` counts every job's status, array parents included.
    """
    if not statuses or not TERMINAL.issuperset(statuses):
        return None
    stopped = _finite(jobs["stoppedAt"])
    return float(stopped.max()) - _first_created(jobs) if len(stopped) else None


def instance_idle_cost(cost: np.ndarray, capacity_s: np.ndarray, busy_s: np.ndarray) -> float:
    """Return the part of the bill paid for vCPUs that held no job (boot, idle, fragmentation):
    each instance's cost times its share of vCPU-seconds that held nothing."""
    share = np.zeros(len(cost))
    np.divide(busy_s, capacity_s, out=share, where=capacity_s > 0)
    share[np.isnan(share)] = 0.0
    return float(np.nansum(cost * (1.0 - np.minimum(share, 1.0))))


def peak_in_use(consumables: Columns) -> dict[str, int]:
    """Return the largest ``inUseQuantity`` of each consumable resource, in scenario order."""
    peaks: dict[str, int] = {}
    names = consumables["consumableResource"].tolist()
    for name, in_use in zip(names, consumables["inUseQuantity"].tolist(), strict=True):
        peaks[str(name)] = max(peaks.get(str(name), in_use), in_use)
    return {name: int(peak) for name, peak in peaks.items()}


def _sorted_counts(values: np.ndarray) -> dict[str, int]:
    """How many times each value occurs, by value (None left out, as ``value_counts`` does)."""
    counts = Counter(value for value in values.tolist() if value is not None)
    return {str(key): count for key, count in sorted(counts.items())}


def _billing(instances: Columns) -> dict:
    """The summary's instance metrics: cost, vCPU-hours, utilisation, instances by type."""
    order = launch_order(instances)  # NOTE: the table's rows, so the sums add in its order
    cost = instances["costUsd"][order]
    capacity_s = instances["vcpus"][order] * run_seconds(instances)[order]
    busy_s = instances["busyVcpuSeconds"][order]
    total_cost, paid_vcpu_s = float(np.nansum(cost)), float(np.nansum(capacity_s))
    used_vcpu_s = float(np.nansum(busy_s))
    by_lifecycle = grouped(instances["lifecycle"][order], cost)
    return {
        "total_cost_usd": total_cost,
        "cost_by_lifecycle_usd": {k: float(np.nansum(v)) for k, v in by_lifecycle.items()},
        "instances_by_type": _sorted_counts(instances["instanceType"]),
        "utilization": used_vcpu_s / paid_vcpu_s if paid_vcpu_s > 0 else None,
        "idle_cost_usd": instance_idle_cost(cost, capacity_s, busy_s),
        "vcpu_hours_paid": paid_vcpu_s / 3600.0,
        "vcpu_hours_used": used_vcpu_s / 3600.0,
    }


def summarize(run: EngineRun, scenario_name: str, has_consumables: bool) -> dict:
    """Return the summary dict of ``run`` (``summary.json``): makespan, cost, jobs by status,
    queue waits, utilisation; each trace entry's counts when it has traces, and the peak use
    of each consumable resource when ``has_consumables`` (the scenario declares some)."""
    jobs, attempts = run.jobs, run.attempts
    plain = np.isnan(jobs["arraySize"])
    jobs_total = int(plain.sum())
    by_status = Counter(jobs["status"][plain].tolist())
    parents = Counter(jobs["status"][~plain].tolist())
    succeeded, failed = by_status[JobState.SUCCEEDED.value], by_status[JobState.FAILED.value]
    waits = queue_waits(attempts)
    billing = _billing(run.instances)
    total_cost = billing["total_cost_usd"]
    summary = {
        "scenario": scenario_name,
        "seed": run.seed,
        "makespan_s": _clean(makespan(jobs, by_status + parents)),
        "total_cost_usd": total_cost,
        "cost_by_lifecycle_usd": billing["cost_by_lifecycle_usd"],
        "cost_per_succeeded_job_usd": total_cost / succeeded if succeeded else None,
        "jobs_by_status": {state: by_status[state] for state in JOB_STATES},
        "array_jobs_by_status": {state: parents[state] for state in JOB_STATES},
        "queue_wait_s": wait_stats(waits),
        "queue_wait_by_workload_s": waits_by_workload(jobs, attempts, waits),
        "first_start_s": first_start(jobs, attempts),
        "instances_by_type": billing["instances_by_type"],
        "utilization": billing["utilization"],
        "idle_cost_usd": billing["idle_cost_usd"],
        "vcpu_hours_paid": billing["vcpu_hours_paid"],
        "vcpu_hours_used": billing["vcpu_hours_used"],
        "jobs_total": jobs_total,
        "jobs_unfinished": jobs_total - succeeded - failed,
        "attempts_total": len(waits),
        "interruptions": int((attempts["outcome"] == Outcome.SPOT_INTERRUPTED.value).sum()),
        "wasted_vcpu_hours": float(np.nansum(attempts["wastedVcpuHours"])),
        "instances_launched": len(run.instances["costUsd"]),
        "end_of_run_s": float(run.end_at),
    }
    if run.traces:
        summary["traces"] = trace_summary(run, waits)
    if has_consumables:
        summary["consumables_peak_in_use"] = peak_in_use(run.consumables)
    return summary

"""The run's summary metrics (the keys of ``summary.json``), computed from the DataFrames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from batchsim.records import TERMINAL_STATES, JobState, Outcome

JOB_STATES = tuple(state.value for state in JobState)
TERMINAL = sorted(state.value for state in TERMINAL_STATES)


def _clean(value: float | None) -> float | None:
    """Return a JSON-friendly float (None for missing or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def wait_stats(waits: pd.Series) -> dict[str, float | None]:
    """Return mean, p50, p95 and max of queue waits in seconds (None when there are none).

    Waits are those of attempts that left RUNNABLE; a job still RUNNABLE at the end of the run
    is counted in ``jobs_by_status`` and ``jobs_unfinished``, not here.
    """
    values = waits.dropna().to_numpy(float)
    if len(values) == 0:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    return {
        "mean": float(values.mean()),
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
    }


def waits_by_workload(jobs: pd.DataFrame, attempts: pd.DataFrame) -> dict[str, dict]:
    """Return queue-wait statistics per workload entry (entries differ: an array vs a trickle)."""
    names = jobs["workload"].unique()
    if len(names) == 1 and len(attempts):
        # NOTE: one workload entry owns every attempt; no need to look up a million job ids.
        return {str(names[0]): wait_stats(attempts["queueWaitSeconds"])}
    entry_of = jobs.set_index("jobId")["workload"]
    entries = attempts["jobId"].map(entry_of)
    # NOTE: one grouping pass, not a scan of every attempt per entry (a pipeline of 400 entries
    # over a million attempts spent 15 s in comparisons); groups keep the attempts' order.
    grouped = attempts["queueWaitSeconds"].groupby(entries.to_numpy(object), sort=True)
    return {str(entry): wait_stats(waits) for entry, waits in grouped}


def trace_summary(
    traces: dict[str, dict[str, int]], jobs: pd.DataFrame, attempts: pd.DataFrame
) -> dict:
    """Return each trace entry's row counts (read, skipped, submitted) with its queue waits per
    job queue (a trace mapped onto several queues: one line per queue, not per job)."""
    found = {}
    for entry, counts in traces.items():
        queue_of = jobs.loc[jobs["workload"] == entry].set_index("jobId")["jobQueue"]
        mine = attempts[attempts["jobId"].isin(queue_of.index)]
        queues = mine["jobId"].map(queue_of).to_numpy(object)
        grouped = mine["queueWaitSeconds"].groupby(queues, sort=True)
        found[entry] = {
            **counts,
            "queue_wait_by_queue_s": {str(q): wait_stats(w) for q, w in grouped},
        }
    return found


def first_start(jobs: pd.DataFrame, attempts: pd.DataFrame) -> float | None:
    """Return seconds from the first submission to the first job RUNNING (the cold-start wait).

    Read from the attempts: a job's own ``startedAt`` is its last attempt's, so a first job
    interrupted and retried would hide the moment anything first ran.
    """
    started = attempts["startedAt"].dropna()
    if started.empty:
        return None
    return float(started.min() - jobs["createdAt"].min())


def makespan(jobs: pd.DataFrame) -> float | None:
    """Return seconds from the first submission to the last job reaching a terminal state.

    None while any job is not terminal (blocked RUNNABLE, or cut by stopAt): the workload
    never finished, so it has no makespan (``jobs_unfinished`` says how many).
    """
    if jobs.empty or not jobs["status"].isin(TERMINAL).all():
        return None
    return float(jobs["stoppedAt"].max() - jobs["createdAt"].min())


def instance_idle_cost(instances: pd.DataFrame) -> float:
    """Return the part of the bill paid for vCPUs that held no job (boot, idle, fragmentation)."""
    capacity_s = instances["vcpus"] * instances["runSeconds"]
    busy_share = (
        (instances["busyVcpuSeconds"] / capacity_s.where(capacity_s > 0))
        .fillna(0.0)
        .clip(upper=1.0)
    )
    return float((instances["costUsd"] * (1.0 - busy_share)).sum())


def peak_in_use(consumables: pd.DataFrame) -> dict[str, int]:
    """Return the largest ``inUseQuantity`` of each consumable resource, in scenario order."""
    peaks = consumables.groupby("consumableResource", sort=False)["inUseQuantity"].max()
    return {str(name): int(peak) for name, peak in peaks.items()}


def summarize(
    jobs: pd.DataFrame, attempts: pd.DataFrame, instances: pd.DataFrame, end_at: float
) -> dict:
    """Return the summary dict: makespan, cost, jobs by status, queue waits, utilisation."""
    # NOTE: filter the status column only; a filtered copy of the whole table would be the
    # largest allocation of a big run's results.
    runnable = jobs["arraySize"].isna()
    by_status = jobs["status"][runnable].value_counts()
    jobs_total = int(runnable.sum())
    succeeded = int(by_status.get(JobState.SUCCEEDED.value, 0))
    total_cost = float(instances["costUsd"].sum())
    paid_vcpu_s = float((instances["vcpus"] * instances["runSeconds"]).sum())
    used_vcpu_s = float(instances["busyVcpuSeconds"].sum())
    by_lifecycle = instances.groupby("lifecycle")["costUsd"].sum()
    parents = jobs["status"][~runnable].value_counts()
    return {
        "makespan_s": _clean(makespan(jobs)),
        "total_cost_usd": total_cost,
        "cost_by_lifecycle_usd": {str(k): float(v) for k, v in by_lifecycle.items()},
        "cost_per_succeeded_job_usd": total_cost / succeeded if succeeded else None,
        "jobs_by_status": {state: int(by_status.get(state, 0)) for state in JOB_STATES},
        "array_jobs_by_status": {state: int(parents.get(state, 0)) for state in JOB_STATES},
        "queue_wait_s": wait_stats(attempts["queueWaitSeconds"]),
        "queue_wait_by_workload_s": waits_by_workload(jobs, attempts),
        "first_start_s": first_start(jobs, attempts),
        "instances_by_type": {
            str(k): int(v) for k, v in instances["instanceType"].value_counts().sort_index().items()
        },
        "utilization": used_vcpu_s / paid_vcpu_s if paid_vcpu_s > 0 else None,
        "idle_cost_usd": instance_idle_cost(instances),
        "vcpu_hours_paid": paid_vcpu_s / 3600.0,
        "vcpu_hours_used": used_vcpu_s / 3600.0,
        "jobs_total": jobs_total,
        "jobs_unfinished": jobs_total - succeeded - int(by_status.get(JobState.FAILED.value, 0)),
        "attempts_total": int(len(attempts)),
        "interruptions": int((attempts["outcome"] == Outcome.SPOT_INTERRUPTED.value).sum()),
        "wasted_vcpu_hours": float(attempts["wastedVcpuHours"].sum()),
        "instances_launched": int(len(instances)),
        "end_of_run_s": float(end_at),
    }

"""Records → DataFrames, once, after the run; and the timeline of levels derived from them.

The engine hands over its records as columns (:class:`batchsim.records.EngineRun`); each table
is built from them directly, typed by its spec in :mod:`batchsim.records`, and each column is
released as soon as it is converted, which keeps the peak memory of a large run down.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from batchsim.records import (
    ATTEMPT_TABLE,
    BLOCKED_TABLE,
    CAPACITY,
    INSTANCE_TABLE,
    JOB,
    TIMELINE_TABLE,
    Columns,
    EngineRun,
    Field,
)

TIMELINE_COLUMNS = tuple(f.name for f in TIMELINE_TABLE)
# NOTE: text gets pandas' inferred text dtype: "str" from pandas 3, object before it.
TEXT_DTYPE = pd.Series(["text"]).dtype
_TEXT_IS_OBJECT = np.dtype(object) == TEXT_DTYPE


def _text(values: np.ndarray):
    """Return an object array of strings (and None) as a text column."""
    return values if _TEXT_IS_OBJECT else pd.array(values, dtype=TEXT_DTYPE)


def typed(f: Field, values: np.ndarray):
    """Return a column's stored ``values`` (see records.as_column) as the array of its table
    dtype: text as text; numbers as stored (float64, or int64 when every value was an int),
    except nullable whole numbers, which become Int64 unless some value is a fraction."""
    if f.dtype == "str":
        return _text(values)
    if f.dtype != "Int64":
        return values
    gaps = np.isnan(values)
    if not np.all(gaps | (np.floor(values) == values)):
        return values  # NOTE: Fargate's 0.25 vCPU: a fraction keeps the column float64
    return pd.arrays.IntegerArray(np.where(gaps, 0, values).astype(np.int64), gaps)


def frame(fields: Sequence[Field], columns: Columns) -> pd.DataFrame:
    """Return a DataFrame of ``fields`` from ``columns``, popping each column as it is typed."""
    data = {f.name: typed(f, columns.pop(f.name)) for f in fields}
    return pd.DataFrame(data, columns=[f.name for f in fields], copy=False)


def jobs_frame(run: EngineRun) -> pd.DataFrame:
    """Return one row per job (array parents included, flagged by ``arraySize``)."""
    return frame(JOB.fields, run.jobs)


def _job_ids(jobs: pd.DataFrame, index: np.ndarray):
    """Return the ``jobId`` of the jobs at positions ``index`` (float64 record values)."""
    ids = jobs["jobId"].to_numpy()[index.astype(np.int64)]
    return _text(ids)


def attempts_frame(run: EngineRun, jobs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per attempt, with its ``jobId`` and ``queueWaitSeconds`` (RUNNABLE → STARTING)."""
    columns = run.attempts
    columns["jobId"] = _job_ids(jobs, columns.pop("jobIndex"))
    columns["queueWaitSeconds"] = columns["startingAt"] - columns["runnableAt"]
    return frame(ATTEMPT_TABLE, columns)


def instances_frame(run: EngineRun) -> pd.DataFrame:
    """Return one row per instance lifetime with its bill (computed by its compute environment:
    per second with a 60-second minimum; Spot at its price over time, free if reclaimed within
    its first hour)."""
    columns = dict(run.instances)
    order = np.argsort(columns["launchedAt"], kind="stable")
    columns = {name: values[order] for name, values in columns.items()}
    columns["runSeconds"] = columns["terminatedAt"] - columns["launchedAt"]
    return frame(INSTANCE_TABLE, columns)


def blocked_frame(run: EngineRun, jobs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per blocked head job reported: time, jobId, jobQueue, statusReason."""
    columns = dict(run.blocked)
    columns["jobId"] = _job_ids(jobs, columns.pop("jobIndex"))
    return frame(BLOCKED_TABLE, columns)


def capacity_frame(run: EngineRun) -> pd.DataFrame:
    """Return the change points of each compute environment's desired and ready vCPUs."""
    return frame(CAPACITY.fields, dict(run.capacity))


def _steps(starts: np.ndarray, stops: np.ndarray, weights: np.ndarray | None = None):
    """Return (times, deltas) of a level that rises at ``starts`` and falls at ``stops``."""
    weights = np.ones(len(starts)) if weights is None else weights
    finite = ~np.isnan(stops)
    times = np.concatenate([starts, stops[finite]])
    deltas = np.concatenate([weights, -weights[finite]])
    return times, deltas


def timeline_frame(
    jobs: pd.DataFrame, attempts: pd.DataFrame, capacity: pd.DataFrame
) -> pd.DataFrame:
    """Return levels over time: jobs per state and vCPUs desired / ready / in use.

    Each row holds the levels from ``time`` until the next row's time (a step function), so
    time-weighted averages are sums of level × duration.
    """
    waiting = (jobs["status"] == "RUNNABLE").to_numpy(bool) & jobs["arraySize"].isna().to_numpy()
    waiting_at = jobs["runnableAt"].to_numpy(float)[waiting]
    a = attempts
    started = a["startedAt"].to_numpy(float)
    stopped = a["stoppedAt"].to_numpy(float)
    starting_end = np.where(np.isnan(started), stopped, started)
    series = {
        "RUNNABLE": [
            _steps(a["runnableAt"].to_numpy(float), a["startingAt"].to_numpy(float)),
            _steps(waiting_at, np.full(len(waiting_at), np.nan)),
        ],
        "STARTING": [_steps(a["startingAt"].to_numpy(float), starting_end)],
        "RUNNING": [_steps(started[~np.isnan(started)], stopped[~np.isnan(started)])],
        "vcpusInUse": [_steps(a["startingAt"].to_numpy(float), stopped, _held_vcpus(a, jobs))],
    }
    parts = [part for name in series for part in series[name]]
    times = np.concatenate([t for t, _ in parts] + [capacity["time"].to_numpy(float)])
    grid, slot = np.unique(times, return_inverse=True)
    columns = {"time": grid}
    start = 0
    for name, steps in series.items():
        deltas = np.concatenate([d for _, d in steps])
        end = start + len(deltas)
        columns[name] = _level(slot[start:end], deltas, len(grid))
        start = end
    columns["vcpusDesired"], columns["vcpusReady"] = _capacity_levels(capacity, grid)
    return pd.DataFrame(columns, columns=list(TIMELINE_COLUMNS))


def _level(slots: np.ndarray, deltas: np.ndarray, size: int) -> np.ndarray:
    """Return the level holding just after each grid time: the running sum of the ``deltas``
    that happen at grid positions ``slots``.

    NOTE: one sort (``np.unique``) places every change on the grid; summing per slot and then
    along the grid is exact here, as deltas are whole vCPUs or counts (or quarters of a vCPU).
    """
    return np.cumsum(np.bincount(slots, weights=deltas, minlength=size), dtype=np.float64)


def _held_vcpus(attempts: pd.DataFrame, jobs: pd.DataFrame) -> np.ndarray:
    """Return the vCPUs each attempt holds: its own, times the nodes of an MNP job."""
    vcpus = attempts["vcpus"].to_numpy(float)
    if jobs["numNodes"].isna().all():
        return vcpus
    nodes = attempts["jobId"].map(jobs.set_index("jobId")["numNodes"]).fillna(1)
    return vcpus * nodes.to_numpy(float)


def _capacity_levels(capacity: pd.DataFrame, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    desired = np.zeros(len(grid))
    ready = np.zeros(len(grid))
    for _, points in capacity.groupby("computeEnvironment", sort=False):
        times = points["time"].to_numpy(float)
        index = np.searchsorted(times, grid, side="right") - 1
        valid = index >= 0
        desired[valid] += points["desiredvCpus"].to_numpy(float)[index[valid]]
        ready[valid] += points["readyvCpus"].to_numpy(float)[index[valid]]
    return desired, ready

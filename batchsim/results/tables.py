"""Records → DataFrames, once, after the run; and the timeline of levels derived from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from batchsim.engine.blocked import BLOCKED_FIELDS
from batchsim.engine.recorder import ATTEMPT_FIELDS, CAPACITY_FIELDS, INSTANCE_FIELDS
from batchsim.engine.simulation import JOB_FIELDS, EngineRun

TIMELINE_COLUMNS = (
    "time", "RUNNABLE", "STARTING", "RUNNING", "vcpusDesired", "vcpusReady", "vcpusInUse",
)  # fmt: skip


def jobs_frame(run: EngineRun) -> pd.DataFrame:
    """Return one row per job (array parents included, flagged by ``arraySize``)."""
    frame = pd.DataFrame.from_records(run.jobs, columns=list(JOB_FIELDS))
    return _nullable_ints(
        frame, ("attempts", "exitCode", "vcpus", "gpus", "arrayIndex", "arraySize", "numNodes")
    )


def attempts_frame(run: EngineRun, jobs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per attempt, with its ``jobId`` and ``queueWaitSeconds`` (RUNNABLE → STARTING)."""
    frame = pd.DataFrame.from_records(run.attempts, columns=list(ATTEMPT_FIELDS))
    job_ids = jobs["jobId"].to_numpy()[frame.pop("jobIndex").to_numpy(dtype=np.int64)]
    frame.insert(0, "jobId", pd.array(job_ids, dtype=jobs["jobId"].dtype))
    frame["queueWaitSeconds"] = frame["startingAt"] - frame["runnableAt"]
    return _nullable_ints(frame, ("attempt", "exitCode", "vcpus", "gpus"))


def _nullable_ints(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Give integer columns with gaps pandas' nullable Int64, so CSVs read "3", never "3.0".

    ``vcpus`` stays a float column when a Fargate job asked for a fraction (0.25, 0.5).
    """
    for column in columns:
        values = frame[column]
        if column == "vcpus" and values.dtype.kind == "f" and not _all_whole(values.to_numpy()):
            continue
        frame[column] = values.astype("Int64")
    return frame


def _all_whole(values: np.ndarray) -> bool:
    """Whether every number in ``values`` is whole (NaN counts as whole: it becomes <NA>)."""
    return bool(np.all(np.isnan(values) | (np.floor(values) == values)))


def instances_frame(run: EngineRun) -> pd.DataFrame:
    """Return one row per instance lifetime with its bill (computed by its compute environment:
    per second with a 60-second minimum; Spot at its price over time, free if reclaimed within
    its first hour)."""
    frame = pd.DataFrame.from_records(run.instances, columns=list(INSTANCE_FIELDS))
    frame = frame.sort_values("launchedAt", kind="stable").reset_index(drop=True)
    frame["runSeconds"] = frame["terminatedAt"] - frame["launchedAt"]
    cost = frame.pop("costUsd")
    frame["costUsd"] = cost.astype(float)  # NOTE: kept as the last column, as before
    return frame


def blocked_frame(run: EngineRun, jobs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per blocked head job reported: time, jobId, jobQueue, statusReason."""
    frame = pd.DataFrame.from_records(list(run.blocked), columns=list(BLOCKED_FIELDS))
    job_ids = jobs["jobId"].to_numpy()[frame.pop("jobIndex").to_numpy(dtype=np.int64)]
    frame.insert(1, "jobId", job_ids)
    return frame


def capacity_frame(run: EngineRun) -> pd.DataFrame:
    """Return the change points of each compute environment's desired and ready vCPUs."""
    return pd.DataFrame.from_records(run.capacity, columns=list(CAPACITY_FIELDS))


def _steps(starts: np.ndarray, stops: np.ndarray, weights: np.ndarray | None = None):
    """Return (times, deltas) of a level that rises at ``starts`` and falls at ``stops``."""
    weights = np.ones(len(starts)) if weights is None else weights
    finite = ~np.isnan(stops)
    times = np.concatenate([starts, stops[finite]])
    deltas = np.concatenate([weights, -weights[finite]])
    return times, deltas


def _level(times: np.ndarray, deltas: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Return the level (cumulative sum of deltas) holding just after each grid time."""
    if len(times) == 0:
        return np.zeros(len(grid))
    order = np.argsort(times, kind="stable")
    cumulative = np.cumsum(deltas[order])
    index = np.searchsorted(times[order], grid, side="right") - 1
    return np.where(index >= 0, cumulative[np.maximum(index, 0)], 0.0)


def timeline_frame(jobs: pd.DataFrame, attempts: pd.DataFrame, capacity: pd.DataFrame) -> pd.DataFrame:
    """Return levels over time: jobs per state and vCPUs desired / ready / in use.

    Each row holds the levels from ``time`` until the next row's time (a step function), so
    time-weighted averages are sums of level × duration.
    """
    waiting = jobs[(jobs["status"] == "RUNNABLE") & jobs["arraySize"].isna()]
    a = attempts
    started = a["startedAt"].to_numpy(float)
    stopped = a["stoppedAt"].to_numpy(float)
    starting_end = np.where(np.isnan(started), stopped, started)
    series = {
        "RUNNABLE": [
            _steps(a["runnableAt"].to_numpy(float), a["startingAt"].to_numpy(float)),
            _steps(waiting["runnableAt"].to_numpy(float), np.full(len(waiting), np.nan)),
        ],
        "STARTING": [_steps(a["startingAt"].to_numpy(float), starting_end)],
        "RUNNING": [_steps(started[~np.isnan(started)], stopped[~np.isnan(started)])],
        "vcpusInUse": [_steps(a["startingAt"].to_numpy(float), stopped, _held_vcpus(a, jobs))],
    }
    grid_parts = [t for parts in series.values() for t, _ in parts] + [capacity["time"].to_numpy(float)]
    grid = np.unique(np.concatenate(grid_parts)) if grid_parts else np.array([0.0])
    columns = {"time": grid}
    for name, parts in series.items():
        times = np.concatenate([t for t, _ in parts])
        deltas = np.concatenate([d for _, d in parts])
        columns[name] = _level(times, deltas, grid)
    columns["vcpusDesired"], columns["vcpusReady"] = _capacity_levels(capacity, grid)
    return pd.DataFrame(columns, columns=list(TIMELINE_COLUMNS))


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

"""Records → DataFrames, once, after the run; and the timeline of levels derived from them.

The engine hands over its records as columns (:class:`batchsim.records.EngineRun`); each table
is built from them directly, typed by its spec in :mod:`batchsim.records`, and each column is
released as soon as it is converted, which keeps the peak memory of a large run down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from batchsim.records import (
    ATTEMPT_TABLE,
    BLOCKED_TABLE,
    CAPACITY,
    CONSUMABLE,
    INSTANCE_TABLE,
    JOB,
    TIMELINE_TABLE,
    WAIT,
    Columns,
    EngineRun,
    Field,
)
from batchsim.results.derived import launch_order, queue_waits, run_seconds

Column: TypeAlias = np.ndarray | ExtensionArray  # a DataFrame column as built here
TIMELINE_COLUMNS = tuple(f.name for f in TIMELINE_TABLE)
INT64_LIMIT = 2.0**63
"""Whole numbers at or beyond this magnitude stay float64 (int64 cannot hold them)."""
# NOTE: text gets pandas' inferred text dtype: "str" from pandas 3, object before it.
TEXT_DTYPE = pd.Series(["text"]).dtype
_STRING_DTYPE = TEXT_DTYPE if isinstance(TEXT_DTYPE, pd.StringDtype) else None  # None: object


def _text(values: np.ndarray) -> Column:
    """Return an object array of strings (and None) as a text column."""
    return values if _STRING_DTYPE is None else pd.array(values, dtype=_STRING_DTYPE)


def typed(f: Field, values: np.ndarray) -> Column:
    """Return a column's stored ``values`` (see records.as_column) as the array of its table
    dtype: text as text; numbers as stored (float64, or int64 when every value was an int),
    except nullable whole numbers, which become Int64 unless some value is a fraction or too
    large for int64."""
    if f.dtype == "str":
        return _text(values)
    if f.dtype != "Int64":
        return values
    gaps = np.isnan(values)
    whole = gaps | ((np.floor(values) == values) & (np.abs(values) < INT64_LIMIT))
    if not np.all(whole):
        # NOTE: Fargate's 0.25 vCPU: a fraction keeps the column float64; so does a number no
        # int64 holds (a job asking for 1e308 vCPUs, which never runs: MISCONFIGURATION)
        return values
    return pd.arrays.IntegerArray(np.where(gaps, 0, values).astype(np.int64), gaps)


def frame(fields: Sequence[Field], columns: Columns) -> pd.DataFrame:
    """Return a DataFrame of ``fields`` from ``columns``, popping each column as it is typed."""
    data = {f.name: typed(f, columns.pop(f.name)) for f in fields}
    return pd.DataFrame(data, columns=[f.name for f in fields], copy=False)


def jobs_frame(run: EngineRun) -> pd.DataFrame:
    """Return one row per job (array parents included, flagged by ``arraySize``)."""
    return frame(JOB.fields, run.jobs)


def _job_ids(jobs: pd.DataFrame, index: np.ndarray) -> np.ndarray:
    """Return the ``jobId`` of the jobs at positions ``index`` (float64 record values), as a
    stored text column (:func:`frame` types it)."""
    return jobs["jobId"].to_numpy()[index.astype(np.int64)]


def attempts_frame(run: EngineRun, jobs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per attempt, with its ``jobId`` and ``queueWaitSeconds`` (RUNNABLE → STARTING)."""
    columns = run.attempts
    columns["jobId"] = _job_ids(jobs, columns.pop("jobIndex"))
    columns["queueWaitSeconds"] = queue_waits(columns)
    return frame(ATTEMPT_TABLE, columns)


def instances_frame(run: EngineRun) -> pd.DataFrame:
    """Return one row per instance lifetime with its bill (computed by its compute environment:
    per second with a 60-second minimum; Spot at its price over time, free if reclaimed within
    its first hour)."""
    columns = dict(run.instances)
    order = launch_order(columns)
    columns = {name: values[order] for name, values in columns.items()}
    columns["runSeconds"] = run_seconds(columns)
    return frame(INSTANCE_TABLE, columns)


def blocked_frame(run: EngineRun, jobs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per blocked head job reported: time, jobId, jobQueue, statusReason."""
    columns = dict(run.blocked)
    columns["jobId"] = _job_ids(jobs, columns.pop("jobIndex"))
    return frame(BLOCKED_TABLE, columns)


def waits_frame(run: EngineRun) -> pd.DataFrame:
    """Return one row per change of why a line of RUNNABLE jobs waits: time, jobQueue, line
    (:func:`batchsim.records.line_key`), cause (:class:`batchsim.records.WaitCause`), detail."""
    return frame(WAIT.fields, dict(run.waits))


def capacity_frame(run: EngineRun) -> pd.DataFrame:
    """Return the change points of each compute environment's desired and ready vCPUs."""
    return frame(CAPACITY.fields, dict(run.capacity))


def consumables_frame(run: EngineRun) -> pd.DataFrame:
    """Return the change points of each consumable resource's in-use, available and total
    quantities (one row per resource at t=0, then one per change)."""
    return frame(CONSUMABLE.fields, dict(run.consumables))


def timeline_frame(
    jobs: pd.DataFrame, attempts: pd.DataFrame, capacity: pd.DataFrame
) -> pd.DataFrame:
    """Return levels over time: jobs per state and vCPUs desired / ready / in use.

    Each row holds the levels from ``time`` until the next row's time (a step function), so
    time-weighted averages are sums of level × duration.
    """
    waiting = (jobs["status"] == "RUNNABLE").to_numpy(bool) & jobs["arraySize"].isna().to_numpy()
    a = attempts
    starting = a["startingAt"].to_numpy(float)
    started = a["startedAt"].to_numpy(float)
    stopped = a["stoppedAt"].to_numpy(float)
    grid, (at_runnable, at_starting, at_waiting, at_starting_end, at_stopped) = _on_grid(
        starts=[
            a["runnableAt"].to_numpy(float),
            starting,
            jobs["runnableAt"].to_numpy(float)[waiting],
        ],
        stops=[np.where(np.isnan(started), stopped, started), stopped],
        extra=capacity["time"].to_numpy(float),
    )
    held = _held_vcpus(a, jobs)
    has_started, has_stopped = ~np.isnan(started), at_stopped >= 0
    size = len(grid)
    out = np.empty((len(TIMELINE_COLUMNS), size))
    level = dict(zip(TIMELINE_COLUMNS, out, strict=True))  # each a view of a row of ``out``
    level["time"][:] = grid
    level["RUNNABLE"][:] = _level(
        size, [at_runnable, at_waiting], [at_starting[~np.isnan(starting)]]
    )
    level["STARTING"][:] = _level(size, [at_starting], [at_starting_end[at_starting_end >= 0]])
    level["RUNNING"][:] = _level(
        size, [at_starting_end[has_started]], [at_stopped[has_started & has_stopped]]
    )
    level["vcpusDesired"][:], level["vcpusReady"][:] = _capacity_levels(capacity, grid)
    level["vcpusInUse"][:] = _level(
        size, [at_starting], [at_stopped[has_stopped]], held, held[has_stopped]
    )
    # NOTE: one 2-D block, handed to pandas without a copy (the largest table of a big run).
    return pd.DataFrame(out.T, columns=list(TIMELINE_COLUMNS), copy=False)


def _on_grid(
    starts: list[np.ndarray], stops: list[np.ndarray], extra: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the sorted distinct times of all arrays (the grid) and, for each array of
    ``starts`` then ``stops``, the grid position of each of its times.

    A missing stop (NaN: still open) is left off the grid and gets position -1.
    """
    finite = [~np.isnan(times) for times in stops]
    parts = starts + [times[ok] for times, ok in zip(stops, finite, strict=True)] + [extra]
    grid, slot = np.unique(np.concatenate(parts), return_inverse=True)
    bounds = np.cumsum([len(part) for part in parts])
    pieces = np.split(slot, bounds[:-1])
    positions = pieces[: len(starts)]
    for piece, ok in zip(pieces[len(starts) : len(starts) + len(stops)], finite, strict=True):
        at = np.full(len(ok), -1, dtype=slot.dtype)
        at[ok] = piece
        positions.append(at)
    return grid, positions


def _level(
    size: int,
    rises: list[np.ndarray],
    falls: list[np.ndarray],
    up: np.ndarray | None = None,
    down: np.ndarray | None = None,
) -> np.ndarray:
    """Return the level holding just after each of ``size`` grid times: +1 (or ``up``, one
    weight per element of the single array of ``rises``) at each grid position in ``rises``,
    −1 (or ``down``) at each in ``falls``.

    NOTE: one sort (``np.unique``) placed every change on the grid; counting per position and
    then summing along the grid is exact, as changes are counts or vCPUs (quarters at least).
    """
    total = np.zeros(size)
    for slots in rises:
        total += np.bincount(slots, up, minlength=size)
    for slots in falls:
        total -= np.bincount(slots, down, minlength=size)
    return np.cumsum(total)


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

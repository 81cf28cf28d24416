"""The run's records, named once: their columns (names, order, dtypes) and the enums they hold.

The engine appends records and hands them over as columns; ``results/`` turns the columns into
DataFrames. Both import this module, which imports neither, so ``results/`` never needs the
engine to read a record. One :class:`RecordSpec` per grain: a job, an attempt, an instance
lifetime, a change of a compute environment's capacity, a blocked head job, a change of a
consumable resource's quantities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

import numpy as np


class JobState(StrEnum):
    """AWS Batch ``JobStatus`` values, in lifecycle order."""

    SUBMITTED = "SUBMITTED"
    PENDING = "PENDING"
    RUNNABLE = "RUNNABLE"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})
MISCONFIGURATION = "MISCONFIGURATION:"
"""How AWS's statusReason of a job that can never be placed begins (the scheduler marks such
lines; a run's report counts the jobs left with it)."""


class Outcome(StrEnum):
    """Values of the ``outcome`` column of attempts: how an attempt ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SPOT_INTERRUPTED = "spot_interrupted"  # the host was reclaimed (EC2 Spot or Fargate Spot)
    TERMINATED = "terminated"  # stopped by a TerminateJob action
    HOST_REPLACED = "host_replaced"  # its host was replaced by an infrastructure update
    UNFINISHED = "unfinished"  # still STARTING or RUNNING when the run stopped (stopAt)


class WaitCause(StrEnum):
    """Values of the ``cause`` column of waits: why a line of RUNNABLE jobs is not placed, as the
    scheduler decided it (engine/waits.py). ``NONE`` closes a cause: the line emptied."""

    SCALING_OUT = "scaling_out"  # the CE(s) launched, or are booting, instances for the jobs
    MAX_VCPUS = "max_vcpus"  # no CE of the queue can launch more: maxvCpus reached
    PRIORITY = "priority"  # a higher-priority queue sharing the CE asks for the capacity first
    HEAD_BLOCKED = "head_blocked"  # strict FIFO: the job at the head of the queue cannot run
    FAIR_SHARE = "fair_share"  # the fair-share policy's computeReservation holds them back
    CONSUMABLE = "consumable"  # a consumable resource they need is not available
    CAPACITY = "capacity"  # EC2 has no capacity of the type (CAPACITY:INSUFFICIENT_INSTANCE…)
    MISCONFIGURATION = "misconfiguration"  # can never be placed (AWS's MISCONFIGURATION:…)
    CE_DISABLED = "ce_disabled"  # the CE(s) that could run them are DISABLED
    NONE = "none"  # the line emptied: no cause until the next one is recorded


class InstanceState(StrEnum):
    """Lifecycle of an instance in batchsim (a subset of EC2's, as Batch sees it)."""

    BOOTING = "booting"  # launched, not yet registered with the CE's ECS cluster
    READY = "ready"  # registered: jobs can be placed
    RETIRING = "retiring"  # replaced by an infrastructure update: no new jobs, ends when empty
    TERMINATED = "terminated"


class Field(NamedTuple):
    """One column of a record: its ``name`` and the pandas ``dtype`` of its DataFrame column.

    ``dtype`` is "str", "float64", "Int64" (whole numbers with gaps) or "int64". A whole-number
    column is float64 instead when some value is a fraction (Fargate's 0.25 vCPU).
    """

    name: str
    dtype: str


Columns = dict[str, np.ndarray]
"""Records as columns: field name → NumPy array (object for text, float64 for numbers)."""

AttemptRow = tuple[
    int, int, str, str, str, float, float, int, float | None, float | None, float | None,
    float, str, int | None, str, str, float,
]  # fmt: skip
"""One attempt record as the engine appends it, in :data:`ATTEMPT`'s order."""

WaitRow = tuple[float, str, str, WaitCause, str]
"""One wait record as the engine appends it, in :data:`WAIT`'s order."""

BlockedRow = tuple[float, int, str, str]
"""One blocked-head record as the engine appends it, in :data:`BLOCKED`'s order."""


@dataclass(frozen=True)
class RecordSpec:
    """The columns of one record kind, in order; records of this kind are tuples in this order."""

    kind: str
    fields: tuple[Field, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(f.name for f in self.fields)

    def empty(self) -> Columns:
        """Return zero records as columns."""
        return {f.name: np.empty(0, dtype=storage_dtype(f)) for f in self.fields}

    def columns(self, rows: Sequence[tuple]) -> Columns:
        """Return ``rows`` (tuples in this spec's order) as columns; enum members become their
        plain string values and ``None`` becomes NaN in number columns."""
        if not rows:
            return self.empty()
        transposed = zip(*rows)  # noqa: B905 (every row has every field)
        return {
            f.name: as_column(f, values) for f, values in zip(self.fields, transposed, strict=True)
        }


def storage_dtype(f: Field) -> type:
    """Return the NumPy dtype that holds column ``f`` between the engine and the DataFrame:
    object for text, float64 for numbers (exact for integers below 2**53, NaN for gaps)."""
    return object if f.dtype == "str" else np.float64


def as_column(f: Field, values: list | tuple) -> np.ndarray:
    """Return ``values`` of column ``f`` as its storage array (see :func:`storage_dtype`).

    A float64 or int64 column whose values are all Python ints is stored as int64 (its table
    column too): a time that is always the integer 0 writes "0" to CSV, as it always has.

    NOTE: ``np.fromiter`` with the dtype and count given converts exactly as ``np.array`` does
    (None → NaN in a number column) without first discovering every value's type and shape:
    4× faster on a text column, about a fifth on a number column, about 6 % of the compiled
    engine's instructions per job in benchmark shape (d).
    """
    count = len(values)
    if f.dtype == "str":
        if f.name in ENUM_COLUMNS:
            # NOTE: members → their plain ``str`` values, so a DataFrame cell compares, hashes
            # and prints exactly as AWS's string (and a pickled result needs no batchsim enum).
            values = list(map(_PLAIN.get, values, values))
        return np.fromiter(values, object, count)
    first = values[0] if count else None
    # NOTE: NumPy turns a column of nothing but None into NaN slowly (~100× a float column),
    # and a few None among numbers at the speed of numbers; an all-None column starts with one.
    if first is None and values.count(None) == count:
        return np.full(count, np.nan)
    if f.dtype != "Int64" and type(first) is int:
        whole = np.array(values)  # int64 exactly when every value is a Python int
        if whole.dtype.kind == "i":
            return whole.astype(np.int64, copy=False)
    return np.fromiter(values, np.float64, count)


ENUM_COLUMNS = {"status": JobState, "outcome": Outcome, "cause": WaitCause}
"""Text columns whose values are members of an enum (the same in every record kind)."""
_PLAIN: dict[object, str] = {m: m.value for e in ENUM_COLUMNS.values() for m in e}


def _fields(spec: str) -> tuple[Field, ...]:
    """Parse "name:dtype name:dtype …" into fields."""
    return tuple(Field(*item.split(":")) for item in spec.split())


JOB = RecordSpec("job", _fields("""
    jobId:str jobName:str workload:str jobDefinition:str status:str statusReason:str
    attempts:Int64 exitCode:Int64 createdAt:float64 pendingAt:float64 runnableAt:float64
    startingAt:float64 startedAt:float64 stoppedAt:float64 jobQueue:str computeEnvironment:str
    instanceType:str vcpus:Int64 memory:float64 gpus:Int64 arrayParent:str arrayIndex:Int64
    arraySize:Int64 numNodes:Int64
"""))  # fmt: skip
"""One row per job (array parents included, flagged by ``arraySize``); jobs.csv."""

ATTEMPT = RecordSpec("attempt", _fields("""
    jobIndex:int64 attempt:Int64 computeEnvironment:str instanceId:str instanceType:str
    vcpus:Int64 memory:float64 gpus:Int64 runnableAt:float64 startingAt:float64
    startedAt:float64 stoppedAt:float64 outcome:str exitCode:Int64 statusReason:str reason:str
    wastedVcpuHours:float64
"""))  # fmt: skip
"""One record per job attempt. ``jobIndex`` is the job's position in the job records (the hot
loop never formats a job id); the attempts table replaces it with ``jobId``."""

INSTANCE = RecordSpec("instance", _fields("""
    instanceId:str computeEnvironment:str instanceType:str lifecycle:str vcpus:int64
    memory:int64 gpus:int64 pricePerHour:float64 launchedAt:float64 readyAt:float64
    terminatedAt:float64 endReason:str busyVcpuSeconds:float64 interruptionNoticeAt:float64
    costUsd:float64
"""))  # fmt: skip
"""One record per instance lifetime (a Fargate task is one too), with its bill."""

CAPACITY = RecordSpec("capacity", _fields("""
    time:float64 computeEnvironment:str desiredvCpus:int64 readyvCpus:int64
"""))  # fmt: skip
"""One record per change of a compute environment's desired or ready vCPUs."""

BLOCKED = RecordSpec(
    "blocked", _fields("time:float64 jobIndex:int64 jobQueue:str statusReason:str")
)
"""One record per newly blocked head job (AWS's ``Batch Job Queue Blocked`` event)."""

WAIT = RecordSpec("wait", _fields("time:float64 jobQueue:str line:str cause:str detail:str"))
"""One record per change of the cause a line of RUNNABLE jobs waits for (waits.csv): the line
is named by :func:`line_key`; written only when the cause changes, never once per pass."""


def line_key(
    vcpus: float, memory: float, gpus: float, nodes: float | None, share: str | None, priority: int
) -> str:
    """Return the name of a queue's line of RUNNABLE jobs in wait records: the jobs' vCPUs,
    memory (MiB), GPUs and nodes (0: single-node), and on fair-share queues their share
    identifier and scheduling priority, e.g. ``"4/8192/0/0"`` or ``"4/8192/0/0/blue/10"``.
    ``explain`` builds the same name from a row of jobs.csv."""
    if nodes is None or nodes != nodes:  # NOTE: NaN is jobs.csv's numNodes of a plain job
        nodes = 0
    key = "/".join(f"{float(v):g}" for v in (vcpus, memory, gpus, nodes))
    return key if share is None else f"{key}/{share}/{priority}"


CONSUMABLE = RecordSpec("consumable", _fields("""
    time:float64 consumableResource:str inUseQuantity:int64 availableQuantity:int64
    totalQuantity:int64
"""))  # fmt: skip
"""One record per change of a consumable resource's quantities (and one per resource at t=0),
named as AWS's DescribeConsumableResource names them; consumables.csv."""

ATTEMPT_TABLE = (
    (Field("jobId", "str"),)
    + tuple(f for f in ATTEMPT.fields if f.name != "jobIndex")
    + (Field("queueWaitSeconds", "float64"),)
)
"""The columns of the attempts table: ``jobId`` for ``jobIndex``, plus the queue wait."""

INSTANCE_TABLE = INSTANCE.fields[:-1] + (Field("runSeconds", "float64"), INSTANCE.fields[-1])
"""The columns of the instances table: the record plus ``runSeconds`` (``costUsd`` stays last)."""

BLOCKED_TABLE = (BLOCKED.fields[0], Field("jobId", "str")) + BLOCKED.fields[2:]
"""The columns of the blocked table: ``jobId`` for ``jobIndex``."""

TIMELINE_TABLE = _fields("""
    time:float64 RUNNABLE:float64 STARTING:float64 RUNNING:float64 vcpusDesired:float64
    vcpusReady:float64 vcpusInUse:float64
""")  # fmt: skip
"""The columns of the timeline table: levels over time (a step function)."""


@dataclass
class EngineRun:
    """The records of a finished run, as columns (see the specs above), and what results need
    besides: the seed, the end time, the wall time and each compute environment's limits."""

    seed: int
    end_at: float
    wall_time_s: float
    jobs: Columns
    attempts: Columns
    instances: Columns
    capacity: Columns
    compute_environments: dict[str, dict]
    blocked: Columns = field(default_factory=BLOCKED.empty)
    consumables: Columns = field(default_factory=CONSUMABLE.empty)
    traces: dict[str, dict[str, int]] = field(default_factory=dict)  # trace entry → counts
    waits: Columns = field(default_factory=WAIT.empty)

    @property
    def job_count(self) -> int:
        """The number of job records (array parents included)."""
        return len(self.jobs["jobId"])

"""Why a job waited in RUNNABLE: the engine's recorded causes (waits.csv) cut to one wait, in
plain words with AWS's terms in quotes. Nothing here is inferred: each segment is a record."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from batchsim.records import WaitCause, line_key

W = WaitCause

WORDS = {
    W.SCALING_OUT: 'the compute environment is scaling out for it ("desiredvCpus" raised)',
    W.MAX_VCPUS: '"maxvCpus" reached: no more instances are launched; it waits for room on '
    "those there are (booting or busy)",
    W.PRIORITY: 'a higher-"priority" job queue sharing the compute environment asks first',
    W.HEAD_BLOCKED: "the queue is strict FIFO and the job at its head cannot start yet",
    W.FAIR_SHARE: 'the fair-share policy holds it back ("computeReservation")',
    W.CONSUMABLE: "a consumable resource it needs is not available",
    W.CAPACITY: "EC2 has no capacity of the instance type (a capacity shortage)",
    W.MISCONFIGURATION: "it can never be placed on the queue's compute environments",
    W.CE_DISABLED: "the compute environment that could run it is DISABLED",
}
"""What each cause means, for a learner."""

SCHEDULER = "scheduler"
"""The cause of a wait no record covers yet: the scheduler had not looked at the job (a
``schedulerInterval`` > 0 waits for the next cycle)."""


@dataclass(frozen=True)
class Segment:
    """One part of a wait: from ``start_at`` for ``length_s`` seconds, for ``cause`` (a
    :class:`WaitCause` value, or :data:`SCHEDULER`); ``detail`` is the facts of the record
    made at ``recorded_at`` (before ``start_at`` when the cause began before the wait)."""

    start_at: float
    length_s: float
    cause: str
    detail: str
    recorded_at: float


def job_line(job: pd.Series, share: str | None, priority: int) -> str:
    """Return the name of the line ``job`` waited in (:func:`batchsim.records.line_key`)."""
    nodes = job["numNodes"]
    return line_key(
        job["vcpus"], job["memory"], job["gpus"], None if pd.isna(nodes) else nodes,
        share, priority,
    )  # fmt: skip


def segments(
    waits: pd.DataFrame, queue: str, line: str, start_at: float, end_at: float
) -> list[Segment]:
    """Return the causes recorded for ``line`` of ``queue`` over the wait ``start_at`` →
    ``end_at``, in order, consecutive equal causes merged; a zero-length wait has none."""
    if end_at <= start_at:
        return []
    mine = waits[(waits["jobQueue"] == queue) & (waits["line"] == line)]
    if mine.empty:  # NOTE: a line named with another job's share identifier (FIFO queues)
        shape = "/".join(line.split("/")[:4])
        mine = waits[(waits["jobQueue"] == queue) & waits["line"].str.startswith(shape + "/")]
    times = mine["time"].to_numpy(float)
    before = mine[times <= start_at].tail(1)
    inside = mine[(times > start_at) & (times < end_at)]
    points = [(float(row["time"]), *_cause(row)) for _, row in before.iterrows()]
    if not points or points[0][1] == W.NONE.value:
        points = [(start_at, SCHEDULER, "")]
    points += [(float(row["time"]), *_cause(row)) for _, row in inside.iterrows()]
    return _merged(points, start_at, end_at)


def _cause(row: pd.Series) -> tuple[str, str]:
    detail = row["detail"]
    return str(row["cause"]), "" if pd.isna(detail) else str(detail)


def _merged(points: list[tuple[float, str, str]], start_at: float, end_at: float) -> list[Segment]:
    """Turn change points (the first may precede ``start_at``) into segments of the wait,
    each ending at the next change (or ``end_at``)."""
    kept: list[tuple[float, str, str]] = []
    for point in points:
        cause = SCHEDULER if point[1] == W.NONE.value else point[1]
        if not kept or kept[-1][1] != cause:
            kept.append((point[0], cause, point[2]))
    starts = [max(p[0], start_at) for p in kept]
    ends = starts[1:] + [end_at]
    return [
        Segment(start, end - start, cause, detail, at)
        for start, end, (at, cause, detail) in zip(starts, ends, kept, strict=True)
    ]


def words(cause: str) -> str:
    """Return what ``cause`` means in plain words."""
    if cause == SCHEDULER:
        return 'waiting for the scheduler\'s next cycle ("schedulerInterval")'
    return WORDS[WaitCause(cause)]

"""Run a sweep: every point × replication, through an executor, keeping resumed rows.

Runs are numbered point-major (run ``k`` is point ``k // R``, replication ``k % R``) and their
rows are kept in that order, whatever order the executor finishes them in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from batchsim.sweeps.runner import (
    OK,
    Executor,
    InProcess,
    Outcome,
    RunProgress,
    SweepProgress,
    Task,
    run_task,
    warm_up,
)
from batchsim.sweeps.spec import Point, SweepSpec, assignments
from batchsim.sweeps.table import point_row, run_row
from batchsim.sweeps.values import value_text

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its spec, points, one row per run (point-major) and how many ran now
    (the others came from a resumed ``runs.csv``)."""

    spec: SweepSpec
    points: list[Point]
    rows: list[dict]
    ran: int

    @property
    def failed(self) -> int:
        """How many runs ended with an error."""
        return sum(row["status"] != OK for row in self.rows)

    def point_rows(self) -> list[dict]:
        """Return the rows of ``points.csv``: one per point, from its replications."""
        return list(self._point_rows)

    @cached_property
    def _point_rows(self) -> list[dict]:
        # NOTE: computed once: points.csv, the terminal table and report.html all show them
        size = self.spec.replications
        return [
            point_row(self.spec, index, point, self.rows[index * size : (index + 1) * size])
            for index, point in enumerate(self.points)
        ]

    def runs_frame(self) -> pd.DataFrame:
        """Return the runs as a DataFrame with the columns of ``runs.csv``."""
        import pandas as pd

        from batchsim.sweeps.table import run_columns

        return pd.DataFrame(self.rows, columns=run_columns(self.spec))


def _tasks(spec: SweepSpec, points: Sequence[Point]) -> list[Task]:
    return [
        Task(spec.scenario_text, spec.source, (*spec.overrides, *assignments(point)), seed)
        for point in points
        for seed in spec.seeds
    ]


def _matches(row: dict, point: Point, seed: int) -> bool:
    same_values = all(row.get(path) == value_text(value) for path, value in point)
    return row["status"] == OK and row["seed"] == seed and same_values


def reusable(spec: SweepSpec, points: Sequence[Point], previous: Sequence[dict]) -> dict[int, dict]:
    """Return the finished rows of ``previous`` (a resumed runs.csv) by run number."""
    size, kept = spec.replications, {}
    for row in previous:
        point, replication = row["point"], row["replication"]
        if not (isinstance(point, int) and isinstance(replication, int)):
            continue
        inside = 0 <= point < len(points) and 0 <= replication < size
        if inside and _matches(row, points[point], spec.seeds[replication]):
            kept[point * size + replication] = row
    return kept


def run_tasks(
    tasks: Sequence[Task],
    executor: Executor,
    row_of: Callable[[int, Outcome], dict],
    finished: dict[int, dict],
    progress: RunProgress | None = None,
    warm: Sequence[str] = (),
) -> int:
    """Run every task whose number is not in ``finished`` and file ``row_of(number, outcome)``
    there as each run ends; return how many ran.

    The one run loop of sweep, plan and compare: ``finished`` is filled as runs end, so a
    caller interrupted midway still holds every finished row, and a run that raised is a row
    too (its outcome's status is "error"), so one failure never ends the others. The modules
    ``warm`` names (what the caller needs once the runs are done) are imported while other
    processes run the tasks (:func:`~batchsim.sweeps.runner.warm_up`).
    """
    todo = [k for k in range(len(tasks)) if k not in finished]
    failed, warming = 0, None
    try:
        for done, (position, outcome) in enumerate(
            executor.map_unordered(run_task, [tasks[k] for k in todo]), start=1
        ):
            finished[todo[position]] = row_of(todo[position], outcome)
            failed += outcome.status != OK
            if progress is not None:
                progress.update(done, failed)
            if warming is None and warm and not isinstance(executor, InProcess):
                warming = warm_up(warm)  # NOTE: a result is back, so the workers are forked
    finally:
        if warming is not None:
            warming.join()
    return len(todo)


def execute(
    spec: SweepSpec,
    executor: Executor,
    progress: SweepProgress | None = None,
    finished: dict[int, dict] | None = None,
    warm: Sequence[str] = (),
) -> SweepResult:
    """Run every run of ``spec`` not already in ``finished`` (run number → row).

    ``finished`` is filled as runs end, so a caller interrupted midway still holds every
    finished row. Failed runs are rows with status "error"; the sweep goes on. ``warm`` is
    passed to :func:`run_tasks`.
    """
    points = spec.points()
    finished = {} if finished is None else finished
    tasks, size = _tasks(spec, points), spec.replications

    def row_of(k: int, outcome: Outcome) -> dict:
        return run_row(k // size, points[k // size], k % size, tasks[k].seed, outcome)

    ran = run_tasks(tasks, executor, row_of, finished, progress, warm)
    rows = [finished[k] for k in range(len(tasks))]
    return SweepResult(spec, points, rows, ran=ran)

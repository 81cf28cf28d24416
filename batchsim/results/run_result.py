"""RunResult: what one simulation returns — the resolved scenario, DataFrames and the summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from batchsim.records import EngineRun
from batchsim.results import metrics, tables
from batchsim.scenario.schema import Scenario

if TYPE_CHECKING:
    from collections.abc import Sequence

    from batchsim.results.progress import Progress


@dataclass
class RunResult:
    """The outcome of :func:`batchsim.simulate`.

    ``jobs``, ``attempts``, ``instances``, ``capacity`` and ``timeline`` are DataFrames (times in
    seconds from t=0); ``summary`` holds the metrics written to ``summary.json``; ``blocked``
    lists the blocked head jobs AWS would report in ``Batch Job Queue Blocked`` events;
    ``consumables`` the quantities of the consumable resources over time (no rows when the
    scenario has none); ``waits`` each change of why a line of RUNNABLE jobs waits, as the
    scheduler found it (what :meth:`explain` tells).
    """

    scenario: Scenario
    seed: int
    version: str
    wall_time_s: float
    jobs: pd.DataFrame
    attempts: pd.DataFrame
    instances: pd.DataFrame
    capacity: pd.DataFrame
    timeline: pd.DataFrame
    summary: dict = field(default_factory=dict)
    blocked: pd.DataFrame = field(default_factory=pd.DataFrame)
    consumables: pd.DataFrame = field(default_factory=pd.DataFrame)
    waits: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def from_engine(cls, scenario: Scenario, run: EngineRun, version: str) -> RunResult:
        """Build the summary and the DataFrames from an engine run's records.

        The run's job and attempt columns are handed over (emptied) as their frames are built,
        so each is held once, either in the run or in its DataFrame.
        """
        summary = metrics.summarize(run, scenario.name, bool(scenario.consumableResources))
        jobs = tables.jobs_frame(run)
        blocked = tables.blocked_frame(run, jobs)
        attempts = tables.attempts_frame(run, jobs)
        instances = tables.instances_frame(run)
        capacity = tables.capacity_frame(run)
        consumables = tables.consumables_frame(run)
        return cls(
            scenario=scenario,
            seed=run.seed,
            version=version,
            wall_time_s=run.wall_time_s,
            jobs=jobs,
            attempts=attempts,
            instances=instances,
            capacity=capacity,
            timeline=tables.timeline_frame(jobs, attempts, capacity),
            summary=summary,
            blocked=blocked,
            consumables=consumables,
            waits=tables.waits_frame(run),
        )

    def explain(self, job: str):
        """Return the story of ``job`` (a jobId, or the first job with that jobName): each
        state with its start, length and cause (:class:`batchsim.explain.Story`; print it with
        :func:`batchsim.explain.story_text`). Raises UnknownJobError naming close jobs."""
        from batchsim.explain import explain

        return explain(self, job)

    def write(
        self,
        directory: str | Path,
        events: bool | None = None,
        replace: bool = False,
        progress: Progress | None = None,
        aws_json: bool | None = None,
        start_time: datetime | None = None,
        findings: Sequence[object] | None = None,
        workers: int | None = None,
    ) -> list[Path]:
        """Write every output file into ``directory`` (created if needed); return their paths.

        ``events``: True or False writes or leaves out ``events.jsonl``; None (the default)
        writes it unless the run is too big (see ``writer.events_by_default``). The folder is
        replaced whole; one holding anything but batchsim results raises OutputFolderError
        unless ``replace``. ``progress`` shows which file is being written. ``aws_json``
        writes or leaves out ``jobs.json`` (DescribeJobs shape) likewise, None by run size;
        its epoch milliseconds count from ``start_time`` (default 2026-01-01T00:00Z).
        ``findings`` (``batchsim.doctor.diagnose``'s, say) become report.html's "Doctor's
        findings"; None leaves that section out. ``workers`` processes write files side by
        side (``batchsim.results.forked``); None uses the cores available where forking is safe.
        """
        from batchsim.results.writer import write_outputs

        return write_outputs(
            self, Path(directory), events=events, replace=replace, progress=progress,
            aws_json=aws_json, start_time=start_time, findings=findings, workers=workers,
        )  # fmt: skip

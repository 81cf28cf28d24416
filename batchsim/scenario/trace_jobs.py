"""What the rows of a trace become: the jobs a ``trace:`` workload entry submits.

:func:`trace_jobs` applies the entry's options to a :class:`~batchsim.scenario.traces.TraceTable`
column-wise: the time window, the skips (no run time, no processors), the job limit, vCPUs per
processor, the memory chosen, the time and runtime scales and the queue mapping. The result,
:class:`TraceJobs`, is a handful of arrays in submission order plus the counts a report shows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from batchsim.scenario.trace_links import LinkedJobs, depends_on, link_rows
from batchsim.scenario.traces import FAILED, TraceError, TraceTable, read_trace
from batchsim.scenario.units import MAX_DURATION_S

if TYPE_CHECKING:
    from batchsim.scenario.schema import Scenario, TraceSource, WorkloadEntry


@dataclass(frozen=True, eq=False)
class TraceJobs:
    """The jobs of one trace entry, in submission order.

    ``submit_at`` is simulated seconds from the first kept submission; ``work_s`` seconds;
    ``vcpus`` whole vCPUs; ``memory_mib`` NaN where the job definition's memory applies;
    ``exit_code`` non-zero for a job the trace says failed; ``queue`` the job queue of each
    job (the entry's, or the mapped one). ``counts`` says how many rows were read and why
    rows were left out. ``linked`` holds a DescribeJobs trace's arrays (children's work
    scaled, in seconds) and dependencies by position (None when it has neither).
    """

    submit_at: np.ndarray
    work_s: np.ndarray
    vcpus: np.ndarray
    memory_mib: np.ndarray
    exit_code: np.ndarray
    queue: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    linked: LinkedJobs | None = None

    def __len__(self) -> int:
        return len(self.submit_at)

    def jobs_created(self) -> int:
        """The jobs the entry creates: one per submission, plus its arrays' children."""
        linked = self.linked
        children = sum(len(c.run_time) for c in linked.children.values()) if linked else 0
        return len(self) + children


def trace_path(source: TraceSource, base_dir: Path | None) -> Path:
    """The trace file: ``source.path`` as given if absolute, else relative to ``base_dir``
    (the scenario file's folder; the working directory when None)."""
    path = Path(source.path)
    return path if path.is_absolute() or base_dir is None else base_dir / path


def trace_jobs(
    source: TraceSource, table: TraceTable, queue: str, path: Path | None = None
) -> TraceJobs:
    """Apply ``source``'s options to ``table``; ``queue`` is where unmapped jobs go. Raises
    :class:`TraceError` naming ``path`` (default: ``source.path``) and the line of the first
    job whose scaled submission offset or run time is not finite or over MAX_DURATION_S."""
    order = np.argsort(table.submit, kind="stable")
    processors = _processors(source, table)[order]
    submit, run_time = table.submit[order], table.run_time[order]
    window = np.ones(len(order), dtype=bool)
    if source.start is not None:
        window &= submit >= source.start + table.origin
    if source.end is not None:
        window &= submit < source.end + table.origin
    no_runtime = window & np.isnan(run_time)
    no_processors = window & ~no_runtime & ~(processors >= 1)
    keep = np.flatnonzero(window & ~no_runtime & ~no_processors)
    limited = keep[: source.maxJobs] if source.maxJobs is not None else keep
    counts = {
        "rows": len(table),
        "outside_window": int((~window).sum()),
        "no_run_time": int(no_runtime.sum()),
        "no_processors": int(no_processors.sum()),
        "over_job_limit": len(keep) - len(limited),
        "array_parents": table.array_parents,
    }
    rows = order[limited]
    start_at = submit[limited[0]] if len(limited) else 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        submit_at = (submit[limited] - start_at) * source.timeScale
        work_s = run_time[limited] * source.runtimeScale
    where = path if path is not None else Path(source.path)
    _bounded(where, table.lines[rows], submit_at, "submission offset after timeScale")
    _bounded(where, table.lines[rows], work_s, "run time after runtimeScale")
    linked = None
    if table.links is not None:
        linked = _scaled(link_rows(table.links, rows), source.runtimeScale)
        for position, children in linked.children.items():
            lines = np.full(len(children.run_time), table.lines[rows[position]])
            _bounded(where, lines, children.run_time, "array child's run time after runtimeScale")
    if table.record_counts is not None:  # NOTE: DescribeJobs: the same keys, links or not
        zeros = {"arrays": 0, "dependencies_outside": 0, "children_without_run_time": 0}
        counts.update(table.record_counts, **zeros)
        counts.update(linked.counts if linked is not None else {})
    return TraceJobs(
        submit_at=submit_at,
        work_s=work_s,
        vcpus=np.ceil(processors[limited] * source.vcpusPerProcessor - 1e-9),
        memory_mib=_memory(source, table, rows, processors[limited]),
        exit_code=np.where(table.status[rows] == FAILED, np.maximum(table.exit_code[rows], 1), 0),
        queue=_queues(source, table, rows, queue),
        counts=counts,
        metadata=dict(table.metadata),
        linked=linked,
    )


def _scaled(linked: LinkedJobs, runtime_scale: float) -> LinkedJobs:
    """``linked`` with its children's run times × ``runtime_scale`` (a child with none: no
    work, counted as ``children_without_run_time``)."""
    missing = sum(int(np.isnan(c.run_time).sum()) for c in linked.children.values())
    with np.errstate(over="ignore", invalid="ignore"):
        children = {
            p: replace(c, run_time=np.nan_to_num(c.run_time, nan=0.0) * runtime_scale)
            for p, c in linked.children.items()
        }
    counts = dict(linked.counts, children_without_run_time=missing)
    return replace(linked, children=children, counts=counts)


def _bounded(path: Path, lines: np.ndarray, seconds: np.ndarray, what: str) -> None:
    """Raise TraceError at the first of ``seconds`` that is not finite or over MAX_DURATION_S
    (a longer time overflows the clock's sums, or never ends)."""
    bad = ~(np.abs(seconds) <= MAX_DURATION_S)  # NOTE: NaN and inf fail the comparison
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        message = (
            f"the {what} is {seconds[row]:g} s: not finite or longer than "
            f"{MAX_DURATION_S:.0e} s (about 317 years)"
        )
        raise TraceError(path, int(lines[row]), message)


def _processors(source: TraceSource, table: TraceTable) -> np.ndarray:
    """Allocated processors, else requested (or the other way round), NaN if neither."""
    first, second = (
        (table.allocated, table.requested)
        if source.processors == "allocated"
        else (table.requested, table.allocated)
    )
    return np.where(np.isnan(first), second, first)


def _memory(
    source: TraceSource, table: TraceTable, rows: np.ndarray, processors: np.ndarray
) -> np.ndarray:
    """MiB per job from the chosen column (NaN: the definition's memory)."""
    if source.memory == "definition":
        return np.full(len(rows), np.nan)
    column = table.used_memory if source.memory == "used" else table.requested_memory
    per_processor = (
        table.memory_per_processor if source.memoryPer is None else source.memoryPer == "processor"
    )
    values = column[rows] * (processors if per_processor else 1.0)
    return np.ceil(values - 1e-9)


def _queues(source: TraceSource, table: TraceTable, rows: np.ndarray, queue: str) -> np.ndarray:
    """Each job's queue: the mapping of its trace field's value, else ``queue``."""
    if source.queues is None:
        return np.full(len(rows), queue, dtype=object)
    values = table.groups.get(source.queues.by)
    if values is None:
        return np.full(len(rows), queue, dtype=object)
    mapped = np.full(len(rows), queue, dtype=object)
    chosen = values[rows].astype(str)  # NOTE: SWF's numbers as text only here, for the keys
    for value, name in source.queues.map.items():
        mapped[chosen == str(value)] = name
    return mapped


def load_trace_jobs(source: TraceSource, base_dir: Path | None, queue: str) -> TraceJobs:
    """Read the trace of ``source`` and return its jobs; raises
    :class:`~batchsim.scenario.traces.TraceError` for a missing file or bad content."""
    path = trace_path(source, base_dir)
    table = read_trace(path, source.format)
    if np.isnan(table.submit).any():
        line = int(table.lines[np.flatnonzero(np.isnan(table.submit))[0]])
        raise TraceError(path, line, "no submission time")
    return trace_jobs(source, table, queue, path)


def entry_trace_jobs(scenario: Scenario, entry: WorkloadEntry) -> TraceJobs:
    """The jobs trace ``entry`` of ``scenario`` submits (its path from the scenario's folder,
    unmapped jobs to its SubmitJob's queue); see :func:`load_trace_jobs`."""
    assert entry.trace is not None  # NOTE: callers ask for trace entries only
    base = Path(scenario.base_dir) if scenario.base_dir is not None else None
    return load_trace_jobs(entry.trace, base, entry.submit.jobQueue)


def trace_depends_on(
    scenario: Scenario, entry: WorkloadEntry, submitted: set[str]
) -> dict[int, list[tuple[str | None, str | None]]]:
    """The ``dependsOn`` (jobId, type) pairs the replay of trace ``entry`` gave its jobs, by job
    number (the ``N`` of job id ``<entry>-N``), naming only jobs in ``submitted`` (a run's
    top-level job ids: a job skipped as unplaceable was never submitted)."""
    linked = entry_trace_jobs(scenario, entry).linked
    if linked is None:
        return {}
    return {
        p + 1: [
            (job_id, kind)
            for job_id, kind in depends_on(entry.name, linked, p)
            if job_id is None or job_id.split(":")[0] in submitted
        ]
        for p in linked.links
    }


def trace_failed(scenario: Scenario, entry: WorkloadEntry, number: int, index: int | None) -> bool:
    """Whether trace ``entry``'s job number ``number`` (its array child ``index``, if given)
    is one the trace records as failed, which the replay ends as it ended."""
    jobs = entry_trace_jobs(scenario, entry)
    position = number - 1
    children = jobs.linked.children.get(position) if jobs.linked is not None else None
    if children is not None and index is not None:
        return bool(children.exit_code[index])
    return bool(jobs.exit_code[position])


def trace_sums(scenario: Scenario) -> str:
    """Return one ``SHA256  PATH`` line (as ``sha256sum`` writes) for the bytes of every trace
    file ``scenario`` reads, in workload order ("" when it reads none); a file that cannot be
    read gives ``unreadable``. A changed trace changes the text: ``--resume`` keys on it."""
    base = Path(scenario.base_dir) if scenario.base_dir is not None else None
    lines = []
    for entry in scenario.workload:
        if entry.trace is not None:
            path = trace_path(entry.trace, base).resolve()
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                digest = "unreadable"
            lines.append(f"{digest}  {path}\n")
    return "".join(lines)

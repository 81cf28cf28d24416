"""Flat records appended during a run; they become DataFrames once, after it (in results/).

One record type per grain (their columns are named once, in :mod:`batchsim.records`). The hot
loop appends plain tuples; each kind is sealed into columns every :data:`CHUNK_ROWS` records,
so a million-attempt run never holds a million tuples, and ended jobs are sealed too. An
attempt names its job by ``jobIndex``, the job's position in the run's job list, so the hot
loop never formats a job id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from batchsim.engine import job_columns
from batchsim.engine.job_columns import in_creation_order, sealed_in_blocks
from batchsim.records import (
    ATTEMPT,
    BLOCKED,
    CAPACITY,
    CONSUMABLE,
    INSTANCE,
    TERMINAL_STATES,
    WAIT,
    Columns,
    Outcome,
    RecordSpec,
)

if TYPE_CHECKING:
    from batchsim.engine.job import Job

__all__ = ["Outcome", "Recorder"]

CHUNK_ROWS = 65_536
"""Record tuples kept before they are sealed into columns (bounds their memory: ~20 MiB)."""


class RecordBuffer:
    """The records of one kind (``spec``): tuples appended to an open chunk (``rows``), sealed
    into columns every :data:`CHUNK_ROWS`, so a long run never holds a tuple per record.

    The attempt runner appends to ``rows`` itself and calls :meth:`seal` when the chunk is
    full (one method call less per attempt on the hot path); the rest use :meth:`append`.
    """

    __slots__ = ("spec", "rows", "_chunks")

    def __init__(self, spec: RecordSpec):
        self.spec = spec
        self.rows: list[tuple] = []
        self._chunks: list[Columns] = []

    def append(self, row: tuple) -> None:
        """Add one record (a tuple in ``spec``'s column order)."""
        rows = self.rows
        rows.append(row)
        if len(rows) >= CHUNK_ROWS:
            self.seal()

    def seal(self) -> None:
        """Turn the open chunk into columns and empty it (in place: callers may hold it)."""
        if self.rows:
            self._chunks.append(self.spec.columns(self.rows))
            self.rows.clear()

    def __len__(self) -> int:
        """How many records so far, sealed or not; safe to call from another thread."""
        first = self.spec.fields[0].name
        return sum(len(chunk[first]) for chunk in list(self._chunks)) + len(self.rows)

    def columns(self) -> Columns:
        """Return every record as columns, releasing the chunks."""
        self.seal()
        chunks, self._chunks = self._chunks, []
        if not chunks:
            return self.spec.empty()
        return {name: np.concatenate([c.pop(name) for c in chunks]) for name in self.spec.names}


class Recorder:
    """The run's records: a :class:`RecordBuffer` per kind (attempts, instances, capacity,
    blocked heads, consumables, waits), each sealed into columns every :data:`CHUNK_ROWS` rows, and
    the Jobs still under way (``jobs``), those that have ended sealed into columns whenever
    the list has doubled."""

    __slots__ = (
        "attempts", "instances", "capacity", "jobs", "blocked", "consumables", "waits",
        "jobs_created", "_job_blocks", "_compact_at",
    )  # fmt: skip

    def __init__(self) -> None:
        self.attempts = RecordBuffer(ATTEMPT)
        self.instances = RecordBuffer(INSTANCE)
        self.capacity = RecordBuffer(CAPACITY)
        self.blocked = RecordBuffer(BLOCKED)  # blocked head jobs
        self.consumables = RecordBuffer(CONSUMABLE)  # changes of consumable resources' quantities
        self.waits = RecordBuffer(WAIT)  # changes of why a line of RUNNABLE jobs waits
        self.jobs: list[Job] = []  # the Jobs not yet sealed, in creation order
        self.jobs_created = 0
        self._job_blocks: list[tuple[np.ndarray, Columns]] = []  # sealed: (index, columns)
        self._compact_at = job_columns.JOBS_PER_BLOCK

    def add_job(self, job: Job) -> None:
        """Record a new ``job``: give it the next ``index`` (its row among all the run's jobs)."""
        job.index = self.jobs_created
        self.jobs_created += 1
        jobs = self.jobs
        jobs.append(job)
        if len(jobs) >= self._compact_at:
            self._seal_ended_jobs()

    def _seal_ended_jobs(self) -> None:
        """Turn the jobs that have ended into columns and drop them from ``jobs``.

        NOTE: an ended job never changes again, and once sealed nothing holds it: a run
        keeps Job objects only for the jobs still under way (plus those ended since the last
        sweep). The next sweep comes when the list has doubled, so a backlog whose jobs are
        all still waiting costs O(1) per job.
        """
        live: list[Job] = []
        ended: list[Job] = []
        for job in self.jobs:
            (ended if job.state in TERMINAL_STATES else live).append(job)
        self.jobs[:] = live
        if ended:
            self._job_blocks.extend(sealed_in_blocks(ended))
        self._compact_at = max(2 * len(live), len(live) + job_columns.JOBS_PER_BLOCK)

    def job_columns(self) -> Columns:
        """Return every job record as columns, in creation order, releasing the Jobs."""
        blocks, self._job_blocks = self._job_blocks, []
        blocks.extend(sealed_in_blocks(self.jobs))
        self.jobs = []
        return in_creation_order(blocks)

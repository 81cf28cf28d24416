"""Flat records appended during a run; they become DataFrames once, after it (in results/).

One record type per grain (their columns are named once, in :mod:`batchsim.records`). The hot
loop appends plain tuples; attempts are sealed into columns every :data:`CHUNK_ROWS` records,
so a million-attempt run never holds a million tuples. An attempt names its job by
``jobIndex``, the job's position in the run's job list, so the hot loop never formats a job id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from batchsim.records import (
    ATTEMPT,
    BLOCKED,
    CAPACITY,
    INSTANCE,
    AttemptRow,
    BlockedRow,
    Columns,
    Outcome,
)

if TYPE_CHECKING:
    from batchsim.engine.job import Job

__all__ = ["Outcome", "Recorder"]

CHUNK_ROWS = 65_536
"""Attempt tuples kept before they are sealed into columns (bounds their memory: ~20 MiB)."""


class Recorder:
    """Append-only buffers of the run's records."""

    __slots__ = (
        "attempts", "instances", "capacity", "jobs", "blocked", "consumables", "_attempt_chunks",
    )  # fmt: skip

    def __init__(self) -> None:
        self.attempts: list[AttemptRow] = []  # the open chunk of attempt records
        self.instances: list[tuple] = []
        self.capacity: list[tuple] = []
        self.jobs: list[Job] = []  # every Job, in creation order; read only after the run
        self.blocked: list[BlockedRow] = []  # blocked head jobs
        self.consumables: list[tuple] = []  # changes of consumable resources' quantities
        self._attempt_chunks: list[Columns] = []

    def seal_attempts(self) -> None:
        """Turn the open chunk of attempt tuples into columns and empty it (in place: the
        lifecycle holds the same list)."""
        if self.attempts:
            self._attempt_chunks.append(ATTEMPT.columns(self.attempts))
            self.attempts.clear()

    def attempts_recorded(self) -> int:
        """Return how many attempt records there are so far (sealed chunks and the open one);
        safe to call from another thread while the run goes on."""
        sealed = sum(len(chunk["attempt"]) for chunk in list(self._attempt_chunks))
        return sealed + len(self.attempts)

    def attempt_columns(self) -> Columns:
        """Return every attempt record as columns, releasing the chunks."""
        self.seal_attempts()
        chunks, self._attempt_chunks = self._attempt_chunks, []
        if not chunks:
            return ATTEMPT.empty()
        columns = {}
        for name in ATTEMPT.names:
            columns[name] = np.concatenate([chunk.pop(name) for chunk in chunks])
        return columns

    def other_columns(self) -> tuple[Columns, Columns, Columns]:
        """Return the instance, capacity and blocked records as columns."""
        return (
            INSTANCE.columns(self.instances),
            CAPACITY.columns(self.capacity),
            BLOCKED.columns(self.blocked),
        )

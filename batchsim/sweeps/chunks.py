"""Runs sent to workers in chunks: one task of an executor runs several runs.

Every task an executor sends costs time outside the run: pickling it and its result, a
message each way, for Dask the scheduler's bookkeeping (milliseconds). A short run (the
quickstart's take ~12 ms) pays that again and again; a chunk of runs pays it once.
:class:`LocalPool` and the Dask executor both send chunks cut by :class:`Chunks`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
CHUNK_S = 0.25
"""How long one Dask task should take (seconds): runs are sent in chunks of about this length."""
POOL_CHUNK_S = 0.1
"""How long one task of the process pool should take (seconds); a pool's task costs well under
a millisecond, so its chunks can be shorter and the workers finish closer together."""


def run_chunk(function: Callable[[T], R], tasks: Sequence[T]) -> tuple[list[R], float]:
    """Run ``tasks`` one after the other on a worker; return the results and the time taken (s)."""
    started_at = time.perf_counter()
    results = [function(task) for task in tasks]
    return results, time.perf_counter() - started_at


class Chunks:
    """Cuts the tasks into chunks that take about ``seconds`` each (default ``CHUNK_S``),
    measured as runs finish.

    NOTE: the first chunks hold one task (nothing is measured yet) and no chunk holds more than
    a fair share of what is left (left / (2 × threads)), so the last chunks stay small and
    every worker finishes at about the same time.
    """

    def __init__(self, tasks: Sequence[Any], seconds: float = CHUNK_S):
        self.tasks, self.taken, self.seconds = tasks, 0, seconds
        self.runs, self.busy_s = 0, 0.0

    def take(self, threads: int) -> list[int]:
        """Return the indices of the next chunk for a cluster of ``threads`` (empty at the end)."""
        size = self.size(threads)
        chunk = list(range(self.taken, min(self.taken + size, len(self.tasks))))
        self.taken += len(chunk)
        return chunk

    def size(self, threads: int) -> int:
        """How many tasks the next chunk holds."""
        fair = max((len(self.tasks) - self.taken) // (2 * threads), 1)
        if self.runs == 0 or self.busy_s <= 0:
            return 1 if self.runs == 0 else fair
        return max(min(round(self.seconds * self.runs / self.busy_s), fair), 1)

    def record(self, runs: int, busy_s: float) -> None:
        """Count ``runs`` finished in ``busy_s`` seconds of a worker's time."""
        self.runs, self.busy_s = self.runs + runs, self.busy_s + busy_s

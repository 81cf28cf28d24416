"""Runs sent to workers in chunks: one task of an executor runs several runs.

Every task an executor sends costs time outside the run: pickling it and its result, a
message each way, for Dask the scheduler's bookkeeping (milliseconds). A short run (the
quickstart's take ~12 ms) pays that again and again; a chunk of runs pays it once.
:class:`LocalPool` and the Dask executor both send chunks cut by :class:`Chunks`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
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
    measured as runs finish, per group of like tasks (``group(task)``: a sweep's point).

    NOTE: a chunk never spans two groups, and a group's first chunk holds one task: a point's
    runs cost about the same (one configuration, other seeds), but two points can differ a
    thousandfold, so a size measured on one point never cuts the chunks of the next (a chunk
    of slow runs sized on fast ones would hold back progress and, interrupted, lose them all).
    A group's size follows its latest chunk's time per run, and no chunk holds more than a
    fair share of what is left (left / (2 × threads)), so the last chunks stay small and every
    worker finishes at about the same time.
    """

    def __init__(
        self,
        tasks: Sequence[Any],
        seconds: float = CHUNK_S,
        group: Callable[[Any], Hashable] | None = None,
    ):
        self.tasks, self.taken, self.seconds = tasks, 0, seconds
        self.groups = [group(task) for task in tasks] if group is not None else None
        self.per_run_s: dict[Hashable, float] = {}  # group → its latest seconds per run

    def _group(self, index: int) -> Hashable:
        return self.groups[index] if self.groups is not None else None

    def take(self, threads: int) -> list[int]:
        """Return the indices of the next chunk for a cluster of ``threads`` (empty at the end)."""
        end = min(self.taken + self.size(threads), len(self.tasks))
        first = self._group(self.taken) if self.taken < len(self.tasks) else None
        chunk = []
        for index in range(self.taken, end):
            if self._group(index) != first:
                break
            chunk.append(index)
        self.taken += len(chunk)
        return chunk

    def size(self, threads: int) -> int:
        """How many tasks the next chunk holds (before it is cut at its group's end)."""
        if self.taken >= len(self.tasks):
            return 0
        per_run_s = self.per_run_s.get(self._group(self.taken))
        if per_run_s is None:
            return 1  # nothing measured for this group yet
        fair = max((len(self.tasks) - self.taken) // (2 * threads), 1)
        if per_run_s <= 0:
            return fair
        return max(min(round(self.seconds / per_run_s), fair), 1)

    def record(self, indices: Sequence[int], busy_s: float) -> None:
        """Note that the chunk of ``indices`` took ``busy_s`` seconds of a worker's time."""
        if indices:
            self.per_run_s[self._group(indices[0])] = busy_s / len(indices)


def point_of(task: Any) -> Hashable:
    """The group of a sweep's task for :class:`Chunks`: its scenario and overrides (one point
    of a sweep, one scenario of a comparison); other tasks form one group."""
    return (getattr(task, "source", None), getattr(task, "overrides", None))

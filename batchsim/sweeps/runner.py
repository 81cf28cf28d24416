"""Running a sweep's runs: the task of one run, the executors, the progress line.

An executor takes a function and a list of tasks and yields ``(index, result)`` as each task
finishes, in any order; the sweep files its results by index, so the outputs never depend on
the executor or its worker count. :class:`InProcess` runs them one after the other;
:class:`LocalPool` in a ``concurrent.futures.ProcessPoolExecutor`` (the platform's default
start method, as ``batchsim compare``: fork on Linux), in chunks of runs
(:mod:`batchsim.sweeps.chunks`); the Dask executor (``dask_executor.py``) is one more class
with the same :meth:`~Executor.map_unordered`.

This module imports no scipy or pandas: worker processes load only what a run needs, and
:func:`warm_up` loads what the command needs afterwards while they run.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol, TextIO, TypeVar

from batchsim.errors import RunnersLost, ScenarioError
from batchsim.gc_pause import paused_gc
from batchsim.scenario.schema import Scenario
from batchsim.sweeps.chunks import POOL_CHUNK_S, Chunks, point_of, run_chunk

T = TypeVar("T")
R = TypeVar("R")
OK, ERROR = "ok", "error"
"""The ``status`` of a run: it ran to its end, or it raised (its ``error`` says what)."""


@dataclass(frozen=True)
class Task:
    """One run: the scenario text and every override (the sweep's, then the point's), a seed.

    ``scenario``, when given, is the validated scenario itself and the text is not read
    (``batchsim compare`` runs scenarios it has loaded, some of which no text would rebuild).
    """

    scenario_text: str
    source: str
    overrides: tuple[str, ...]
    seed: int
    scenario: Scenario | None = None


@dataclass(frozen=True)
class Outcome:
    """What one run gave: its status, error message ("" when ok) and summary (empty on error)."""

    status: str
    error: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=64)
def _scenario(text: str, source: str, overrides: tuple[str, ...]) -> Scenario:
    # NOTE: cached, so a worker validates each point once however many replications it runs.
    from batchsim.scenario.loader import parse_scenario

    return parse_scenario(text, source, overrides)


def one_line(error: BaseException) -> str:
    """Return ``error`` as one line: a ScenarioError's problems joined by "; "."""
    if isinstance(error, ScenarioError):
        return "; ".join(str(problem) for problem in error.problems)
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def run_task(task: Task) -> Outcome:
    """Run one task; any exception (not an interrupt) becomes an ``error`` outcome."""
    from batchsim.api import simulate_summary

    try:
        scenario = task.scenario or _scenario(task.scenario_text, task.source, task.overrides)
        return Outcome(OK, summary=simulate_summary(scenario, seed=task.seed))
    except Exception as error:  # NOTE: one failed run must not end the sweep
        return Outcome(ERROR, one_line(error))


# ----------------------------------------------------------------------------- executors
class Executor(Protocol):
    """Runs tasks and yields ``(index, result)`` as each finishes, in any order."""

    def map_unordered(
        self, function: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Yield ``(index of the task, function(task))`` for every task."""
        ...


class InProcess:
    """Runs every task in this process, in order (the executor of ``workers=1``)."""

    def map_unordered(
        self, function: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Yield ``(index, function(task))`` task by task."""
        for index, task in enumerate(tasks):
            yield index, function(task)


class LocalPool:
    """Runs tasks in ``workers`` processes, in chunks of about ``POOL_CHUNK_S`` of work
    (:class:`~batchsim.sweeps.chunks.Chunks`), keeping at most two chunks per worker queued.

    The bound keeps little work queued, so an interrupt has few runs to wait for and a resumed
    sweep loses at most those in flight.
    """

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError(f"workers must be a whole number ≥ 1, got {workers!r}")
        self.workers = workers

    def map_unordered(
        self, function: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Yield ``(index, function(task))`` as the processes finish them."""
        import batchsim.api  # noqa: F401  NOTE: loaded once here, so forked workers inherit it

        chunks = Chunks(tasks, POOL_CHUNK_S, group=point_of)
        with ProcessPoolExecutor(max_workers=min(self.workers, max(len(tasks), 1))) as pool:
            running: dict[Future, list[int]] = {}
            try:
                yield from self._drain(pool, function, chunks, running)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise

    def _drain(self, pool, function, chunks: Chunks, running) -> Iterator[tuple[int, Any]]:
        self._top_up(pool, function, chunks, running)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            finished: list[tuple[int, Any]] = []
            for future in sorted(done, key=lambda f: running[f][0]):
                results, busy_s = _chunk_result(future)
                indices = running.pop(future)
                chunks.record(indices, busy_s)
                finished += zip(indices, results, strict=True)
            self._top_up(pool, function, chunks, running)  # NOTE: before the caller's work
            yield from finished

    def _top_up(self, pool, function, chunks: Chunks, running) -> None:
        while len(running) < 2 * self.workers and (indices := chunks.take(self.workers)):
            batch = [chunks.tasks[index] for index in indices]
            running[pool.submit(run_chunk, function, batch)] = indices


def _chunk_result(future: Future) -> Any:
    """A chunk's results, or RunnersLost when a worker process died under it (the pool is then
    broken: every chunk still queued fails with it)."""
    try:
        return future.result()
    except BrokenProcessPool as error:
        raise RunnersLost(
            "a worker process ended abruptly during the sweep (killed, or out of memory: try "
            "fewer --workers)"
        ) from error


def executor_for(workers: int | None) -> Executor:
    """Return :class:`InProcess` for one worker, else a :class:`LocalPool` (None: all cores)."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    return InProcess() if count == 1 else LocalPool(count)


def warm_up(modules: Sequence[str]) -> threading.Thread:
    """Import ``modules`` in a daemon thread, started now; join it before using them.

    NOTE: what a command needs only after its runs (scipy.special, matplotlib: about 0.5 s) is
    imported while the workers run, so on a machine whose cores they fill it costs about half
    that, and nothing when a core is free. Start it only once the workers are forked: a fork in
    the middle of an import would leave the child a lock no thread releases. A module that
    fails to import is left for the caller's own import to report.
    """

    def load() -> None:
        # NOTE: importing makes no garbage worth collecting, and each full collection would walk
        # pandas' and the schema's objects too: paused, the imports take 0.1 s less CPU
        with paused_gc():
            for name in modules:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: S112  NOTE: the caller's import raises it again
                    continue

    thread = threading.Thread(target=load, name="batchsim-warm-up", daemon=True)
    thread.start()
    return thread


# ----------------------------------------------------------------------------- progress
class RunProgress(Protocol):
    """What the run loop redraws after each run: :class:`SweepProgress`, :class:`PlanProgress`."""

    def update(self, done: int, failed: int) -> None:
        """Redraw after ``done`` runs, ``failed`` of them failed."""
        ...


class SweepProgress:
    """One line on a terminal's stderr: runs done of the total, failures, elapsed, ETA.

    ``label`` starts the line ("sweep", "compare").
    """

    def __init__(
        self,
        stream: TextIO,
        total: int,
        clock: Callable[[], float] = time.monotonic,
        label: str = "sweep",
    ):
        self.stream, self.total, self.clock, self.label = stream, total, clock, label
        self.started_at = clock()

    def update(self, done: int, failed: int) -> None:
        """Redraw the line after ``done`` of the runs to do (``failed`` of them failed)."""
        elapsed = self.clock() - self.started_at
        eta = elapsed / done * (self.total - done) if done else None
        text = f"{self.label}: {done}/{self.total} runs ({100 * done // max(self.total, 1)} %)"
        text += f", {failed} failed" if failed else ""
        text += f", {_clock(elapsed)} elapsed, ETA {_clock(eta) if eta is not None else '?'}"
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()

    def close(self) -> None:
        """Erase the line."""
        self.stream.write("\r\x1b[K")
        self.stream.flush()


class PlanProgress:
    """One line on a terminal's stderr for a plan, whose runs come in rounds of unknown number:
    the round, its runs done, the runs made so far against the grid's, failures, elapsed."""

    def __init__(self, stream: TextIO, grid_runs: int, clock: Callable[[], float] = time.monotonic):
        self.stream, self.grid_runs, self.clock = stream, grid_runs, clock
        self.started_at = clock()
        self.rounds = self.total = self.done = self.failed = 0
        self.before = self.failed_before = 0

    def round(self, total: int) -> PlanProgress:
        """Start a round of ``total`` runs; return self, whose :meth:`update` the run loop calls."""
        self.rounds, self.total = self.rounds + 1, total
        self.before, self.failed_before = self.before + self.done, self.failed_before + self.failed
        self.done = self.failed = 0
        return self

    def update(self, done: int, failed: int) -> None:
        """Redraw the line after ``done`` of the round's runs (``failed`` of them failed)."""
        self.done, self.failed = done, failed
        made, failures = self.before + done, self.failed_before + failed
        share = 100 * made / max(self.grid_runs, 1)
        text = f"plan: round {self.rounds}, {done}/{self.total} runs; {made} made"
        text += f" ({share:.1f} % of the grid's {self.grid_runs:,})"
        text += f", {failures} failed" if failures else ""
        text += f", {_clock(self.clock() - self.started_at)} elapsed"
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()

    def close(self) -> None:
        """Erase the line."""
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"

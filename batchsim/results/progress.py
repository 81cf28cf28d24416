"""A one-line progress display for long runs on a terminal: simulated time, jobs, rate, ETA.

A daemon thread samples the running engine every ``interval_s`` (the simulated clock and two
list lengths, read without locks) and redraws one line of the terminal with "\\r". The event
loop never checks anything for it, so a run with progress shown is as fast as one without.
While files are written the line says so ("writing 14 files …").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

from batchsim.observer import RunSample
from batchsim.scenario.estimate import requests
from batchsim.scenario.schema import Scenario

CLEAR = "\r\x1b[K"  # carriage return, then erase to the end of the line


class Progress:
    """Draws progress on ``stream`` (stderr, when it is a terminal).

    ``total_jobs`` (see :func:`expected_jobs`; None when unknown) gives the fraction done and
    the ETA; ``clock`` (monotonic seconds) and ``interval_s`` are injectable for tests. The
    engine calls :meth:`start` with a sampling function and :meth:`stop` after its run; the
    writer calls :meth:`phase`; :meth:`close` erases the line.
    """

    def __init__(
        self,
        stream: TextIO,
        total_jobs: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = 0.5,
    ):
        self.stream, self.total_jobs = stream, total_jobs
        self.clock, self.interval_s = clock, interval_s
        self.started_at = clock()
        self._sample: Callable[[], RunSample] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, sample: Callable[[], RunSample]) -> None:
        """Begin sampling the engine through ``sample`` from a daemon thread."""
        self._sample, self.started_at = sample, self.clock()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="batchsim-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (the run is over); the line now says the results are being built."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.phase("building tables and metrics")

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval_s):
            self.tick()

    def tick(self) -> None:
        """Sample the engine once and redraw the line."""
        if self._sample is not None:
            self._draw(self.render(self._sample()))

    def render(self, sample: RunSample) -> str:
        """Return the progress line for ``sample`` (no control characters)."""
        elapsed_s = max(self.clock() - self.started_at, 1e-9)
        done = sample.attempts_ended
        parts = [f"simulated {format_sim_time(sample.now)}"]
        if self.total_jobs:
            done = min(done, self.total_jobs)
            parts.append(f"{done:,}/{self.total_jobs:,} jobs done ({done / self.total_jobs:.0%})")
        else:
            parts.append(f"{sample.jobs_submitted:,} jobs submitted, {done:,} attempts ended")
        rate = done / elapsed_s
        parts.append(f"{rate:,.0f}/s")
        if self.total_jobs and rate > 0:
            parts.append(f"ETA {format_wall(max(self.total_jobs - done, 0) / rate)}")
        return " · ".join(parts)

    def phase(self, text: str) -> None:
        """Show ``text`` (what is being done now), followed by an ellipsis."""
        self._draw(f"{text} …")

    def close(self) -> None:
        """Erase the line, leaving the terminal as it was."""
        self.stream.write(CLEAR)
        self.stream.flush()

    def _draw(self, line: str) -> None:
        self.stream.write(CLEAR + line)
        self.stream.flush()


def expected_jobs(scenario: Scenario) -> int | None:
    """Return how many jobs of ``scenario`` run an attempt (array children, not their parents),
    or None when a schedule or an open-ended Poisson stream makes the count depend on the run.
    Counts follow the size estimate (:func:`batchsim.scenario.estimate.requests`)."""
    stop_at = scenario.simulation.stopAt
    total = 0.0
    for entry in scenario.workload:
        arrivals = entry.arrivals
        if entry.schedule is not None or (
            arrivals is not None and arrivals.poisson is not None and arrivals.count is None
        ):
            return None
        array = entry.submit.arrayProperties
        total += requests(entry, stop_at) * (array.size if array is not None else 1)
    return int(total)


def format_sim_time(seconds: float) -> str:
    """Return simulated ``seconds`` as '3d 04:05:06' (days only when there are any)."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    clock = f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
    return f"{days:,}d {clock}" if days else clock


def format_wall(seconds: float) -> str:
    """Return a wall-clock duration as '42 s', '3 min 05 s' or '2 h 07 min'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole // 60 % 60:02d} min"

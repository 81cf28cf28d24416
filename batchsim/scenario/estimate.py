"""How big a run will be, before it starts: jobs submitted and the memory they will take.

The estimate is closed-form and cheap (no simulation): ``count`` × requests, array children,
Poisson rate × window, the firings of a schedule (counted exactly for ``rate(…)``, from the pace
of its first firings for ``cron(…)``), everything cut at ``stopAt``. Memory is the measured
cost of a full run per job (records, DataFrames, output files) plus the interpreter's base.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchsim.scenario.schedules import parse_schedule

if TYPE_CHECKING:
    from batchsim.scenario.schema import Arrivals, Scenario, WorkloadEntry

BYTES_PER_JOB = 2048
"""Peak memory of ``batchsim run`` per job, files included: 2 KiB, measured with
``/usr/bin/time -v`` (peak RSS): 608 MiB for 240,000 jobs of the benchmark's Poisson stream with
``events.jsonl`` written (the largest run that writes it by default), 1,449 MiB for a million
Spot jobs with checkpoints (the largest of the benchmark shapes), 785 MiB for a million jobs of
the Poisson stream."""
BASE_MIB = 128
"""Peak memory of a tiny ``batchsim run`` (the interpreter, pandas, matplotlib)."""
CRON_SAMPLE = 2000
"""Firings of a ``cron(…)`` schedule counted one by one before the rest is extrapolated."""
MIB = 1024 * 1024


@dataclass(frozen=True)
class SizeEstimate:
    """The jobs a scenario will submit (``jobs``, a float: it may be astronomically large)."""

    jobs: float

    @property
    def memory_mib(self) -> float:
        """Estimated peak memory of a full run, in MiB."""
        return BASE_MIB + self.jobs * BYTES_PER_JOB / MIB

    def describe(self) -> str:
        """Say the estimate in words: "about 1,200 jobs, ~182 MiB"."""
        return f"about {_count(self.jobs)} jobs, ~{_mib(self.memory_mib)}"


def _count(value: float) -> str:
    return f"{value:,.0f}" if value < 1e15 else f"{value:.2g}"


def _mib(value: float) -> str:
    if value >= 1024 * 1024:
        return f"{value / (1024 * 1024):,.1f} TiB"
    return f"{value / 1024:,.1f} GiB" if value >= 1024 else f"{value:,.0f} MiB"


def estimate_size(scenario: Scenario) -> SizeEstimate:
    """Return the estimated number of jobs ``scenario`` submits (parents and array children)."""
    stop_at = scenario.simulation.stopAt
    return SizeEstimate(float(sum(entry_jobs(entry, stop_at) for entry in scenario.workload)))


def entry_jobs(entry: WorkloadEntry, stop_at: float | None = None) -> float:
    """Return the jobs one workload entry submits before ``stop_at`` (None: no horizon)."""
    array = entry.submit.arrayProperties
    per_request = 1 + array.size if array is not None else 1
    return requests(entry, stop_at) * per_request


def requests(entry: WorkloadEntry, stop_at: float | None = None) -> float:
    """Return the SubmitJob calls of ``entry`` made before ``stop_at`` (a trace: its jobs,
    once the loader has read it)."""
    if entry.trace is not None:
        return float(entry.trace.jobs or 0)
    at = entry.at or 0.0
    horizon = math.inf if stop_at is None else stop_at
    if entry.schedule is not None:
        until = min(entry.until if entry.until is not None else horizon, horizon)
        return schedule_firings(entry.schedule, at, until) * entry.count
    if entry.arrivals is not None:
        return _arrivals(entry.arrivals, horizon)
    return float(entry.count) if at <= horizon else 0.0


def _arrivals(arrivals: Arrivals, horizon: float) -> float:
    if arrivals.times is not None:
        return float(sum(1 for t in arrivals.times if t <= horizon))
    if arrivals.poisson is None:
        return 0.0
    window = min(arrivals.until if arrivals.until is not None else math.inf, horizon)
    expected = arrivals.poisson.rate * max(window - arrivals.start, 0.0)
    return expected if arrivals.count is None else min(float(arrivals.count), expected)


def schedule_firings(expression: str, start_s: float, until_s: float) -> float:
    """Return how many times ``expression`` fires in [start_s, until_s] (∞ with no end)."""
    if math.isinf(until_s):
        return math.inf
    schedule = parse_schedule(expression)
    if schedule._period_s is not None:
        return float(max(math.floor((until_s - start_s) / schedule._period_s) + 1, 0))
    times = list(itertools.islice(schedule.firings(start_s, until_s), CRON_SAMPLE))
    if len(times) < CRON_SAMPLE or times[-1] <= times[0]:
        return float(len(times))
    pace = (len(times) - 1) / (times[-1] - times[0])
    return len(times) + (until_s - times[-1]) * pace


def available_memory_mib() -> float | None:
    """Return the memory the system can give a new process (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / MIB
    except (ValueError, OSError, AttributeError):
        return None

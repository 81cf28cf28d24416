"""Estimate a job definition's simulation parameters from its history.

Runtimes are the RUNNING time (``startedAt`` → ``stoppedAt``) of attempts that exited 0; a
lognormal is fitted by maximum likelihood (``scipy.stats.lognorm.fit`` with location 0) and
checked with a Kolmogorov–Smirnov test. The p-value is optimistic, since the parameters come from
the same sample (Lilliefors), so the lognormal is kept unless the test rejects it clearly
(p < :data:`KS_REJECT`); otherwise the runtimes are given as an empirical distribution.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import stats

from batchsim.fit.history import JobHistory

KS_REJECT = 0.01
"""KS p-value under which the lognormal is replaced by the empirical distribution."""
MIN_LOGNORMAL = 8
"""Fewest distinct runtimes for which a lognormal is fitted (below: empirical values)."""
EMPIRICAL_POINTS = 200
"""Most values an empirical distribution lists (evenly spaced quantiles of a larger sample)."""
Z95 = 1.6448536269514722  # the standard normal's 95th percentile


@dataclass(frozen=True)
class Delay:
    """Observed delays between two states, in seconds: count, median, p95 and max."""

    count: int
    median_s: float | None = None
    p95_s: float | None = None
    max_s: float | None = None

    @classmethod
    def of(cls, samples: list[float]) -> Delay:
        """Summarise ``samples`` (seconds)."""
        if not samples:
            return cls(0)
        values = np.asarray(samples, dtype=float)
        median, p95 = np.quantile(values, [0.5, 0.95]).tolist()
        return cls(len(samples), median, p95, float(values.max()))


@dataclass(frozen=True)
class RuntimeFit:
    """A runtime distribution: ``family`` "lognormal", "empirical" or "fixed", with its
    parameters (``mu``/``sigma`` of the log for a lognormal), the sample size and the KS test."""

    family: str
    count: int
    mu: float | None = None
    sigma: float | None = None
    values: tuple[float, ...] = ()
    ks_statistic: float | None = None
    ks_pvalue: float | None = None

    @property
    def median_s(self) -> float | None:
        """The lognormal's median in seconds."""
        return None if self.mu is None else math.exp(self.mu)

    @property
    def p95_s(self) -> float | None:
        """The lognormal's 95th percentile in seconds."""
        return (
            None if self.mu is None or self.sigma is None else math.exp(self.mu + Z95 * self.sigma)
        )


@dataclass(frozen=True)
class DefinitionFit:
    """Everything fitted for one job definition (see the module docstring)."""

    definition: str
    jobs: int
    attempts: int
    runtime: RuntimeFit | None
    runnable_to_starting: Delay
    starting_to_running: Delay
    failed_attempts: int
    host_failures: int
    exit_code: int
    retried_jobs: int
    most_attempts: int
    failed_jobs: int
    ended_jobs: int

    @property
    def failure_probability(self) -> float:
        """Share of finished attempts that exited non-zero (host failures excluded)."""
        counted = self.attempts - self.host_failures
        return self.failed_attempts / counted if counted else 0.0

    @property
    def retry_rate(self) -> float:
        """Share of jobs that ran more than one attempt."""
        ran = self.jobs
        return self.retried_jobs / ran if ran else 0.0

    @property
    def job_failure_rate(self) -> float:
        """Share of ended jobs that ended FAILED."""
        return self.failed_jobs / self.ended_jobs if self.ended_jobs else 0.0


def fit_runtime(samples: list[float]) -> RuntimeFit | None:
    """Fit a distribution to runtimes in seconds (positive values only); None when there are none."""
    values = np.asarray([s for s in samples if s > 0], dtype=float)
    if not len(values):
        return None
    if len(np.unique(values)) == 1:
        return RuntimeFit("fixed", len(values), values=(float(values[0]),))
    if len(np.unique(values)) < MIN_LOGNORMAL:
        return RuntimeFit("empirical", len(values), values=_empirical(values))
    sigma, _, scale = stats.lognorm.fit(values, floc=0)
    test = stats.kstest(values, "lognorm", args=(sigma, 0, scale))
    statistic, pvalue = float(test.statistic), float(test.pvalue)
    if pvalue < KS_REJECT:
        return RuntimeFit("empirical", len(values), values=_empirical(values),
                          ks_statistic=statistic, ks_pvalue=pvalue)  # fmt: skip
    return RuntimeFit("lognormal", len(values), mu=math.log(scale), sigma=float(sigma),
                      ks_statistic=statistic, ks_pvalue=pvalue)  # fmt: skip


def _empirical(values: np.ndarray) -> tuple[float, ...]:
    """The sample, or evenly spaced quantiles of it when larger than :data:`EMPIRICAL_POINTS`,
    rounded to the millisecond (the resolution of the history)."""
    if len(values) > EMPIRICAL_POINTS:
        levels = (np.arange(EMPIRICAL_POINTS) + 0.5) / EMPIRICAL_POINTS
        values = np.quantile(values, levels)
    return tuple(round(float(v), 3) for v in np.sort(values))


def _delays(job: JobHistory, first: str, then: str) -> list[float]:
    """Seconds from each entry into ``first`` to the next entry into ``then`` (events only)."""
    out, since = [], None
    for at, status in job.entered:
        if status == first:
            since = at
        elif status == then and since is not None:
            out.append((at - since) / 1000)
            since = None
    return out


def fit_definition(definition: str, jobs: list[JobHistory]) -> DefinitionFit:
    """Fit one job definition from its jobs (array parents are left out: they never run)."""
    jobs = [job for job in jobs if not job.is_array_parent]
    attempts = [a for job in jobs for a in job.attempts]
    runtimes = [(a.stopped_at - a.started_at) / 1000 for a in attempts
                if a.exit_code == 0 and a.started_at is not None and a.stopped_at is not None]  # fmt: skip
    failed = [a.exit_code for a in attempts if a.exit_code not in (0, None)]
    host = sum(a.exit_code is None for a in attempts)
    ended = [job for job in jobs if job.status in ("SUCCEEDED", "FAILED")]
    return DefinitionFit(
        definition=definition,
        jobs=sum(bool(job.attempts) for job in jobs),
        attempts=len(attempts),
        runtime=fit_runtime(runtimes),
        runnable_to_starting=Delay.of([d for job in jobs for d in _delays(job, "RUNNABLE", "STARTING")]),
        starting_to_running=Delay.of([d for job in jobs for d in _delays(job, "STARTING", "RUNNING")]),
        failed_attempts=len(failed),
        host_failures=host,
        exit_code=Counter(failed).most_common(1)[0][0] if failed else 1,
        retried_jobs=sum(len(job.attempts) > 1 for job in jobs),
        most_attempts=max((len(job.attempts) for job in jobs), default=0),
        failed_jobs=sum(job.status == "FAILED" for job in ended),
        ended_jobs=len(ended),
    )  # fmt: skip


def fit_history(jobs: list[JobHistory]) -> list[DefinitionFit]:
    """Fit every job definition in ``jobs``, in name order."""
    by_definition: dict[str, list[JobHistory]] = {}
    for job in jobs:
        by_definition.setdefault(job.definition, []).append(job)
    return [fit_definition(name, by_definition[name]) for name in sorted(by_definition)]

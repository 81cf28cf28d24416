"""Statistics across replications, from scipy.stats: Student t intervals, quantiles, and the
probability of meeting a target with its Wilson interval (``binomtest(k, n).proportion_ci``).

scipy is imported on first use, not with this module: importing ``scipy.stats`` takes about
0.4 s, which a sweep spends while its workers run (:func:`batchsim.sweeps.runner.warm_up`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CONFIDENCE = 0.95
QUANTILES = (50, 90, 95)
"""The percentiles reported across replications (linear interpolation, NumPy's default)."""


@lru_cache(maxsize=256)
def t_975(df: int) -> float:
    """Return t(0.975, df), the Student t quantile of a two-sided 95 % interval (df ≥ 1)."""
    if not isinstance(df, int) or isinstance(df, bool) or df < 1:
        raise ValueError(f"degrees of freedom must be a whole number ≥ 1, got {df!r}")
    from scipy import stats

    return float(stats.t.ppf(0.975, df))


def mean_ci(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Return the mean and 95 % CI half-width of ``values`` (None below 1 and 2 values)."""
    if not values:
        return None, None
    mean = float(statistics.mean(values))
    if len(values) == 1:
        return mean, None
    return mean, t_975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))


def quantiles(values: Sequence[float]) -> dict[str, float | None]:
    """Return ``{"p50": …, "p90": …, "p95": …}`` of ``values`` (None when there are none)."""
    if not values:
        return {f"p{q}": None for q in QUANTILES}
    found = np.percentile(np.asarray(values, dtype=float), QUANTILES)
    return {f"p{q}": float(value) for q, value in zip(QUANTILES, found, strict=True)}


@dataclass(frozen=True)
class Probability:
    """``met`` of ``n`` runs met a target: the proportion and its 95 % Wilson interval."""

    met: int
    n: int

    @property
    def value(self) -> float | None:
        """The proportion met/n (None without runs)."""
        return self.met / self.n if self.n else None

    @property
    def interval(self) -> tuple[float | None, float | None]:
        """The 95 % Wilson score interval of the proportion (Nones without runs)."""
        if not self.n:
            return None, None
        from scipy import stats

        found = stats.binomtest(self.met, self.n).proportion_ci(CONFIDENCE, method="wilson")
        return float(found.low), float(found.high)

    def text(self) -> str:
        """Return "65 % [43–82 %] (13/20)", or "n/a" without runs."""
        if not self.n:
            return "n/a"
        low, high = self.interval
        assert low is not None and high is not None
        return f"{100 * self.met / self.n:.0f} % [{100 * low:.0f}–{100 * high:.0f} %] ({self.met}/{self.n})"


def meets(values: Sequence[float | None], limit: float) -> Probability:
    """Return how many of ``values`` are ≤ ``limit``; a missing value (None) does not meet it."""
    return Probability(sum(value is not None and value <= limit for value in values), len(values))

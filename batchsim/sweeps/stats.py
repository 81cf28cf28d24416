"""Statistics across replications: Student t intervals, quantiles, and the probability of
meeting a target with its Wilson interval, the numbers ``scipy.stats`` gives, bit for bit.

NOTE: computed with ``scipy.special`` (``stdtrit``, ``ndtri``), the functions
``scipy.stats.t.ppf`` and ``binomtest(k, n).proportion_ci(method="wilson")`` call, rather than
through ``scipy.stats``, whose import costs about 0.45 s more of every sweep, compare and plan
(``scipy.special`` is imported on first use, 0.15 s). ``tests/test_sweep.py`` checks every
result against ``scipy.stats`` itself.
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
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.975))  # NOTE: scipy.stats.t.ppf(0.975, df) exactly


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
        return wilson_interval(self.met, self.n)

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


def wilson_interval(met: int, n: int) -> tuple[float, float]:
    """Return the two-sided 95 % Wilson score interval of ``met`` of ``n`` (n ≥ 1).

    The formula and the order of its operations are scipy's (``scipy.stats._binomtest.
    _binom_wilson_conf_int``, Newcombe 1998), so the bounds are the same floats as
    ``binomtest(met, n).proportion_ci(0.95, method="wilson")``.
    """
    from scipy.special import ndtri

    p = met / n
    z = ndtri(0.5 + 0.5 * CONFIDENCE)
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    delta = z / denom * math.sqrt(4 * n * p * (1 - p) + z**2)
    low = 0.0 if met == 0 else center - delta
    high = 1.0 if met == n else center + delta
    return float(low), float(high)

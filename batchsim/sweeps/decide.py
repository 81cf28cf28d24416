"""The plan's decision rule: does a configuration meet its targets with the stated confidence?

A run **meets** the targets when it ended ``ok`` and every set target holds (makespan ≤
deadline, queue-wait p95 ≤ the limit, total cost ≤ the budget); a failed run or a missing value
does not meet them. Of ``n`` runs of a point, ``k`` meet them. The point **meets the plan** when
the one-sided 95 % Clopper–Pearson lower bound of P(meet) is at least the confidence ``c``::

    lower(k, n) = Beta quantile 0.05 of (k, n − k + 1)   (scipy: binomtest(k, n,
                  alternative="greater").proportion_ci(0.95, method="exact").low)
    meets  ⇔  lower(k, n) ≥ c

Why this rule: "P(meet) ≥ c" is then shown, not merely estimated, with at most a 5 % chance of
passing a configuration whose true P(meet) is below ``c`` (the exact binomial bound never
undercovers, unlike Wilson near 0 and 1). The price is runs: with c = 0.9 every one of 29
runs must meet the targets, and 30 of 30 give a bound of 90.5 %.

Sequential testing with curtailment: a point's runs are made in replication order (seed S + r),
and the point stops as soon as the decision at ``total`` runs can no longer change whatever the
remaining runs give. The decision is therefore exactly the one the full ``total`` runs would
give — the plan agrees with the exhaustive grid point by point — while a point that misses the
target stops at its first decisive failures.
"""

from __future__ import annotations

from functools import lru_cache

INTERVAL_LEVEL = 0.95
"""The one-sided level of the lower bound compared with the confidence."""


@lru_cache(maxsize=4096)
def lower_bound(met: int, n: int) -> float:
    """Return the one-sided 95 % Clopper–Pearson lower bound of P(meet) from ``met`` of ``n``."""
    if n < 1 or not 0 <= met <= n:
        raise ValueError(f"need 0 ≤ met ≤ n and n ≥ 1, got {met} of {n}")
    if met == n:
        # NOTE: n of n: the bound is the p where p^n = 1 − level, exactly; scipy's root search
        # finds it within 5e-13. In closed form the plan checks its options without scipy.stats
        # (0.4–0.6 s to import; it then loads during the first round), and the check and the
        # decisions use the very same number.
        return (1.0 - INTERVAL_LEVEL) ** (1.0 / n)
    from scipy import stats  # NOTE: late import (~0.4 s), made while the first round runs

    test = stats.binomtest(met, n, alternative="greater")
    return float(test.proportion_ci(INTERVAL_LEVEL, method="exact").low)


def meets(met: int, n: int, confidence: float) -> bool:
    """Whether ``met`` of ``n`` runs show P(meet) ≥ ``confidence`` (the rule above)."""
    return lower_bound(met, n) >= confidence


def decided(met: int, done: int, total: int, confidence: float) -> bool | None:
    """Return the decision at ``total`` runs if ``met`` of the first ``done`` already fix it.

    True: it meets even if every remaining run misses; False: it fails even if every remaining
    run meets; None: the remaining runs decide.
    """
    if meets(met, total, confidence):
        return True
    if not meets(met + total - done, total, confidence):
        return False
    return None


def fewest_runs(confidence: float, most: int = 10_000) -> int | None:
    """Return the fewest runs n for which n of n meet ``confidence`` (None above ``most``)."""
    for n in range(1, most + 1):
        if meets(n, n, confidence):
            return n
    return None

"""Duration distributions: each family's sampler agrees with its stated mean."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from batchsim.scenario.distributions import DistributionModel, make_sampler, mean_of

ADAPTER = TypeAdapter(DistributionModel)
SPECS = [
    "90s",
    {"fixed": {"value": "2m"}},
    {"exponential": {"mean": "10m"}},
    {"uniform": {"low": "1m", "high": "3m"}},
    {"normal": {"mean": "10m", "sd": "1m"}},
    {"lognormal": {"median": "90s", "p95": "180s"}},
    {"lognormal": {"mean": "5m", "sigma": 0.5}},
    {"gamma": {"mean": 60, "cv": 0.5}},
    {"empirical": {"values": ["1m", 120, "3m"]}},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s if isinstance(s, str) else next(iter(s)))
def test_sample_mean_matches_the_stated_mean(spec):
    model = ADAPTER.validate_python(spec)
    sample = make_sampler(model, np.random.default_rng(7))
    draws = np.array([sample() for _ in range(40_000)])
    assert (draws >= 0).all()
    # Standard error of a 40k-draw mean is < 1 % of the mean for every family here (cv ≤ 1).
    assert draws.mean() == pytest.approx(mean_of(model), rel=0.03)


def test_lognormal_median_and_p95_are_honoured():
    model = ADAPTER.validate_python({"lognormal": {"median": "90s", "p95": "180s"}})
    sample = make_sampler(model, np.random.default_rng(3))
    draws = np.array([sample() for _ in range(40_000)])
    assert np.median(draws) == pytest.approx(90, rel=0.03)
    assert np.percentile(draws, 95) == pytest.approx(180, rel=0.04)

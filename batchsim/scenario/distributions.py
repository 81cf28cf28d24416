"""Probability distributions a scenario can use for durations (runtimes, boot times, …).

A distribution is written as a scalar (a fixed value) or as a one-key mapping naming the family:
``{exponential: {mean: 10m}}``. Each family is a small pydantic model with a ``sampler(rng)``
method that returns a zero-argument callable. Samplers draw from NumPy in chunks, because one
vectorised draw of a thousand values costs about as much as three scalar draws.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from pydantic import Discriminator, Field, Tag, model_validator

from batchsim.scenario.samplers import Sampler, chunked, constant
from batchsim.scenario.types import Duration, StrictModel

Z95 = 1.6448536269514722  # standard normal 95th percentile


class FixedParams(StrictModel):
    """``{fixed: {value}}``: always the same value."""

    value: Duration


class Fixed(StrictModel):
    """A fixed duration."""

    fixed: FixedParams

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a sampler that always gives the value."""
        return constant(self.fixed.value)

    def mean(self) -> float:
        """Return the mean in seconds."""
        return self.fixed.value


class ExponentialParams(StrictModel):
    """``{exponential: {mean}}``."""

    mean: Duration = Field(gt=0)


class Exponential(StrictModel):
    """Exponentially distributed duration (memoryless service or inter-arrival times)."""

    exponential: ExponentialParams

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a chunked exponential sampler."""
        return chunked(lambda n: rng.exponential(self.exponential.mean, n))

    def mean(self) -> float:
        """Return the mean in seconds."""
        return self.exponential.mean


class UniformParams(StrictModel):
    """``{uniform: {low, high}}``."""

    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> UniformParams:
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self


class Uniform(StrictModel):
    """Uniformly distributed duration between low and high."""

    uniform: UniformParams

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a chunked uniform sampler."""
        return chunked(lambda n: rng.uniform(self.uniform.low, self.uniform.high, n))

    def mean(self) -> float:
        """Return the mean in seconds."""
        return (self.uniform.low + self.uniform.high) / 2


class NormalParams(StrictModel):
    """``{normal: {mean, sd}}``."""

    mean: Duration
    sd: Duration


class Normal(StrictModel):
    """Normal duration truncated at zero (negative draws are redrawn)."""

    normal: NormalParams

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a chunked sampler of the normal truncated at 0 (by rejection)."""
        mean, sd = self.normal.mean, self.normal.sd

        def draw(n: int) -> np.ndarray:
            values = rng.normal(mean, sd, n)
            while (bad := values < 0).any():
                values[bad] = rng.normal(mean, sd, int(bad.sum()))
            return values

        return chunked(draw) if sd > 0 else constant(mean)

    def mean(self) -> float:
        """Return the mean of the untruncated normal in seconds (truncation raises it slightly)."""
        return self.normal.mean


class LognormalParams(StrictModel):
    """``{lognormal: {median, p95}}`` or ``{lognormal: {mean, sigma}}``.

    ``median`` and ``p95`` are durations; ``mean`` is the arithmetic mean (a duration) and
    ``sigma`` the standard deviation of the underlying normal (unitless).
    """

    median: Duration | None = Field(default=None, gt=0)
    p95: Duration | None = None
    mean: Duration | None = Field(default=None, gt=0)
    sigma: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_form(self) -> LognormalParams:
        by_quantiles = self.median is not None and self.p95 is not None
        by_moments = self.mean is not None and self.sigma is not None
        if by_quantiles == by_moments:
            raise ValueError("give either median and p95, or mean and sigma")
        if self.p95 is not None and self.median is not None and self.p95 < self.median:
            raise ValueError("p95 must be at least the median")
        return self

    def mu_sigma(self) -> tuple[float, float]:
        """Return (mu, sigma) of the underlying normal."""
        if self.median is not None and self.p95 is not None:
            return math.log(self.median), math.log(self.p95 / self.median) / Z95
        assert self.mean is not None and self.sigma is not None  # NOTE: _one_form checked it
        return math.log(self.mean) - self.sigma**2 / 2, self.sigma


class Lognormal(StrictModel):
    """Log-normally distributed duration (typical of boot times and job runtimes)."""

    lognormal: LognormalParams

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a chunked lognormal sampler."""
        mu, sigma = self.lognormal.mu_sigma()
        return chunked(lambda n: rng.lognormal(mu, sigma, n))

    def mean(self) -> float:
        """Return the mean in seconds."""
        mu, sigma = self.lognormal.mu_sigma()
        return math.exp(mu + sigma**2 / 2)


class GammaParams(StrictModel):
    """``{gamma: {mean, cv}}``: mean duration and coefficient of variation."""

    mean: Duration = Field(gt=0)
    cv: float = Field(gt=0)


class Gamma(StrictModel):
    """Gamma-distributed duration given by mean and coefficient of variation."""

    gamma: GammaParams

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a chunked gamma sampler (shape 1/cv², scale mean·cv²)."""
        shape = 1.0 / self.gamma.cv**2
        scale = self.gamma.mean * self.gamma.cv**2
        return chunked(lambda n: rng.gamma(shape, scale, n))

    def mean(self) -> float:
        """Return the mean in seconds."""
        return self.gamma.mean


class EmpiricalParams(StrictModel):
    """``{empirical: {values: [...]}}``: resample observed values uniformly."""

    values: list[Duration] = Field(min_length=1)


class Empirical(StrictModel):
    """Duration resampled uniformly from a list of observed values."""

    empirical: EmpiricalParams

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a chunked sampler choosing among the values with equal probability."""
        values = np.asarray(self.empirical.values, dtype=float)
        return chunked(lambda n: values[rng.integers(0, len(values), n)])

    def mean(self) -> float:
        """Return the mean of the values in seconds."""
        return float(np.mean(self.empirical.values))


FAMILIES: dict[str, type[StrictModel]] = {
    "fixed": Fixed,
    "exponential": Exponential,
    "uniform": Uniform,
    "normal": Normal,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "empirical": Empirical,
}


def _family_of(value: Any) -> str:
    if isinstance(value, dict):
        keys = list(value)
        return keys[0] if len(keys) == 1 else "<one family key>"
    if isinstance(value, StrictModel):
        return next(name for name, cls in FAMILIES.items() if isinstance(value, cls))
    return "scalar"


DistributionModel = Annotated[
    Annotated[Fixed, Tag("fixed")]
    | Annotated[Exponential, Tag("exponential")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[Lognormal, Tag("lognormal")]
    | Annotated[Gamma, Tag("gamma")]
    | Annotated[Empirical, Tag("empirical")]
    | Annotated[Duration, Tag("scalar")],
    Discriminator(
        _family_of,
        custom_error_type="distribution",
        custom_error_message=(
            "a distribution is a duration or one of {fixed, exponential, uniform, normal, "
            "lognormal, gamma, empirical} with its parameters"
        ),
    ),
]
"""A duration distribution as written in a scenario: a scalar or a one-family mapping."""


def make_sampler(spec: DistributionModel, rng: np.random.Generator) -> Sampler:
    """Return a zero-argument sampler of ``spec`` (seconds) drawing from ``rng``."""
    if isinstance(spec, int | float):
        return constant(float(spec))
    return spec.sampler(rng)


def mean_of(spec: DistributionModel) -> float:
    """Return the mean of ``spec`` in seconds."""
    return float(spec) if isinstance(spec, int | float) else spec.mean()

"""The Spot market of one SPOT compute environment: prices, the bid cap, interruptions, billing.

Prices (see :mod:`batchsim.catalog.spot`) default to on-demand × (1 − Spot Advisor savings) and
may be fixed or given as a series per type. Each Spot instance lives an exponential time; its rate
comes from the type's Spot Advisor bucket (:func:`~batchsim.catalog.spot.bucket_rate_per_s`)
unless the scenario sets one. A notice precedes each reclaim by ``noticeTime`` (120 s, as EC2 gives).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchsim.catalog.spot import bucket_rate_per_s, price_points
from batchsim.engine.compute.instance import BILLING_MINIMUM_S
from batchsim.records import Outcome
from batchsim.scenario.distributions import Exponential, ExponentialParams, Sampler, make_sampler

if TYPE_CHECKING:
    import numpy as np

    from batchsim.catalog import InstanceType
    from batchsim.scenario.schema import ComputeResources, SpotSettings

#: EC2 does not charge for a Linux Spot instance it interrupts within its first hour.
FREE_INTERRUPTION_S = 3600.0
HOST_TERMINATED = "Host EC2 (instance {instance_id}) terminated."


def lifetime_sampler(model, bucket: int | None, rng: np.random.Generator) -> Sampler | None:
    """Return a sampler of instance lifetimes: ``model`` (a distribution, or inf for never), or
    when it is None exponential at the rate of Spot Advisor ``bucket``. None means never."""
    if model is None:
        model = Exponential(exponential=ExponentialParams(mean=1.0 / bucket_rate_per_s(bucket)))
    return None if model == math.inf else make_sampler(model, rng)


@dataclass(frozen=True, slots=True)
class SpotInterruption:
    """Why an attempt ended: its Spot host was reclaimed, or replaced by an infrastructure
    update (``outcome``; the typed cause, as SimPy's Preempted)."""

    instance_id: str
    notice_at: float
    reclaim_at: float
    reason_template: str = HOST_TERMINATED
    outcome: Outcome = Outcome.SPOT_INTERRUPTED  # HOST_REPLACED: an infrastructure update

    @property
    def status_reason(self) -> str:
        """AWS Batch's statusReason for every attempt on the reclaimed host."""
        return self.reason_template.format(instance_id=self.instance_id)


class PriceSeries:
    """A step function of price over time: ``prices[i]`` holds from ``times[i]`` on."""

    __slots__ = ("times", "prices")

    def __init__(self, points: list[tuple[float, float]]):
        self.times = [t for t, _ in points]
        self.prices = [p for _, p in points]

    def at(self, t: float) -> float:
        """Return the price at ``t`` (the first price before the first step)."""
        return self.prices[max(bisect.bisect_right(self.times, t) - 1, 0)]

    def integral(self, start: float, end: float) -> float:
        """Return ∫ price dt over [start, end] in USD·s/h (divide by 3600 for USD)."""
        total, t = 0.0, start
        index = max(bisect.bisect_right(self.times, start) - 1, 0)
        while t < end:
            step_end = self.times[index + 1] if index + 1 < len(self.times) else math.inf
            stop = min(step_end, end)
            total += self.prices[index] * (stop - t)
            t, index = stop, index + 1
        return total


class SpotMarket:
    """Prices, the bid cap and interruption rates of the types a SPOT CE may launch."""

    def __init__(
        self,
        resources: ComputeResources,
        settings: SpotSettings,
        types: list[InstanceType],
        rng: np.random.Generator,
    ):
        self.notice_s = settings.noticeTime
        self.bid_fraction = (resources.bidPercentage or 100) / 100.0
        self._settings = settings
        self._rng = rng
        self._series: dict[str, PriceSeries] = {}
        self._lifetimes: dict[str, Sampler | None] = {}
        self.add_types(types)

    def add_types(self, types: list[InstanceType]) -> None:
        """Price the types of ``types`` the market does not know yet (new ``instanceTypes``
        of an infrastructure update), with the scenario's Spot settings."""
        settings = self._settings
        for itype in types:
            if itype.name in self._lifetimes:
                continue
            override = settings.instanceTypes.get(itype.name)
            series = price_points(itype, override)
            if series is not None:
                self._series[itype.name] = PriceSeries(series)
            model = settings.type_lifetime_model(itype.name)
            sampler = lifetime_sampler(model, itype.interruption_bucket, self._rng)
            self._lifetimes[itype.name] = sampler

    def change_times(self) -> list[float]:
        """Return the times (> 0) at which some type's price changes."""
        return sorted({t for s in self._series.values() for t in s.times if t > 0})

    def has_price(self, itype: InstanceType) -> bool:
        """Return whether the market knows a Spot price for ``itype``."""
        return itype.name in self._series

    def price(self, itype: InstanceType, t: float) -> float:
        """Return the Spot price of ``itype`` (USD per hour) at ``t``."""
        return self._series[itype.name].at(t)

    def cap(self, itype: InstanceType) -> float:
        """Return the most this CE pays per hour for ``itype`` (bidPercentage of on-demand)."""
        return itype.on_demand_price_per_hour * self.bid_fraction

    def ever_launchable(self, itype: InstanceType) -> bool:
        """Return whether ``itype`` is priced at or under the cap at some time of the run."""
        return (
            self.has_price(itype)
            and min(self._series[itype.name].prices) <= self.cap(itype) + 1e-12
        )

    def launchable(self, itype: InstanceType, t: float) -> bool:
        """Return whether ``itype`` has a Spot price at or under the cap at ``t``."""
        return self.has_price(itype) and self.price(itype, t) <= self.cap(itype) + 1e-12

    def draw_lifetime(self, itype: InstanceType) -> float:
        """Return the time from launch to reclaim of a new instance (inf if never reclaimed)."""
        sampler = self._lifetimes[itype.name]
        return math.inf if sampler is None else sampler()

    def cost_usd(
        self, itype: InstanceType, launched_at: float, stopped_at: float, reclaimed: bool
    ) -> float:
        """Return the bill of a Spot instance: the price over its life, per second, 60 s minimum;
        nothing when EC2 reclaimed it within its first hour (EC2's rule for Linux)."""
        run_s = stopped_at - launched_at
        if reclaimed and run_s < FREE_INTERRUPTION_S:
            return 0.0
        billed_end = launched_at + max(run_s, BILLING_MINIMUM_S)
        return self._series[itype.name].integral(launched_at, billed_end) / 3600.0

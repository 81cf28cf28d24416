"""Provisioning strategies: what differs between kinds of compute environment.

A :class:`~batchsim.engine.compute.environment.ComputeEnvironment` holds one
:class:`Provisioning` and asks it which types fit a job shape and at what price, what to launch
(the allocation strategy), how a new host is named, how long it lives and what it bills. The
environment itself (placement, scale-out, scale-in, shortages, reclaims) is the same for all,
but for Fargate's one job per task (its task pool):

* :class:`Ec2Provisioning` — on-demand EC2 instances, billed per second with a 60 s minimum;
* :class:`SpotProvisioning` — Spot instances of a :class:`~batchsim.engine.compute.spot.SpotMarket`
  (prices over time, the bid cap, reclaims, Spot billing);
* ``FargateProvisioning`` and ``UnmanagedProvisioning`` in their own modules.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Protocol

from batchsim.engine.compute.allocation import STRATEGIES, Blocked, TypeOption, options_for
from batchsim.engine.compute.instance import on_demand_cost_usd
from batchsim.engine.compute.spot import HOST_TERMINATED, SpotMarket

if TYPE_CHECKING:
    from batchsim.catalog import InstanceType
    from batchsim.engine.compute.instance import Instance
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.schema import SimulationSettings
    from batchsim.scenario.shapes import Shape

SPOT_INTERRUPTED = "spot_interrupted"


class Provisioning(Protocol):
    """What a kind of compute environment decides; the attributes are fixed at construction.

    ``lifecycle`` names the hosts' kind in instances.csv; ``overshoot`` whether a launch may
    exceed maxvCpus by one host; ``reclaimable`` whether hosts may be taken back (after
    ``notice_s`` seconds of notice, with ``reclaim_reason`` as the attempts' statusReason);
    ``one_job_per_host`` whether a host takes one job and stops with it (a Fargate task);
    ``fills_floor`` whether the environment launches to keep minvCpus; ``capped`` whether a
    type may be priced out of launching for a while (Spot over its bid cap).
    """

    lifecycle: str
    overshoot: bool
    reclaimable: bool
    notice_s: float
    reclaim_reason: str
    one_job_per_host: bool
    fills_floor: bool
    capped: bool

    def allocatable_mib(self, itype: InstanceType) -> float:
        """Return the memory a job may use on a host of ``itype``."""

    def options(self, types: list[InstanceType], shape: Shape, now: float) -> list[TypeOption]:
        """Return the host types among ``types`` that fit ``shape``, cheapest per job first."""

    def plan(
        self, options: list[TypeOption], jobs: int, budget_vcpus: float, blocked: Blocked
    ) -> list[InstanceType]:
        """Return the types to launch for ``jobs`` jobs within ``budget_vcpus``."""

    def launchable(self, itype: InstanceType, now: float) -> bool:
        """Return whether ``itype`` may be launched now (Spot: priced under the cap)."""

    def change_times(self) -> list[float]:
        """Return the times (> 0) at which prices change (Spot price series)."""

    def price(self, itype: InstanceType, now: float) -> float:
        """Return what a host of ``itype`` launched at ``now`` costs per hour."""

    def new_host_id(self) -> str:
        """Return the id of a new host."""

    def lifetime(self, itype: InstanceType) -> float:
        """Return how long a new host of ``itype`` lives before a reclaim (inf: never)."""

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Return the bill of ``instance`` from launch to ``stopped_at``."""

    def fixed_hosts(self) -> Iterator[InstanceType]:
        """Yield the hosts registered at t=0 whatever minvCpus says (UNMANAGED)."""


class Ec2Provisioning:
    """On-demand EC2 instances chosen by the allocation strategy ``strategy``; ``ranks`` gives
    each type's position in ``instanceTypes`` (for the ordered strategies)."""

    lifecycle = "on-demand"
    reclaimable = False
    notice_s = 0.0
    reclaim_reason = HOST_TERMINATED
    one_job_per_host = False
    fills_floor = True
    capped = False

    def __init__(
        self,
        env: BatchEnv,
        settings: SimulationSettings,
        strategy: str,
        ranks: dict[str, int] | None = None,
    ):
        self.env = env
        self.settings = settings
        self.strategy_name = strategy
        self.strategy = STRATEGIES[strategy]
        self.overshoot = self.strategy.on_demand_overshoot
        self.ranks = ranks or {}

    def retarget(self, strategy: str, ranks: dict[str, int]) -> None:
        """Use allocation strategy ``strategy`` and ``instanceTypes`` ranks ``ranks`` from now
        on (an infrastructure update); a Spot CE may still exceed maxvCpus by one instance."""
        self.strategy_name = strategy
        self.strategy = STRATEGIES[strategy]
        self.ranks = ranks
        self.overshoot = self.strategy.on_demand_overshoot or self.reclaimable

    def allocatable_mib(self, itype: InstanceType) -> float:
        """Return the memory ECS registers for ``itype`` (nominal × factor − reserved)."""
        return self.settings.allocatable_mib(itype.memory_mib)

    def options(self, types: list[InstanceType], shape: Shape, now: float) -> list[TypeOption]:
        """Return the types that fit ``shape``, cheapest per job at today's prices first."""
        price = partial(self.price, now=now)
        return options_for(types, shape, self.allocatable_mib, price, self.ranks)

    def plan(
        self, options: list[TypeOption], jobs: int, budget_vcpus: float, blocked: Blocked
    ) -> list[InstanceType]:
        """Return what the allocation strategy launches (see allocation.STRATEGIES)."""
        return self.strategy.plan(options, jobs, budget_vcpus, self.overshoot, blocked)

    def launchable(self, itype: InstanceType, now: float) -> bool:
        """Every type may be launched at any time (capacity shortages aside)."""
        return True

    def change_times(self) -> list[float]:
        """On-demand prices never change during a run."""
        return []

    def price(self, itype: InstanceType, now: float) -> float:
        """Return the on-demand price of ``itype``."""
        return itype.on_demand_price_per_hour

    def new_host_id(self) -> str:
        """Return the next EC2-style instance id of the run."""
        return self.env.new_instance_id()

    def lifetime(self, itype: InstanceType) -> float:
        """An on-demand instance is never reclaimed."""
        return math.inf

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Per second from launch at the launch price, with a 60-second minimum."""
        return on_demand_cost_usd(instance.price_per_hour, instance.launched_at, stopped_at)

    def fixed_hosts(self) -> Iterator[InstanceType]:
        """A managed CE registers no fixed hosts."""
        return iter(())


class SpotProvisioning(Ec2Provisioning):
    """Spot instances: prices, the cap, lifetimes and bills come from ``market``; any strategy
    may exceed maxvCpus by one instance."""

    lifecycle = "spot"
    reclaimable = True
    capped = True

    def __init__(
        self,
        env: BatchEnv,
        settings: SimulationSettings,
        strategy: str,
        market: SpotMarket,
        ranks: dict[str, int] | None = None,
    ):
        super().__init__(env, settings, strategy, ranks)
        self.market = market
        self.overshoot = True
        self.notice_s = market.notice_s

    def launchable(self, itype: InstanceType, now: float) -> bool:
        """Return whether ``itype`` is priced at or under the cap now."""
        return self.market.launchable(itype, now)

    def change_times(self) -> list[float]:
        """Return the times at which some type's Spot price changes."""
        return self.market.change_times()

    def price(self, itype: InstanceType, now: float) -> float:
        """Return the Spot price of ``itype`` at ``now``."""
        return self.market.price(itype, now)

    def lifetime(self, itype: InstanceType) -> float:
        """Draw how long a new Spot instance of ``itype`` lives before EC2 reclaims it."""
        return self.market.draw_lifetime(itype)

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Return the Spot bill (the price series over its life; free if reclaimed early)."""
        reclaimed = end_reason == SPOT_INTERRUPTED
        return self.market.cost_usd(instance.itype, instance.launched_at, stopped_at, reclaimed)

"""UNMANAGED compute environments: a fixed list of instances that never scale.

The way to model on-premises-like capacity or to replay a fixed cluster: the instances exist and
are ready from t=0, take jobs like any others, are never launched or terminated by Batch, and are
billed (at their on-demand price, or the scenario's ``pricePerHour``) for the whole run.
:class:`UnmanagedProvisioning` is the compute environment's provisioning strategy; its vCPU
limits are both the fixed instances' vCPUs, so the floor holds every instance.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from batchsim.engine.compute.provisioning import Ec2Provisioning
from batchsim.engine.compute.spot import HOST_TERMINATED

if TYPE_CHECKING:
    from batchsim.catalog import Catalog, InstanceType
    from batchsim.engine.compute.allocation import Blocked, TypeOption
    from batchsim.engine.compute.instance import Instance
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.schema import ComputeEnvironment as CESpec
    from batchsim.scenario.schema import SimulationSettings


class UnmanagedProvisioning:
    """Provisioning of an UNMANAGED compute environment (see the module docstring)."""

    lifecycle = "unmanaged"
    overshoot = False
    reclaimable = False
    notice_s = 0.0
    reclaim_reason = HOST_TERMINATED
    one_job_per_host = False
    fills_floor = False
    capped = False

    def __init__(self, env: BatchEnv, spec: CESpec, catalog: Catalog, settings: SimulationSettings):
        self.env = env
        self.settings = settings
        self.fixed = [
            (catalog.require(i.instanceType), i.count, i.pricePerHour)
            for i in spec.simulation.instances
        ]
        self._price: dict[str, float] = {}
        self.ranks: dict[str, int] = {}  # NOTE: read by the borrowed options(); nothing is launched

    @property
    def types(self) -> list[InstanceType]:
        """The types of the fixed instances, each once, in the order first listed."""
        return list({itype.name: itype for itype, _, _ in self.fixed}.values())

    @property
    def total_vcpus(self) -> int:
        """The vCPUs of all the fixed instances."""
        # NOTE: EC2 types hold whole vCPUs (only a Fargate task's may be a fraction).
        return int(sum(itype.vcpus * count for itype, count, _ in self.fixed))

    # NOTE: registered memory and fitting types as for EC2 (at this environment's own prices).
    allocatable_mib = Ec2Provisioning.allocatable_mib
    options = Ec2Provisioning.options

    def plan(
        self, options: list[TypeOption], jobs: int, budget_vcpus: float, blocked: Blocked
    ) -> list[InstanceType]:
        """Batch launches nothing here."""
        return []

    def launchable(self, itype: InstanceType, now: float) -> bool:
        """Nothing is launched, so nothing is priced out."""
        return True

    def change_times(self) -> list[float]:
        """Prices are fixed."""
        return []

    def price(self, itype: InstanceType, now: float) -> float:
        """The scenario's price for the type, else its on-demand price."""
        return self._price.get(itype.name, itype.on_demand_price_per_hour)

    def new_host_id(self) -> str:
        """Return the next EC2-style instance id of the run."""
        return self.env.new_instance_id()

    def lifetime(self, itype: InstanceType) -> float:
        """A fixed instance is never reclaimed."""
        return math.inf

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Per second at the instance's price, for the whole run (no minimum: it was never
        launched)."""
        return instance.price_per_hour * (stopped_at - instance.launched_at) / 3600.0

    def fixed_hosts(self) -> Iterator[InstanceType]:
        """Yield every listed instance, registering its entry's price first."""
        for itype, count, price in self.fixed:
            if price is not None:
                self._price[itype.name] = price
            for _ in range(count):
                yield itype

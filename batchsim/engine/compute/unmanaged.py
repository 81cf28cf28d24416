"""UNMANAGED compute environments: a fixed list of instances that never scale.

The way to model on-premises-like capacity or to replay a fixed cluster: the instances exist and
are ready from t=0, take jobs like any others, are never launched or terminated by Batch, and are
billed (at their on-demand price, or the scenario's ``pricePerHour``) for the whole run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchsim.engine.compute.environment import ComputeEnvironment
from batchsim.scenario.schema import ComputeResources

if TYPE_CHECKING:
    from batchsim.catalog import Catalog, InstanceType
    from batchsim.engine.compute.instance import Instance
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.schema import ComputeEnvironment as CESpec
    from batchsim.scenario.schema import SimulationSettings


class UnmanagedEnvironment(ComputeEnvironment):
    """An UNMANAGED compute environment (see the module docstring)."""

    def __init__(self, env: BatchEnv, spec: CESpec, catalog: Catalog, settings: SimulationSettings):
        self.fixed = [
            (catalog.get(i.instanceType), i.count, i.pricePerHour)
            for i in spec.simulation.instances
        ]
        types = list({itype.name: itype for itype, _, _ in self.fixed}.values())
        total = sum(itype.vcpus * count for itype, count, _ in self.fixed)
        # NOTE: the managed machinery with min = max = the fixed vCPUs never launches nor scales in.
        resources = ComputeResources(
            type="EC2", minvCpus=total, maxvCpus=total, instanceTypes=[t.name for t in types]
        )
        super().__init__(
            env, spec.model_copy(update={"computeResources": resources}), types, settings
        )
        self.lifecycle = "unmanaged"
        self._price: dict[str, float] = {}

    def start(self) -> None:
        """Register every listed instance, ready at t=0."""
        for itype, count, price in self.fixed:
            if price is not None:
                self._price[itype.name] = price
            for _ in range(count):
                self.launch(itype, boot_s=0.0)

    def price_now(self, itype: InstanceType) -> float:
        """The scenario's price for the type, else its on-demand price."""
        return self._price.get(itype.name, itype.on_demand_price_per_hour)

    def _fill_floor(self, boot_s: float | None = None, refill: bool = True) -> None:
        """Nothing to refill: the instances are fixed."""

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Per second at the instance's price, for the whole run (no minimum: it was never launched)."""
        return instance.price_per_hour * (stopped_at - instance.launched_at) / 3600.0

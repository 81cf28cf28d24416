"""Compute environments: hosts, placement, scaling, shortages and reclaims (see the modules).

A :class:`ComputeEnvironment` holds a provisioning strategy (EC2, Spot, Fargate, UNMANAGED) and
an :class:`EngineLinks` to the scheduler and the attempt runner; :func:`build_ce` makes one from
a scenario CE. The package's modules are listed in docs/architecture.md.
"""

from batchsim.engine.compute.build import build_ce
from batchsim.engine.compute.environment import INSUFFICIENT_CAPACITY, ComputeEnvironment, Scaling
from batchsim.engine.compute.instance import Instance, InstanceState
from batchsim.engine.compute.links import CapacityListener, EngineLinks, HostEvents
from batchsim.engine.compute.provisioning import Provisioning
from batchsim.engine.compute.spot import SpotInterruption, SpotMarket

__all__ = [
    "INSUFFICIENT_CAPACITY",
    "CapacityListener",
    "ComputeEnvironment",
    "EngineLinks",
    "HostEvents",
    "Instance",
    "InstanceState",
    "Provisioning",
    "Scaling",
    "SpotInterruption",
    "SpotMarket",
    "build_ce",
]

"""Compute environments: managed EC2/Spot scaling, Fargate tasks, unmanaged fixed instances.

The package's modules are listed in docs/architecture.md; other engine modules import what they
need from here.
"""

from batchsim.engine.compute.environment import INSUFFICIENT_CAPACITY, ComputeEnvironment
from batchsim.engine.compute.fargate import FargateEnvironment
from batchsim.engine.compute.instance import Instance, InstanceState
from batchsim.engine.compute.spot import SpotInterruption, SpotMarket
from batchsim.engine.compute.unmanaged import UnmanagedEnvironment

__all__ = [
    "INSUFFICIENT_CAPACITY",
    "ComputeEnvironment",
    "FargateEnvironment",
    "Instance",
    "InstanceState",
    "SpotInterruption",
    "SpotMarket",
    "UnmanagedEnvironment",
]

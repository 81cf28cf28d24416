"""Build the engine's compute environment of a scenario CE: its provisioning strategy, types,
limits, boot and scale-in timings, and capacity shortages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchsim.engine.compute.environment import ComputeEnvironment, Scaling
from batchsim.engine.compute.fargate import DEFAULT_PROVISIONING_S, FargateProvisioning
from batchsim.engine.compute.provisioning import Ec2Provisioning, SpotProvisioning
from batchsim.engine.compute.shortages import Shortages
from batchsim.engine.compute.spot import SpotMarket
from batchsim.engine.compute.unmanaged import UnmanagedProvisioning
from batchsim.scenario.distributions import constant, make_sampler
from batchsim.scenario.schema import SpotSettings

if TYPE_CHECKING:
    from batchsim.catalog import Catalog
    from batchsim.engine.compute.links import EngineLinks
    from batchsim.engine.compute.provisioning import Provisioning
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.schema import ComputeEnvironment as CESpec
    from batchsim.scenario.schema import SimulationSettings

FARGATE = ("FARGATE", "FARGATE_SPOT")


def build_ce(
    env: BatchEnv,
    spec: CESpec,
    catalog: Catalog,
    settings: SimulationSettings,
    links: EngineLinks,
) -> ComputeEnvironment:
    """Return the compute environment of ``spec`` (EC2, SPOT, FARGATE(_SPOT) or UNMANAGED);
    ``links`` reaches the scheduler and the attempt runner once they are attached."""
    name = spec.computeEnvironmentName
    boot_time = make_sampler(spec.simulation.bootTime, env.stream(f"boot:{name}"))
    shortages = Shortages(spec.simulation.capacityShortages, env.stream(f"capacity:{name}"))
    enabled = spec.state == "ENABLED"
    warm = spec.simulation.minvCpusReadyAtStart
    if spec.type == "UNMANAGED":
        fixed = UnmanagedProvisioning(env, spec, catalog, settings)
        total = fixed.total_vcpus
        # AWS: unmanagedvCpus is "only used for fair-share scheduling to reserve vCPU capacity";
        # without it "no vCPU capacity is reserved".
        reserve = spec.unmanagedvCpus or 0
        scaling = Scaling(
            total,
            total,
            boot_time,
            spec.simulation.scaleDownDelay,
            warm_start=warm,
            reservation_vcpus=reserve,
        )
        return ComputeEnvironment(env, name, fixed, fixed.types, scaling, shortages, links, enabled)
    resources = spec.computeResources
    assert resources is not None  # NOTE: the loader requires them on a MANAGED CE
    if resources.type in FARGATE:
        if "bootTime" not in spec.simulation.model_fields_set:
            boot_time = constant(DEFAULT_PROVISIONING_S)
        # NOTE: a task that finds no job stops at once.
        scaling = Scaling(resources.minvCpus, resources.maxvCpus, boot_time, 0.0, warm_start=warm)
        tasks = FargateProvisioning(env, spec)
        return ComputeEnvironment(env, name, tasks, [], scaling, shortages, links, enabled)
    policy = resources.scalingPolicy
    minutes = policy.minScaleDownDelayMinutes if policy else 0
    fresh_s = spec.simulation.scaleDownDelay
    delay_s = minutes * 60.0 if minutes else fresh_s
    # NOTE: AWS: the scaling policy does not apply to new instances that have not run jobs.
    scaling = Scaling(
        resources.minvCpus,
        resources.maxvCpus,
        boot_time,
        delay_s,
        warm_start=warm,
        fresh_delay_s=fresh_s,
    )
    types = catalog.resolve(resources.instanceTypes)
    ranks = catalog.priorities(resources.instanceTypes)
    strategy = resources.allocationStrategy
    provisioning: Provisioning
    if resources.type == "SPOT":
        spot = spec.simulation.spot or SpotSettings()
        market = SpotMarket(resources, spot, types, env.stream(f"spot:{name}"))
        types = [t for t in types if market.ever_launchable(t)]
        provisioning = SpotProvisioning(env, settings, strategy, market, ranks)
    else:
        provisioning = Ec2Provisioning(env, settings, strategy, ranks)
    return ComputeEnvironment(env, name, provisioning, types, scaling, shortages, links, enabled)

"""What one job reserves on an instance, resolved from a job definition and its SubmitJob.

Both the loader's checks (Fargate VCPU/MEMORY pairs) and the engine (placement) need a job's
resources, so they are worked out here, in the scenario layer that the engine imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchsim.scenario.ecs import task_requirements

if TYPE_CHECKING:
    from batchsim.scenario.schema import JobDefinition, ResourceRequirement, WorkloadEntry


@dataclass(frozen=True, slots=True)
class Shape:
    """What one job reserves on an instance: vCPUs (whole on EC2, 0.25–16 on Fargate), MiB of
    memory, whole GPUs. A multi-node parallel job reserves ``nodes`` whole instances of
    ``node_type`` (single-tenant nodes): its vCPUs, memory and GPUs are one node's instance."""

    vcpus: float
    memory_mib: float
    gpus: int = 0
    nodes: int = 0  # multi-node parallel jobs: instances per job (0: a single-node job)
    node_type: str | None = None  # multi-node parallel jobs: the one instance type of the nodes

    @property
    def held_vcpus(self) -> float:
        """vCPUs a placed job holds: its own, or all its nodes' for a multi-node parallel job."""
        return self.vcpus * (self.nodes or 1)


def _requirements(reqs: list[ResourceRequirement] | None) -> dict[str, float]:
    return {r.type: r.amount() for r in reqs or ()}


def resolve_shape(definition: JobDefinition, entry: WorkloadEntry) -> Shape:
    """Return the job's resources: definition, then SubmitJob containerOverrides (which win);
    for a multi-container job (``ecsProperties``) the sum over its containers."""
    if definition.ecsProperties is not None:
        total = task_requirements(definition.ecsProperties, entry.submit.ecsPropertiesOverride)
        return _shape(total)
    props = definition.containerProperties
    declared = {"VCPU": props.vcpus, "MEMORY": props.memory, "GPU": 0}
    values: dict[str, float] = {k: v for k, v in declared.items() if v is not None}
    values.update(_requirements(props.resourceRequirements))
    overrides = entry.submit.containerOverrides
    if overrides is not None:
        values.update(
            {k: v for k, v in (("VCPU", overrides.vcpus), ("MEMORY", overrides.memory)) if v}
        )
        values.update(_requirements(overrides.resourceRequirements))
    return _shape(values)


def _shape(values: dict[str, float]) -> Shape:
    vcpus = float(values["VCPU"])
    vcpus = int(vcpus) if vcpus.is_integer() else vcpus  # NOTE: fractions only on Fargate
    return Shape(vcpus, float(values["MEMORY"]), int(values.get("GPU", 0)))

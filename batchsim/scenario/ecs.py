"""Multi-container jobs (``ecsProperties``): AWS's rules, the resources a task reserves, its
images and the containers that decide its exit.

AWS: one task of 1–10 containers; the job reserves the sum of its containers'
``resourceRequirements``; a container is essential unless ``essential: false``; at least one
is; when an essential container stops, ECS stops the others; a non-essential container's
failure does not affect the rest of the task. ``dependsOn`` names another container of the
task, and COMPLETE/SUCCESS cannot be set on an essential one. ``containerProperties``,
``nodeProperties`` and ``ecsProperties`` exclude each other (a multi-node job gives
``ecsProperties`` per node range). batchsim runs the task as one job with one runtime (the
workload's); an essential container's ``simulation.failure`` ends it early (see
docs/modelling.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchsim.scenario.schema import (
        EcsProperties,
        EcsPropertiesOverride,
        JobDefinition,
        ResourceRequirement,
        SubmitJob,
        TaskContainerOverrides,
        TaskContainerProperties,
    )

RelativeProblem = tuple[tuple, str]  # (path inside the job definition or SubmitJob, message)
Requirements = tuple[tuple, "list[ResourceRequirement]"]  # (relative path, requirements)
CONTAINERS = ("taskProperties", 0, "containers")


def task_images(properties: EcsProperties) -> str:
    """The images a task pulls, as one key ('a' or 'a + b'): pulled once per instance."""
    return " + ".join(sorted({c.image for c in properties.containers}))


def _override_of(
    overrides: EcsPropertiesOverride | None, container: TaskContainerProperties, alone: bool
) -> TaskContainerOverrides | None:
    """The override of ``container``: the one naming it (an unnamed one if it is alone)."""
    for override in overrides.containers if overrides is not None else ():
        if override.name is None if alone else override.name == container.name:
            return override
    return None


def container_requirements(
    properties: EcsProperties, overrides: EcsPropertiesOverride | None
) -> list[dict[str, float]]:
    """Each container's requirements by type, SubmitJob overrides (per type) winning."""
    containers = properties.containers
    result = []
    for container in containers:
        values: dict[str, float] = {r.type: r.amount() for r in container.resourceRequirements}
        override = _override_of(overrides, container, len(containers) == 1)
        if override is not None:
            values.update({r.type: r.amount() for r in override.resourceRequirements or ()})
        result.append(values)
    return result


def task_requirements(
    properties: EcsProperties, overrides: EcsPropertiesOverride | None
) -> dict[str, float]:
    """Return what the task reserves: the sum of its containers' requirements by type."""
    total: dict[str, float] = {}
    for values in container_requirements(properties, overrides):
        for kind, amount in values.items():
            total[kind] = total.get(kind, 0.0) + amount
    return total


def readable(properties: EcsProperties, overrides: EcsPropertiesOverride | None) -> bool:
    """Whether every requirement value of the task and its overrides is a finite amount ≥ 0."""
    requirements = [r for c in properties.containers for r in c.resourceRequirements]
    requirements += [r for o in _overrides(overrides) for r in o.resourceRequirements or ()]
    for requirement in requirements:
        try:
            amount = requirement.amount()
        except (TypeError, ValueError):
            return False
        if not (math.isfinite(amount) and amount >= 0):
            return False
    return True


def _overrides(overrides: EcsPropertiesOverride | None) -> list[TaskContainerOverrides]:
    return overrides.containers if overrides is not None else []


def requirement_lists(properties: EcsProperties) -> Iterator[Requirements]:
    """Yield each container's resourceRequirements with its path inside ``ecsProperties``."""
    for index, container in enumerate(properties.containers):
        yield (*CONTAINERS, index, "resourceRequirements"), container.resourceRequirements


def override_lists(overrides: EcsPropertiesOverride) -> Iterator[Requirements]:
    """Yield each container override's resourceRequirements with its path inside
    ``ecsPropertiesOverride``."""
    for index, override in enumerate(overrides.containers):
        if override.resourceRequirements:
            yield (*CONTAINERS, index, "resourceRequirements"), override.resourceRequirements


# ----------------------------------------------------------------------------- rules
def definition_problems(definition: JobDefinition) -> Iterator[RelativeProblem]:
    """Yield the problems of a job definition's ``ecsProperties`` (its own and its node
    ranges'), paths relative to the definition."""
    props = definition.ecsProperties
    if props is not None:
        if definition.gives_container_properties():
            yield ("ecsProperties",), "give ecsProperties or containerProperties, not both (AWS)"
        if definition.type == "multinode" or definition.nodeProperties is not None:
            yield (
                ("ecsProperties",),
                (
                    "a multi-node parallel job gives ecsProperties per node range "
                    "(nodeProperties.nodeRangeProperties[].ecsProperties)"
                ),
            )
        yield from _prefixed(("ecsProperties",), task_problems(props))
    ranges = definition.nodeProperties.nodeRangeProperties if definition.nodeProperties else []
    for index, node_range in enumerate(ranges):
        if node_range.ecsProperties is None:
            continue
        path = ("nodeProperties", "nodeRangeProperties", index, "ecsProperties")
        if "container" in node_range.model_fields_set:
            yield path, "give the node range's container or its ecsProperties, not both (AWS)"
        yield from _prefixed(path, task_problems(node_range.ecsProperties))


def _prefixed(prefix: tuple, problems: Iterator[RelativeProblem]) -> Iterator[RelativeProblem]:
    return (((*prefix, *path), message) for path, message in problems)


def task_problems(properties: EcsProperties) -> Iterator[RelativeProblem]:
    """Yield the problems of one task: names, essential containers, dependsOn, failures."""
    containers = properties.containers
    named: dict[str, int] = {}
    for index, container in enumerate(containers):
        if container.name is None:
            continue
        if container.name in named:
            message = (
                f"container name {container.name!r} is also containers[{named[container.name]}]"
            )
            yield (*CONTAINERS, index, "name"), message
        named.setdefault(container.name, index)
    if not any(c.essential for c in containers):
        yield (
            CONTAINERS,
            "at least one container must be essential (AWS); essential is true when omitted",
        )
    for index, container in enumerate(containers):
        yield from _dependency_problems(container, index, containers, named)
        if not container.essential and container.simulation.failure is not None:
            yield (
                (*CONTAINERS, index, "simulation", "failure"),
                (
                    "a non-essential container's failure does not affect the job (AWS); "
                    "batchsim keeps no per-container exit, so this failure would change nothing: "
                    "remove it, or make the container essential"
                ),
            )


def _dependency_problems(
    container: TaskContainerProperties,
    index: int,
    containers: list[TaskContainerProperties],
    named: dict[str, int],
) -> Iterator[RelativeProblem]:
    """dependsOn names another container; COMPLETE/SUCCESS only on a non-essential one."""
    for position, dependency in enumerate(container.dependsOn):
        path = (*CONTAINERS, index, "dependsOn", position, "containerName")
        target = named.get(dependency.containerName)
        if target is None:
            known = ", ".join(sorted(named)) or "none has a name"
            yield path, f"no container named {dependency.containerName!r} in this task ({known})"
        elif target == index:
            yield path, "a container cannot depend on itself"
        elif dependency.condition != "START" and containers[target].essential:
            yield (
                path,
                (
                    f"condition {dependency.condition} cannot be set on an essential container "
                    f"({dependency.containerName!r}): it would stop the task when it exits (AWS)"
                ),
            )


def override_problems(submit: SubmitJob, definition: JobDefinition) -> Iterator[RelativeProblem]:
    """Yield the problems of a SubmitJob's ``ecsPropertiesOverride`` (and of a
    ``containerOverrides`` given for a multi-container job), paths relative to the SubmitJob."""
    props = definition.ecsProperties
    name = definition.jobDefinitionName
    if props is not None and submit.containerOverrides is not None:
        yield (
            ("containerOverrides",),
            (
                f"job definition {name!r} has ecsProperties: override its containers in "
                "ecsPropertiesOverride.taskProperties[0].containers"
            ),
        )
    overrides = submit.ecsPropertiesOverride
    if overrides is None:
        return
    if props is None:
        other = "nodeOverrides" if definition.type == "multinode" else "containerOverrides"
        yield (
            ("ecsPropertiesOverride",),
            (f"job definition {name!r} has no ecsProperties: override it with {other}"),
        )
        return
    yield from _prefixed(("ecsPropertiesOverride",), targets_problems(props, overrides))


def targets_problems(
    properties: EcsProperties, overrides: EcsPropertiesOverride
) -> Iterator[RelativeProblem]:
    """Each container override names one container of the task, once."""
    containers = properties.containers
    names = [c.name for c in containers if c.name is not None]
    seen: dict[str | None, int] = {}
    for index, override in enumerate(overrides.containers):
        path = (*CONTAINERS, index, "name")
        if override.name is None and len(containers) > 1:
            yield path, f"name the container to override (the task has {len(containers)})"
        elif override.name is not None and override.name not in names:
            known = ", ".join(names) or "none has a name"
            yield path, f"no container named {override.name!r} in the task ({known})"
        elif override.name in seen:
            yield path, f"this container is also overridden by containers[{seen[override.name]}]"
        seen.setdefault(override.name, index)

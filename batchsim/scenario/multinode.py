"""Multi-node parallel job definitions (``type: multinode``): AWS's rules, and the node
instance type and requirements the engine needs.

AWS: every node group uses one instance type; node ranges cover every node once; the main node
is one of them; nodes are single-tenant (one container per instance). batchsim needs the
instance type named (``container.instanceType`` or the range's ``instanceTypes``) to size the
nodes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from batchsim.scenario import ecs

if TYPE_CHECKING:
    from batchsim.catalog import Catalog
    from batchsim.catalog.instance_types import InstanceType
    from batchsim.scenario.schema import (
        JobDefinition,
        NodeProperties,
        NodePropertyOverride,
        NodeRangeProperty,
        ResourceRequirement,
        SimulationSettings,
        SubmitJob,
    )

RelativeProblem = tuple[tuple, str]  # (path inside the job definition, message)


def node_properties(definition: JobDefinition) -> NodeProperties:
    """Return the definition's ``nodeProperties`` (every multinode definition has them)."""
    nodes = definition.nodeProperties
    if nodes is None:
        raise ValueError(f"job definition {definition.jobDefinitionName!r} has no nodeProperties")
    return nodes


def node_instance_type(definition: JobDefinition) -> str | None:
    """Return the one instance type the definition's node ranges name (None if none does)."""
    for node_range in node_properties(definition).nodeRangeProperties:
        name = node_range.instance_type()
        if name is not None:
            return name
    return None


def main_range(definition: JobDefinition):
    """Return the node range of the main node (its image is the job's image)."""
    nodes = node_properties(definition)
    for node_range in nodes.nodeRangeProperties:
        low, high = node_range.bounds(nodes.numNodes)
        if low <= nodes.mainNode <= high:
            return node_range
    return nodes.nodeRangeProperties[0]


def node_count(definition: JobDefinition, submit: SubmitJob) -> int:
    """Return the job's number of nodes: SubmitJob's nodeOverrides.numNodes, else the
    definition's."""
    overrides = submit.nodeOverrides
    if overrides is not None and overrides.numNodes is not None:
        return overrides.numNodes
    return node_properties(definition).numNodes


def definition_problems(
    definition: JobDefinition, catalog: Catalog, settings: SimulationSettings
) -> Iterator[RelativeProblem]:
    """Yield the problems of a job definition's multi-node parts."""
    nodes = definition.nodeProperties
    if definition.type == "container":
        if nodes is not None:
            yield ("nodeProperties",), "nodeProperties belong to type: multinode"
        return
    if nodes is None:
        yield ("type",), "a multinode job definition needs nodeProperties"
        return
    if definition.gives_container_properties():
        yield (
            ("containerProperties",),
            (
                "a multinode job definition gives its containers in "
                "nodeProperties.nodeRangeProperties[].container"
            ),
        )
    if definition.platformCapabilities and "FARGATE" in definition.platformCapabilities:
        yield ("platformCapabilities",), "Fargate does not run multi-node parallel jobs"
    if nodes.mainNode >= nodes.numNodes:
        message = f"mainNode {nodes.mainNode} is not one of the {nodes.numNodes} nodes (0–{nodes.numNodes - 1})"
        yield ("nodeProperties", "mainNode"), message
    yield from _coverage(definition)
    yield from _instance_type(definition, catalog, settings)


def _coverage(definition: JobDefinition) -> Iterator[RelativeProblem]:
    """Every node is in exactly one range."""
    nodes = node_properties(definition)
    covered: dict[int, int] = {}
    for index, node_range in enumerate(nodes.nodeRangeProperties):
        path = ("nodeProperties", "nodeRangeProperties", index, "targetNodes")
        low, high = node_range.bounds(nodes.numNodes)
        if not low <= high < nodes.numNodes:
            yield path, f"{node_range.targetNodes!r} is not a range of nodes 0–{nodes.numNodes - 1}"
            continue
        for node in range(low, high + 1):
            if node in covered:
                yield path, f"node {node} is also in nodeRangeProperties[{covered[node]}]"
                break
            covered[node] = index
    missing = [n for n in range(nodes.numNodes) if n not in covered]
    if missing:
        yield ("nodeProperties", "nodeRangeProperties"), f"no range covers node(s) {missing}"


def _instance_type(
    definition: JobDefinition, catalog: Catalog, settings: SimulationSettings
) -> Iterator[RelativeProblem]:
    """One instance type, named, known, and big enough for every node's container."""
    ranges = node_properties(definition).nodeRangeProperties
    named = {name for r in ranges if (name := r.instance_type()) is not None}
    path = ("nodeProperties", "nodeRangeProperties")
    if len(named) > 1:
        yield path, f"node groups use one instance type on AWS; got {', '.join(sorted(named))}"
        return
    if not named:
        yield (
            path,
            (
                "name the node instance type (container.instanceType or instanceTypes): "
                "batchsim sizes the nodes by it"
            ),
        )
        return
    (name,) = named
    itype = catalog.get(name)
    if itype is None:
        yield path, f"unknown instance type {name!r} (not in the catalog or customInstanceTypes)"
        return
    allocatable = settings.allocatable_mib(itype.memory_mib)
    for index, node_range in enumerate(ranges):
        if node_range.ecsProperties is not None:
            if ecs.readable(node_range.ecsProperties, None):
                need = ecs.task_requirements(node_range.ecsProperties, None)
                message = _fit_problem(need, itype, allocatable)
                if message is not None:
                    yield (*path, index, "ecsProperties", *ecs.CONTAINERS), message
            continue  # NOTE: unreadable values are reported by checks._ecs
        where = (*path, index, "container", "resourceRequirements")
        need, unreadable = _amounts(node_range.container.resourceRequirements)
        for position, requirement in unreadable:
            yield (
                (*where, position, "value"),
                (
                    f"{requirement.type} value must be a non-negative number, got {requirement.value!r}"
                ),
            )
        if not unreadable:
            message = _fit_problem(need, itype, allocatable)
            if message is not None:
                yield where, message


def _fit_problem(need: dict[str, float], itype: InstanceType, allocatable: float) -> str | None:
    """Why a node asking ``need`` does not fit an instance of ``itype`` (None if it fits)."""
    name = itype.name
    if "VCPU" not in need or "MEMORY" not in need:
        return "give the node's VCPU and MEMORY requirements"
    if need["VCPU"] > itype.vcpus or need["MEMORY"] > allocatable:
        return (
            f"a node needs {need['VCPU']:g} vCPUs and {need['MEMORY']:g} MiB; {name} has "
            f"{itype.vcpus} vCPUs and {allocatable:.0f} MiB allocatable"
        )
    if need.get("GPU", 0) > itype.gpus:
        return f"a node needs {need['GPU']:g} GPUs; {name} has {itype.gpus}"
    return None


def _amounts(
    requirements: list[ResourceRequirement],
) -> tuple[dict[str, float], list[tuple[int, ResourceRequirement]]]:
    """Return a node container's requirements by type, and those whose value is no amount
    (each with its position in the list)."""
    need: dict[str, float] = {}
    unreadable = []
    for position, requirement in enumerate(requirements):
        try:
            amount = requirement.amount()
        except (TypeError, ValueError):
            amount = math.nan
        if math.isfinite(amount) and amount >= 0:
            need[requirement.type] = amount
        else:
            unreadable.append((position, requirement))
    return need, unreadable


# ----------------------------------------------------------------------------- nodeOverrides
def node_override_problems(
    submit: SubmitJob, definition: JobDefinition, catalog: Catalog, settings: SimulationSettings
) -> Iterator[RelativeProblem]:
    """Yield the problems of a SubmitJob's ``nodeOverrides``, paths relative to the SubmitJob:
    AWS's rules for ``numNodes``, target ranges among the job's nodes, overridden node
    containers that still fit the node instance type."""
    overrides = submit.nodeOverrides
    if overrides is None:
        return
    if definition.type != "multinode" or definition.nodeProperties is None:
        yield (
            ("nodeOverrides",),
            (
                f"nodeOverrides apply to multi-node parallel jobs; job definition "
                f"{definition.jobDefinitionName!r} is not one (type: multinode)"
            ),
        )
        return
    yield from _num_nodes(definition, overrides.numNodes)
    nodes = node_count(definition, submit)
    for index, override in enumerate(overrides.nodePropertyOverrides):
        path = ("nodeOverrides", "nodePropertyOverrides", index)
        yield from _override_problems(definition, override, nodes, path, catalog, settings)


def _num_nodes(definition: JobDefinition, count: int | None) -> Iterator[RelativeProblem]:
    """AWS: overriding numNodes needs an open-ended range, every range starting below it and
    the main node among the nodes."""
    if count is None:
        return
    nodes = node_properties(definition)
    path = ("nodeOverrides", "numNodes")
    if not any(r.open_ended for r in nodes.nodeRangeProperties):
        yield (
            path,
            "numNodes can be overridden only when a node range of the job definition is open-ended ('n:')",
        )
    if nodes.mainNode >= count:
        yield path, f"mainNode {nodes.mainNode} is not one of the {count} nodes (0–{count - 1})"
    for node_range in nodes.nodeRangeProperties:
        low, high = node_range.bounds(count)
        if low >= count or high >= count:
            yield (
                path,
                f"node range {node_range.targetNodes!r} reaches beyond the {count} nodes (0–{count - 1})",
            )


def _override_problems(
    definition: JobDefinition,
    override: NodePropertyOverride,
    nodes: int,
    path: tuple,
    catalog: Catalog,
    settings: SimulationSettings,
) -> Iterator[RelativeProblem]:
    """One nodePropertyOverride: its nodes exist, what it overrides is modelled, and every
    node it targets still fits the node instance type."""
    low, high = override.bounds(nodes)
    if not low <= high < nodes:
        yield (
            (*path, "targetNodes"),
            f"{override.targetNodes!r} is not a range of nodes 0–{nodes - 1}",
        )
        return
    # NOTE: late import, so `python3 -m batchsim.scenario.aws_fields` runs without a warning
    from batchsim.scenario.aws_fields import FIELDS

    containers = override.containerOverrides
    if override.instanceTypes is not None or (containers and containers.instanceType is not None):
        yield path, FIELDS["NodePropertyOverride.instanceTypes"].detail
    # NOTE: refused here, not by the schema, so the entry's other checks still run
    for key in ("eksPropertiesOverride", "consumableResourcePropertiesOverride"):
        if getattr(override, key) is not None:
            yield (*path, key), FIELDS[f"NodePropertyOverride.{key}"].detail
    name = node_instance_type(definition)
    itype = catalog.get(name) if name is not None else None
    if itype is None:
        return  # NOTE: reported by the definition's own checks
    allocatable = settings.allocatable_mib(itype.memory_mib)
    for index, node_range in enumerate(node_properties(definition).nodeRangeProperties):
        first, last = node_range.bounds(nodes)
        if first > high or last < low:
            continue
        yield from _range_override(node_range, index, override, path, itype, allocatable)


def _range_override(
    node_range: NodeRangeProperty,
    index: int,
    override: NodePropertyOverride,
    path: tuple,
    itype: InstanceType,
    allocatable: float,
) -> Iterator[RelativeProblem]:
    """The override as applied to node range ``index``: the right kind, and a node that fits."""
    where = f"nodeRangeProperties[{index}]"
    task = node_range.ecsProperties
    kind, other = (
        ("ecsPropertiesOverride", "containerOverrides")
        if task is not None
        else ("containerOverrides", "ecsPropertiesOverride")
    )
    if getattr(override, other) is not None:
        has = "ecsProperties" if task is not None else "a container"
        yield (*path, other), f"{where} has {has}: use {kind}"
        return
    if task is not None:
        tasks = override.ecsPropertiesOverride
        if tasks is not None:
            for relative, message in ecs.targets_problems(task, tasks):
                yield (*path, kind, *relative), message
        readable = ecs.readable(task, tasks)
        need = ecs.task_requirements(task, tasks) if readable else {}
    else:
        need, readable = _overridden_need(node_range, override)
    if not readable:
        return  # NOTE: unreadable values are reported where they are given (checks.py)
    misfit = _fit_problem(need, itype, allocatable)
    if misfit is not None:
        yield (*path, kind), f"on the nodes of {where}: {misfit}"


def _overridden_need(
    node_range: NodeRangeProperty, override: NodePropertyOverride
) -> tuple[dict[str, float], bool]:
    """Return what a node of a container range asks once ``override`` is applied, and whether
    every value could be read."""
    need, unreadable = _amounts(node_range.container.resourceRequirements)
    containers = override.containerOverrides
    if containers is not None:
        legacy = (("VCPU", containers.vcpus), ("MEMORY", containers.memory))
        need.update({kind: float(value) for kind, value in legacy if value is not None})
        extra, bad = _amounts(containers.resourceRequirements or [])
        need.update(extra)
        unreadable += bad
    return need, not unreadable

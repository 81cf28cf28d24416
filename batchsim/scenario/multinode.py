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

if TYPE_CHECKING:
    from batchsim.catalog import Catalog
    from batchsim.scenario.schema import (
        JobDefinition,
        NodeProperties,
        ResourceRequirement,
        SimulationSettings,
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


def main_container(definition: JobDefinition):
    """Return the container properties of the main node (its image is the job's image)."""
    nodes = node_properties(definition)
    for node_range in nodes.nodeRangeProperties:
        low, high = node_range.bounds(nodes.numNodes)
        if low <= nodes.mainNode <= high:
            return node_range.container
    return nodes.nodeRangeProperties[0].container


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
    if "containerProperties" in definition.model_fields_set:
        yield ("containerProperties",), (
            "a multinode job definition gives its containers in "
            "nodeProperties.nodeRangeProperties[].container"
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
        yield path, "name the node instance type (container.instanceType): batchsim sizes the nodes by it"
        return
    (name,) = named
    itype = catalog.get(name)
    if itype is None:
        yield path, f"unknown instance type {name!r} (not in the catalog or customInstanceTypes)"
        return
    allocatable = settings.allocatable_mib(itype.memory_mib)
    for index, node_range in enumerate(ranges):
        where = (*path, index, "container", "resourceRequirements")
        need, unreadable = _amounts(node_range.container.resourceRequirements)
        for position, requirement in unreadable:
            yield (*where, position, "value"), (
                f"{requirement.type} value must be a non-negative number, got {requirement.value!r}"
            )
        if unreadable:
            continue
        if "VCPU" not in need or "MEMORY" not in need:
            yield where, "give the node's VCPU and MEMORY requirements"
        elif need["VCPU"] > itype.vcpus or need["MEMORY"] > allocatable:
            yield where, (
                f"a node needs {need['VCPU']:g} vCPUs and {need['MEMORY']:g} MiB; {name} has "
                f"{itype.vcpus} vCPUs and {allocatable:.0f} MiB allocatable"
            )
        elif need.get("GPU", 0) > itype.gpus:
            yield where, f"a node needs {need['GPU']:g} GPUs; {name} has {itype.gpus}"


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

"""Consumable resources (AWS resource-aware scheduling): what each job needs, and the loader's
checks of the names and quantities.

A job needs the ``consumableResourceProperties`` of its job definition, with SubmitJob's
``consumableResourcePropertiesOverride`` replacing the quantity of each resource it names. A
multi-node parallel job also needs, for every node of a node range, that range's list (the
definition's own list counts once per job), its nodes counted as the engine does (SubmitJob's
``nodeOverrides.numNodes`` when given). Pure functions of the validated scenario: the
engine and the loader's checks share them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from batchsim.errors import Problem
from batchsim.scenario.multinode import node_count
from batchsim.scenario.schema import definition_name
from batchsim.scenario.yamlmap import Path, format_path

if TYPE_CHECKING:
    from batchsim.scenario.schema import (
        ConsumableResourceProperties,
        JobDefinition,
        Scenario,
        WorkloadEntry,
    )

LIST = ("consumableResourceProperties", "consumableResourceList")


def resource_name(reference: str) -> str:
    """Return the resource a ``consumableResource`` names (a name, or an ARN
    ``arn:aws:batch:…:consumable-resource/<name>``)."""
    return reference.rsplit("consumable-resource/", 1)[-1]


def _quantities(properties: ConsumableResourceProperties | None) -> dict[str, int]:
    """Return resource name → quantity of one ``consumableResourceProperties`` block."""
    if properties is None:
        return {}
    return {
        resource_name(item.consumableResource): item.quantity
        for item in properties.consumableResourceList
    }


def job_needs(definition: JobDefinition, entry: WorkloadEntry) -> dict[str, int]:
    """Return what one job of ``entry`` holds of each resource from STARTING to the end of its
    attempt (resources of quantity 0 left out), in the order first named."""
    needs = _quantities(definition.consumableResourceProperties)
    needs.update(_quantities(entry.submit.consumableResourcePropertiesOverride))
    nodes = definition.nodeProperties
    if definition.type == "multinode" and nodes is not None:
        num_nodes = node_count(definition, entry.submit)  # SubmitJob's nodeOverrides count
        for node_range in nodes.nodeRangeProperties:
            low, high = node_range.bounds(num_nodes)
            count = max(min(high, num_nodes - 1) - low + 1, 0)
            for name, quantity in _quantities(node_range.consumableResourceProperties).items():
                needs[name] = needs.get(name, 0) + quantity * count
    return {name: quantity for name, quantity in needs.items() if quantity > 0}


def consumable_problems(scenario: Scenario) -> Iterator[Problem]:
    """Yield every problem of the scenario's consumable resources: requirements naming an
    unknown resource or listing one twice, and quantities (per requirement, and per job once
    overrides and node ranges are summed) above the resource's ``totalQuantity``."""
    totals: dict[str, int] = {}
    for resource in scenario.consumableResources:
        if resource is not None:  # NOTE: the first of duplicate names counts (reported apart)
            totals.setdefault(resource.consumableResourceName, resource.totalQuantity)
    definitions = {}
    for index, definition in enumerate(scenario.jobDefinitions):
        if definition is None:
            continue
        definitions[definition.jobDefinitionName] = definition
        path: Path = ("jobDefinitions", index)
        yield from _list_problems(definition.consumableResourceProperties, path, totals)
        if definition.nodeProperties is not None:
            for r_index, node_range in enumerate(definition.nodeProperties.nodeRangeProperties):
                r_path = (*path, "nodeProperties", "nodeRangeProperties", r_index)
                yield from _list_problems(node_range.consumableResourceProperties, r_path, totals)
    for index, entry in enumerate(scenario.workload):
        if entry is None:
            continue
        override = entry.submit.consumableResourcePropertiesOverride
        path = ("workload", index, "submit")
        yield from _list_problems(override, path, totals, "consumableResourcePropertiesOverride")
        used = definitions.get(definition_name(entry.submit.jobDefinition))
        if used is not None and used.type == "multinode":
            yield from _job_problems(used, entry, path, totals)


def _list_problems(
    properties: ConsumableResourceProperties | None,
    path: Path,
    totals: dict[str, int],
    key: str = "consumableResourceProperties",
) -> Iterator[Problem]:
    """Yield the problems of one ``consumableResourceList`` at ``path`` (under ``key``)."""
    if properties is None:
        return
    seen: set[str] = set()
    for index, item in enumerate(properties.consumableResourceList):
        where = (*path, key, LIST[1], index)
        name = resource_name(item.consumableResource)
        total = totals.get(name)
        if total is None:
            yield Problem(format_path((*where, "consumableResource")), _unknown(name, totals))
        elif item.quantity > total:
            yield Problem(
                format_path((*where, "quantity")),
                f"quantity {item.quantity} is more than the totalQuantity {total} of consumable "
                f"resource {name!r}: the job could never start",
            )
        if name in seen:
            yield Problem(
                format_path((*where, "consumableResource")),
                f"consumable resource {name!r} is listed twice; give it once with its quantity",
            )
        seen.add(name)


def _job_problems(
    definition: JobDefinition, entry: WorkloadEntry, path: Path, totals: dict[str, int]
) -> Iterator[Problem]:
    """Yield a problem for each resource a multi-node job needs more of than there is once its
    nodes are summed, unless a single requirement already says so."""
    blocks = [definition.consumableResourceProperties]
    blocks.append(entry.submit.consumableResourcePropertiesOverride)
    if definition.nodeProperties is not None:
        blocks.extend(
            r.consumableResourceProperties for r in definition.nodeProperties.nodeRangeProperties
        )
    largest: dict[str, int] = {}
    for block in blocks:
        for name, quantity in _quantities(block).items():
            largest[name] = max(largest.get(name, 0), quantity)
    for name, quantity in job_needs(definition, entry).items():
        total = totals.get(name)
        if total is not None and largest[name] <= total < quantity:
            yield Problem(
                format_path(path),
                f"one job needs {quantity} of consumable resource {name!r} (its nodes and "
                f"overrides summed) but its totalQuantity is {total}: the job could never start",
            )


def _unknown(name: str, totals: dict[str, int]) -> str:
    """Return the message for a requirement naming an unknown resource."""
    if not totals:
        return f"unknown consumable resource {name!r}: the scenario has no consumableResources"
    message = f"unknown consumable resource {name!r}"
    close = difflib.get_close_matches(name, sorted(totals), n=1)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    return f"{message}; known: {', '.join(sorted(totals))}"

"""Rules that span several objects of a validated :class:`Scenario`.

Pydantic checks each object on its own; these rules check how objects refer to each other
(names that must exist and be unique), what the catalog knows (instance types, architectures),
AWS rules the models cannot see alone, and features this release does not simulate yet. Every
rule yields :class:`Problem` objects whose path is in the dotted form of
:func:`~batchsim.scenario.yamlmap.format_path`, so the loader can add the YAML line.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from batchsim.catalog.fargate import FARGATE_VCPU_VALUES, combination_problem
from batchsim.catalog.spot import price_points
from batchsim.clock import wall_clock
from batchsim.errors import BatchsimError, Problem
from batchsim.scenario import ecs
from batchsim.scenario.consumables import consumable_problems
from batchsim.scenario.distributions import mean_of
from batchsim.scenario.multinode import definition_problems, node_override_problems
from batchsim.scenario.schedules import parse_schedule
from batchsim.scenario.schema import (
    REVISION,
    Action,
    ComputeEnvironment,
    ComputeResources,
    ConsumableResource,
    CustomInstanceType,
    JobDefinition,
    JobQueue,
    ResourceRequirement,
    RetryStrategy,
    Scenario,
    SchedulingPolicy,
    SimulationSettings,
    SpotSettings,
    SpotTypeSettings,
    WorkloadEntry,
    definition_name,
)
from batchsim.scenario.shapes import resolve_shape
from batchsim.scenario.yamlmap import Path, format_path

if TYPE_CHECKING:
    from batchsim.catalog import Catalog
    from batchsim.scenario.schema import UpdateComputeResources

NOT_YET = "not supported yet in this release"
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
UNMANAGED_VCPUS = (
    "unmanagedvCpus is for UNMANAGED compute environments only (AWS): a managed one reserves "
    "fair-share capacity out of its maxvCpus"
)

_NAMED_LISTS = (
    ("customInstanceTypes", "instanceType", "custom instance type"),
    ("computeEnvironments", "computeEnvironmentName", "compute environment"),
    ("jobQueues", "jobQueueName", "job queue"),
    ("jobDefinitions", "jobDefinitionName", "job definition"),
    ("workload", "name", "workload entry"),
    ("schedulingPolicies", "name", "scheduling policy"),
    ("consumableResources", "consumableResourceName", "consumable resource"),
)
_LEGACY_KEY = {"VCPU": "vcpus", "MEMORY": "memory"}
_EXIT_CODE = re.compile(r"[0-9]*\*?")
_REASON_CHARACTERS = frozenset(".: \t")
QUOTAS = (("jobQueues", "job queues", 50), ("computeEnvironments", "compute environments", 50))
"""AWS Batch's fixed per-Region quotas on how many of each a scenario (an account) may have."""
MAX_TAGS = 50
TAG_KEY_LENGTH = (1, 128)  # AWS TagKey: min, max characters
TAG_VALUE_MAX_LENGTH = 256  # AWS TagValue
"""AWS's most tags per resource (the tag restrictions of every Batch resource)."""
RESERVED_ENVIRONMENT_PREFIX = "AWS_BATCH"
"""AWS reserves environment variable names with this prefix for the variables Batch sets."""


def _each(items: list) -> Iterator[tuple[int, Any]]:
    """Yield (index, item) for the items that validated (a partial scenario holds None for
    the others, so indices, and with them the reported paths, stay those of the file)."""
    return ((index, item) for index, item in enumerate(items) if item is not None)


def _valid(items: list) -> list:
    """Return the items that validated."""
    return [item for item in items if item is not None]


def _problem(path: Path, message: str) -> Problem:
    return Problem(format_path(path), message)


def _revision_problem(reference: str) -> str | None:
    """Each ``jobDefinitions`` entry is revision 1 of its name: only ``name`` and ``name:1``
    name a revision that exists."""
    match = REVISION.search(reference)
    if match is None or int(match.group(1)) == 1:
        return None
    name = definition_name(reference)
    return (
        f"job definition {name!r} has only revision 1 here (each jobDefinitions entry is "
        f"revision 1), so {reference!r} does not exist; use {name!r} or '{name}:1'"
    )


# ----------------------------------------------------------------------------- names
# NOTE: these rules also run on raw data that pydantic rejected (so an unknown queue is
# reported together with a typo elsewhere); they read models and plain mappings alike.
def _get(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    return getattr(node, key, None) if isinstance(node, BaseModel) else None


def _items(node: Any, key: str) -> list[tuple[int, Any]]:
    """Return (index, item) for the mappings in the list ``node[key]``; [] when malformed."""
    items = _get(node, key)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict | BaseModel)]


def _text(node: Any, key: str) -> str | None:
    value = _get(node, key)
    return value if isinstance(value, str) else None


def _names(data: Any, list_key: str, name_key: str) -> set[str] | None:
    """Return the names in a list, or None if one is unusable (its problem is reported elsewhere)."""
    items = _get(data, list_key)
    if not isinstance(items, list):
        return None
    names = [_text(item, name_key) for item in items]
    known = {name for name in names if name is not None}
    return None if None in names else known


def _reference(
    path: Path, noun: str, name: str | None, known: set[str] | None
) -> Iterator[Problem]:
    """Yield a problem at ``path`` when ``name`` is not among the ``known`` names."""
    if name is None or known is None or name in known:
        return
    message = f"unknown {noun} {name!r}"
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    elif known:
        message += f"; known: {', '.join(sorted(known))}"
    yield _problem(path, message)


def _unique_names(data: Any) -> Iterator[Problem]:
    for list_key, name_key, noun in _NAMED_LISTS:
        first: dict[str, int] = {}
        for index, item in _items(data, list_key):
            name = _text(item, name_key)
            if name in first:
                earlier = format_path((list_key, first[name]))
                message = f"duplicate {noun} name {name!r} (also used by {earlier})"
                yield _problem((list_key, index, name_key), message)
            if name is not None:
                first.setdefault(name, index)


def _queue_references(data: Any) -> Iterator[Problem]:
    known = _names(data, "computeEnvironments", "computeEnvironmentName")
    for q_index, queue in _items(data, "jobQueues"):
        orders: dict[Any, int] = {}
        for index, entry in _items(queue, "computeEnvironmentOrder"):
            path = ("jobQueues", q_index, "computeEnvironmentOrder", index)
            name, order = _text(entry, "computeEnvironment"), _get(entry, "order")
            yield from _reference((*path, "computeEnvironment"), "compute environment", name, known)
            if not isinstance(order, int):
                continue
            if order in orders:
                message = (
                    f"order {order} is already used by computeEnvironmentOrder[{orders[order]}]"
                )
                yield _problem((*path, "order"), f"{message}; orders must be unique within a queue")
            orders.setdefault(order, index)


def _submit_references(data: Any) -> Iterator[Problem]:
    queues = _names(data, "jobQueues", "jobQueueName")
    definitions = _names(data, "jobDefinitions", "jobDefinitionName")
    for index, entry in _items(data, "workload"):
        path, submit = ("workload", index, "submit"), _get(entry, "submit")
        queue, definition = _text(submit, "jobQueue"), _text(submit, "jobDefinition")
        yield from _reference((*path, "jobQueue"), "job queue", queue, queues)
        name = definition_name(definition) if definition is not None else None
        yield from _reference((*path, "jobDefinition"), "job definition", name, definitions)
        revision = _revision_problem(definition) if definition is not None else None
        if revision is not None and definitions is not None and name in definitions:
            yield _problem((*path, "jobDefinition"), revision)


def check_references(data: Any) -> list[Problem]:
    """Return the naming problems of ``data``: duplicate names and references to unknown names.

    ``data`` is a :class:`Scenario` or the raw mapping loaded from YAML, even one that failed
    validation: malformed parts are skipped, and a list with an unusable name is not used to
    call references unknown.
    """
    return [*_unique_names(data), *_queue_references(data), *_submit_references(data)]


# ----------------------------------------------------------------------------- compute
def _compute_environments(scenario: Scenario, catalog: Catalog) -> Iterator[Problem]:
    for index, ce in _each(scenario.computeEnvironments):
        path = ("computeEnvironments", index)
        if ce.type == "UNMANAGED":
            yield from _unmanaged(ce, path, catalog)
            continue
        if ce.simulation.instances:
            yield _problem(
                (*path, "simulation", "instances"),
                "instances are for UNMANAGED compute environments",
            )
        if ce.unmanagedvCpus is not None:
            yield _problem((*path, "unmanagedvCpus"), UNMANAGED_VCPUS)
        if ce.computeResources is not None:
            yield from _compute_resources(ce.computeResources, (*path, "computeResources"), catalog)
            yield from _spot_market(ce, ce.computeResources, path, catalog)
        elif ce.type == "MANAGED":
            yield _problem(
                (*path, "computeResources"), "a MANAGED compute environment needs computeResources"
            )


def _unmanaged(ce: ComputeEnvironment, path: Path, catalog: Catalog) -> Iterator[Problem]:
    """An UNMANAGED CE has no computeResources (AWS) and lists its instances in simulation."""
    if ce.computeResources is not None:
        yield _problem(
            (*path, "computeResources"), "an UNMANAGED compute environment has no computeResources"
        )
    if not ce.simulation.instances:
        yield _problem(
            (*path, "simulation", "instances"),
            "list the instances of an UNMANAGED compute environment, e.g. [{instanceType: c5.xlarge, count: 4}]",
        )
    for index, instances in enumerate(ce.simulation.instances):
        if catalog.get(instances.instanceType) is None:
            yield _problem(
                (*path, "simulation", "instances", index, "instanceType"),
                f"unknown instance type {instances.instanceType!r} (an exact type, from the catalog or customInstanceTypes)",
            )


def _compute_resources(
    resources: ComputeResources, path: Path, catalog: Catalog
) -> Iterator[Problem]:
    if resources.type in FARGATE_TYPES:
        yield from _fargate_resources(resources, path)
    if resources.bidPercentage is not None and resources.type != "SPOT":
        yield _problem(
            (*path, "bidPercentage"), "bidPercentage applies to SPOT compute environments only"
        )
    strategy = resources.allocationStrategy
    if resources.type == "EC2" and strategy.startswith("SPOT_"):
        yield _problem(
            (*path, "allocationStrategy"),
            f"{strategy} is for SPOT compute environments only (AWS rejects it on EC2); "
            "use BEST_FIT, BEST_FIT_PROGRESSIVE or BEST_FIT_PROGRESSIVE_ORDERED",
        )
    if resources.type == "SPOT" and strategy == "BEST_FIT_PROGRESSIVE_ORDERED":
        yield _problem(
            (*path, "allocationStrategy"),
            "BEST_FIT_PROGRESSIVE_ORDERED is for on-demand (EC2) compute environments only; "
            "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED follows the list order on Spot",
        )
    if resources.type == "SPOT" and strategy == "BEST_FIT" and resources.spotIamFleetRole is None:
        given = "allocationStrategy" in resources.model_fields_set
        yield _problem(
            (*path, "allocationStrategy") if given else path,
            "a SPOT compute environment with allocationStrategy BEST_FIT (the default) needs "
            "spotIamFleetRole, the Spot Fleet role's ARN (AWS requires it; batchsim does not "
            "use it), or another allocationStrategy",
        )
    desired = resources.desiredvCpus
    if desired is not None and not resources.minvCpus <= desired <= resources.maxvCpus:
        yield _problem(
            (*path, "desiredvCpus"),
            f"desiredvCpus ({desired}) must lie between "
            f"minvCpus ({resources.minvCpus}) and maxvCpus ({resources.maxvCpus})",
        )
    if resources.type not in FARGATE_TYPES:
        yield from _instance_types(resources.instanceTypes, (*path, "instanceTypes"), catalog)


def _fargate_resources(resources: ComputeResources, path: Path) -> Iterator[Problem]:
    """AWS rejects EC2-only settings on a Fargate compute environment."""
    for key in ("instanceTypes", "allocationStrategy", "bidPercentage", "scalingPolicy"):
        if key in resources.model_fields_set:
            yield _problem(
                (*path, key), f"{key} does not apply to {resources.type} compute environments"
            )
    for key in ("minvCpus", "desiredvCpus"):
        if getattr(resources, key):
            yield _problem(
                (*path, key), f"{key} does not apply to {resources.type} (leave it out or 0)"
            )


def _spot_market(
    ce: ComputeEnvironment, resources: ComputeResources, path: Path, catalog: Catalog
) -> Iterator[Problem]:
    """A SPOT CE needs a Spot price for some type; ``simulation.spot`` belongs to SPOT CEs and
    names only the CE's own types (``resources``, its computeResources)."""
    spot = ce.simulation.spot
    if resources.type in FARGATE_TYPES:
        yield from _fargate_simulation(ce, resources.type, path)
        return
    if resources.type != "SPOT":
        if spot is not None:
            yield _problem(
                (*path, "simulation", "spot"),
                "spot settings apply to SPOT compute environments only",
            )
        return
    try:
        types = catalog.resolve(resources.instanceTypes)
    except BatchsimError:
        return  # reported by _instance_types
    overrides = spot.instanceTypes if spot is not None else {}
    yield from _lifetimes_outlive_boot(ce, path)
    names = {t.name for t in types}
    for name in overrides:
        if name not in names:
            yield _problem(
                (*path, "simulation", "spot", "instanceTypes", name),
                f"{name} is not one of this compute environment's instance types{_close(name, names)}",
            )
    priced = [
        t for t in types if t.spot_savings_pct is not None or _has_price(overrides.get(t.name))
    ]
    if types and not priced:
        yield _problem(
            (*path, "computeResources", "instanceTypes"),
            "the Spot Advisor has no savings figure for any of these types, so their Spot price is "
            "unknown; give one under simulation.spot.instanceTypes.<type>.price",
        )
    bid = resources.bidPercentage
    if priced and bid is not None:
        share = min(_lowest_share(t, overrides.get(t.name)) for t in priced)
        if share * 100 > bid + 1e-9:
            yield _problem(
                (*path, "computeResources", "bidPercentage"),
                f"bidPercentage {bid} is below the Spot price of every type (the cheapest is "
                f"{share:.0%} of on-demand): nothing would ever launch",
            )


def _lowest_share(itype, override) -> float:
    """The lowest Spot price of ``itype`` over the run, as a share of its on-demand price."""
    points = price_points(itype, override)
    assert points is not None  # NOTE: only types with a known Spot price are asked
    lowest = min(price for _, price in points)
    return lowest / itype.on_demand_price_per_hour if itype.on_demand_price_per_hour else 0.0


def _lifetimes_outlive_boot(ce: ComputeEnvironment, path: Path) -> Iterator[Problem]:
    """Spot instances that live, on average, no longer than they take to boot never run a job:
    the CE would launch replacements forever."""
    spot = ce.simulation.spot
    if spot is None:
        return
    boot_s = mean_of(ce.simulation.bootTime)
    given: list[tuple[Path, SpotSettings | SpotTypeSettings]] = [(("simulation", "spot"), spot)]
    given += [
        (("simulation", "spot", "instanceTypes", name), s) for name, s in spot.instanceTypes.items()
    ]
    for where, settings in given:
        model = settings.lifetime_model()
        if model is None or model == math.inf:
            continue
        mean_s = mean_of(model)
        if mean_s <= boot_s:
            yield _problem(
                (*path, *where),
                f"instances would live {mean_s:g} s on average but take {boot_s:g} s to boot: "
                "no job could ever start (make the lifetime longer or the boot shorter)",
            )


def _fargate_simulation(ce: ComputeEnvironment, kind: str, path: Path) -> Iterator[Problem]:
    spot = ce.simulation.spot
    if spot is not None and kind != "FARGATE_SPOT":
        yield _problem(
            (*path, "simulation", "spot"), "spot settings apply to SPOT and FARGATE_SPOT only"
        )
    elif spot is not None and spot.instanceTypes:
        yield _problem(
            (*path, "simulation", "spot", "instanceTypes"), "Fargate has no instance types"
        )
    if ce.simulation.capacityShortages:
        yield _problem(
            (*path, "simulation", "capacityShortages"),
            f"capacity shortages on Fargate are {NOT_YET}",
        )


def _has_price(override) -> bool:
    return override is not None and (override.price is not None or override.priceSeries is not None)


def _close(name: str, names: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(names), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _instance_types(entries: list[str], path: Path, catalog: Catalog) -> Iterator[Problem]:
    """Resolve each entry on its own, so a problem points at the entry that caused it."""
    by_architecture: dict[str, list[str]] = {}
    for index, entry in enumerate(entries):
        try:
            resolved = catalog.resolve([entry])
        except BatchsimError as error:
            yield _problem((*path, index), str(error))
            continue
        for architecture in sorted({itype.architecture for itype in resolved}):
            by_architecture.setdefault(architecture, []).append(entry)
    if len(by_architecture) > 1:
        mix = "; ".join(f"{arch}: {', '.join(names)}" for arch, names in by_architecture.items())
        yield _problem(path, f"mixes architectures ({mix}); a compute environment has one")


# ----------------------------------------------------------------------------- job resources
def _number(requirement: ResourceRequirement) -> float | None:
    try:
        return requirement.amount()
    except (TypeError, ValueError):
        return None


def _requirement_problem(requirement: ResourceRequirement, fargate: bool = False) -> str | None:
    number = _number(requirement)
    kind, got = requirement.type, f"got {requirement.value!r}"
    if number is None:
        return f"{kind} value must be a number, {got}"
    whole = number.is_integer()
    if kind == "VCPU" and fargate:
        if number not in FARGATE_VCPU_VALUES:
            return combination_problem(number, 0)
    elif kind == "VCPU" and not (whole and number >= 1):
        return f"VCPU must be a whole number ≥ 1 on EC2 (fractions are for Fargate), {got}"
    if kind == "MEMORY" and not number >= 4:
        return f"MEMORY must be at least 4 MiB, {got}"
    if kind == "GPU" and fargate and number:
        return f"Fargate has no GPUs, {got}"
    if kind == "GPU" and not (whole and number >= 0):
        return f"GPU must be a whole number ≥ 0, {got}"
    return None


def _requirements(
    requirements: list[ResourceRequirement], path: Path, fargate: bool = False
) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, requirement in enumerate(requirements):
        if requirement.type in first:
            yield _problem(
                (*path, index, "type"),
                f"{requirement.type} is given twice "
                f"(also resourceRequirements[{first[requirement.type]}])",
            )
        first.setdefault(requirement.type, index)
        message = _requirement_problem(requirement, fargate)
        if message is not None:
            yield _problem((*path, index, "value"), message)


def _provides(properties: Any, kind: str) -> bool:
    """Whether container properties (or overrides, possibly ``None``) give ``kind``."""
    if properties is None:
        return False
    if any(r.type == kind for r in properties.resourceRequirements or ()):
        return True
    return getattr(properties, _LEGACY_KEY[kind]) is not None


def _multinode(scenario: Scenario, catalog: Catalog) -> Iterator[Problem]:
    """Multi-node parallel job definitions follow AWS's rules (scenario/multinode.py)."""
    multinode = set()
    settings = scenario.simulation
    definitions = {jd.jobDefinitionName: jd for jd in _valid(scenario.jobDefinitions)}
    for index, jd in _each(scenario.jobDefinitions):
        if jd.type == "multinode":
            multinode.add(jd.jobDefinitionName)
        for path, message in definition_problems(jd, catalog, settings):
            yield _problem(("jobDefinitions", index, *path), message)
    for index, entry in _each(scenario.workload):
        submit = entry.submit
        if definition_name(submit.jobDefinition) in multinode and submit.containerOverrides:
            yield _problem(
                ("workload", index, "submit", "containerOverrides"),
                "a multi-node parallel job takes nodeOverrides, not containerOverrides",
            )
        definition = definitions.get(definition_name(submit.jobDefinition))
        if definition is not None:
            where = ("workload", index, "submit")
            for path, message in node_override_problems(submit, definition, catalog, settings):
                yield _problem((*where, *path), message)


def _ecs(scenario: Scenario) -> Iterator[Problem]:
    """Multi-container jobs (``ecsProperties``) follow AWS's rules (scenario/ecs.py); each
    container's requirements are checked like a container job's, the task's sum must give
    VCPU and MEMORY."""
    definitions = {jd.jobDefinitionName: jd for jd in _valid(scenario.jobDefinitions)}
    for index, jd in _each(scenario.jobDefinitions):
        for path, message in ecs.definition_problems(jd):
            yield _problem(("jobDefinitions", index, *path), message)
        if jd.ecsProperties is not None:
            where: Path = ("jobDefinitions", index, "ecsProperties")
            for path, requirements in ecs.requirement_lists(jd.ecsProperties):
                yield from _requirements(requirements, (*where, *path), is_fargate(jd))
            yield from _task_totals(jd, where)
        ranges = jd.nodeProperties.nodeRangeProperties if jd.nodeProperties else []
        for position, node_range in enumerate(ranges):
            if node_range.ecsProperties is not None:
                where = ("jobDefinitions", index, "nodeProperties", "nodeRangeProperties")
                where = (*where, position, "ecsProperties")
                for path, requirements in ecs.requirement_lists(node_range.ecsProperties):
                    yield from _requirements(requirements, (*where, *path))
    for index, entry in _each(scenario.workload):
        jd = definitions.get(definition_name(entry.submit.jobDefinition))
        if jd is None:
            continue
        where = ("workload", index, "submit")
        yield from _node_override_values(entry, where)
        for path, message in ecs.override_problems(entry.submit, jd):
            yield _problem((*where, *path), message)
        overrides = entry.submit.ecsPropertiesOverride
        if overrides is not None and jd.ecsProperties is not None:
            for path, requirements in ecs.override_lists(overrides):
                path = (*where, "ecsPropertiesOverride", *path)
                yield from _requirements(requirements, path, is_fargate(jd))


def _node_override_values(entry: WorkloadEntry, where: Path) -> Iterator[Problem]:
    """The resource values of a SubmitJob's nodeOverrides are amounts, each type once."""
    overrides = entry.submit.nodeOverrides
    for index, override in enumerate(overrides.nodePropertyOverrides if overrides else ()):
        path = (*where, "nodeOverrides", "nodePropertyOverrides", index)
        containers = override.containerOverrides
        if containers is not None and containers.resourceRequirements:
            at = (*path, "containerOverrides", "resourceRequirements")
            yield from _requirements(containers.resourceRequirements, at)
        if override.ecsPropertiesOverride is not None:
            for relative, requirements in ecs.override_lists(override.ecsPropertiesOverride):
                yield from _requirements(requirements, (*path, "ecsPropertiesOverride", *relative))


def _task_totals(definition: JobDefinition, where: Path) -> Iterator[Problem]:
    """The task's containers together give VCPU and MEMORY (a container may leave one out)."""
    props = definition.ecsProperties
    assert props is not None  # NOTE: only called for multi-container definitions
    given = {r.type for c in props.containers for r in c.resourceRequirements}
    for kind in ("VCPU", "MEMORY"):
        if kind not in given:
            yield _problem(
                (*where, *ecs.CONTAINERS),
                f'no container gives a {kind} requirement: add {{type: {kind}, value: "…"}} '
                "to at least one; the job reserves the sum over its containers",
            )


def _job_resources(scenario: Scenario) -> Iterator[Problem]:
    for index, jd in _each(scenario.jobDefinitions):
        if jd.type == "multinode" or jd.ecsProperties is not None:
            continue  # NOTE: checked by _multinode and _ecs
        path: Path = ("jobDefinitions", index, "containerProperties", "resourceRequirements")
        yield from _requirements(jd.containerProperties.resourceRequirements, path, is_fargate(jd))
        users = [
            entry.submit.containerOverrides
            for entry in _valid(scenario.workload)
            if definition_name(entry.submit.jobDefinition) == jd.jobDefinitionName
        ]
        for kind in ("VCPU", "MEMORY"):
            # NOTE: AWS lets a submission supply what the definition leaves out.
            if _provides(jd.containerProperties, kind):
                continue
            if users and all(_provides(overrides, kind) for overrides in users):
                continue
            yield _problem(
                path,
                f'no {kind} requirement: add {{type: {kind}, value: "…"}} '
                "(or override it in every submission of this definition)",
            )
    definitions = {jd.jobDefinitionName: jd for jd in _valid(scenario.jobDefinitions)}
    for index, entry in _each(scenario.workload):
        overrides = entry.submit.containerOverrides
        if overrides is not None and overrides.resourceRequirements:
            path = ("workload", index, "submit", "containerOverrides", "resourceRequirements")
            yield from _requirements(
                overrides.resourceRequirements, path, _fargate_entry(entry, definitions)
            )
        definition = definitions.get(definition_name(entry.submit.jobDefinition))
        if definition is not None and is_fargate(definition):
            yield from _fargate_shape(entry, definition, index)
        if overrides is not None and definition is not None:
            yield from _deprecated_overrides(overrides, definition, index)


def is_fargate(definition: JobDefinition) -> bool:
    """Whether a job definition is for Fargate (``platformCapabilities: [FARGATE]``)."""
    return "FARGATE" in (definition.platformCapabilities or ())


def _fargate_entry(entry: WorkloadEntry, definitions: dict[str, JobDefinition]) -> bool:
    definition = definitions.get(definition_name(entry.submit.jobDefinition))
    return definition is not None and is_fargate(definition)


def _fargate_shape(
    entry: WorkloadEntry, definition: JobDefinition, index: int
) -> Iterator[Problem]:
    """A Fargate job's VCPU/MEMORY must be one of the pairs Fargate offers."""
    try:
        shape = resolve_shape(definition, entry)
    except (KeyError, TypeError, ValueError):
        return  # a missing or malformed value is reported by the requirement rules
    # NOTE: a container job's VCPU value is checked where it is given; a task's is a sum.
    if shape.vcpus in FARGATE_VCPU_VALUES or definition.ecsProperties is not None:
        message = combination_problem(shape.vcpus, shape.memory_mib)
        if message is not None:
            yield _problem(("workload", index, "submit", "jobDefinition"), message)


def _platforms(scenario: Scenario) -> Iterator[Problem]:
    """AWS: a queue's CEs are all EC2/SPOT or all Fargate, and a job definition's platform
    must match the queue it is submitted to."""
    resources = {
        ce.computeEnvironmentName: ce.computeResources
        for ce in _valid(scenario.computeEnvironments)
        if ce.computeResources is not None
    }
    queue_kind: dict[str, str] = {}
    for index, queue in _each(scenario.jobQueues):
        order = queue.computeEnvironmentOrder
        kinds = {
            _platform_of(resources[o.computeEnvironment])
            for o in order
            if o.computeEnvironment in resources
        }
        if len(kinds) > 1:
            yield _problem(
                ("jobQueues", index, "computeEnvironmentOrder"),
                "mixes EC2/SPOT and FARGATE/FARGATE_SPOT compute environments; AWS requires one kind per queue",
            )
        elif kinds:
            queue_kind[queue.jobQueueName] = kinds.pop()
    definitions = {jd.jobDefinitionName: jd for jd in _valid(scenario.jobDefinitions)}
    for index, entry in _each(scenario.workload):
        definition = definitions.get(definition_name(entry.submit.jobDefinition))
        kind = queue_kind.get(entry.submit.jobQueue)
        if definition is None or kind is None:
            continue
        platform = "FARGATE" if is_fargate(definition) else "EC2"
        if platform != kind:
            yield _problem(
                ("workload", index, "submit", "jobQueue"),
                f"job definition {definition.jobDefinitionName!r} is for {platform} (platformCapabilities) "
                f"but queue {entry.submit.jobQueue!r} runs on {kind} compute environments",
            )


def _platform_of(resources: ComputeResources) -> str:
    return "FARGATE" if resources.type in FARGATE_TYPES else "EC2"


def _deprecated_overrides(overrides, definition, index: int) -> Iterator[Problem]:
    """AWS rejects deprecated vcpus/memory overrides of resources the definition sets."""
    declared = {r.type for r in definition.containerProperties.resourceRequirements}
    for key, kind in (("vcpus", "VCPU"), ("memory", "MEMORY")):
        if getattr(overrides, key) is not None and kind in declared:
            yield _problem(
                ("workload", index, "submit", "containerOverrides", key),
                "This value was submitted in a deprecated key and may conflict with the value "
                "provided by the job definition's resource requirements (AWS rejects it); "
                f"override {{type: {kind}}} in containerOverrides.resourceRequirements instead",
            )


def _disabled_queues(scenario: Scenario) -> Iterator[Problem]:
    """AWS refuses SubmitJob to a DISABLED job queue."""
    disabled = {q.jobQueueName for q in _valid(scenario.jobQueues) if q.state == "DISABLED"}
    for index, entry in _each(scenario.workload):
        if entry.submit.jobQueue in disabled:
            yield _problem(
                ("workload", index, "submit", "jobQueue"),
                f"job queue {entry.submit.jobQueue!r} is DISABLED: AWS refuses SubmitJob to it",
            )


# ----------------------------------------------------------------------------- jobs
def _pattern_problem(field: str, pattern: str) -> str | None:
    """AWS's EvaluateOnExit patterns: 1–512 characters, '*' only at the end; onExitCode holds
    digits, the reasons letters, digits, '.', ':', spaces and tabs."""
    if not pattern:
        return f"{field} is a pattern of 1–512 characters; leave it out to match anything"
    if "*" in pattern[:-1]:
        return f"'*' may appear only at the end of a pattern, got {pattern!r}"
    if field == "onExitCode" and not _EXIT_CODE.fullmatch(pattern):
        return f"onExitCode may hold only digits, optionally ending in '*', got {pattern!r}"
    odd = sorted({c for c in pattern.rstrip("*") if not (c.isalnum() or c in _REASON_CHARACTERS)})
    if field != "onExitCode" and odd:
        return (
            f"{field} may hold only letters, digits, '.', ':', spaces and tabs, optionally "
            f"ending in '*' (AWS); {pattern!r} has {' '.join(map(repr, odd))}"
        )
    return None


def _retry_strategy(strategy: RetryStrategy | None, path: Path) -> Iterator[Problem]:
    """AWS needs ``attempts`` beside ``evaluateOnExit``, and patterns it can match."""
    rules = strategy.evaluateOnExit if strategy is not None else []
    if rules and "attempts" not in strategy.model_fields_set:  # type: ignore[union-attr]
        yield _problem(
            (*path, "evaluateOnExit"),
            "evaluateOnExit needs attempts beside it (AWS requires both); give attempts: 1–10",
        )
    for index, rule in enumerate(rules):
        for field in ("onStatusReason", "onReason", "onExitCode"):
            pattern = getattr(rule, field)
            message = None if pattern is None else _pattern_problem(field, pattern)
            if message is not None:
                yield _problem((*path, "evaluateOnExit", index, field), message)


def _job_definitions(scenario: Scenario) -> Iterator[Problem]:
    for index, jd in _each(scenario.jobDefinitions):
        path = ("jobDefinitions", index)
        platform = jd.containerProperties.runtimePlatform if is_fargate(jd) else None
        if (
            isinstance(platform, dict)
            and str(platform.get("cpuArchitecture", "X86_64")).upper() != "X86_64"
        ):
            yield _problem(
                (*path, "containerProperties", "runtimePlatform", "cpuArchitecture"),
                f"Fargate on ARM64 is {NOT_YET}; use X86_64",
            )
        yield from _retry_strategy(jd.retryStrategy, (*path, "retryStrategy"))
    for index, entry in _each(scenario.workload):
        yield from _retry_strategy(
            entry.submit.retryStrategy, ("workload", index, "submit", "retryStrategy")
        )


def _runtimes(scenario: Scenario) -> Iterator[Problem]:
    definitions = {jd.jobDefinitionName: i for i, jd in _each(scenario.jobDefinitions)}
    for index, entry in _each(scenario.workload):
        yield from _index_runtimes(entry, index)
        d_index = definitions.get(definition_name(entry.submit.jobDefinition))
        if entry.runtime is not None or entry.trace is not None or d_index is None:
            continue  # a trace gives every run time
        if _all_indexes_covered(entry):
            continue  # an unknown definition is reported by _submit_references
        if scenario.jobDefinitions[d_index].simulation.runtime is None:
            yield _problem(
                ("workload", index, "runtime"),
                "no runtime model: set runtime here "
                f"or jobDefinitions[{d_index}].simulation.runtime (e.g. runtime: 10m)",
            )


def _index_runtimes(entry: WorkloadEntry, index: int) -> Iterator[Problem]:
    """runtimeByIndex belongs to arrays; its ranges lie inside the array and do not overlap."""
    size = _array_size(entry)
    taken: list[tuple[int, int]] = []
    for r_index, by_index in enumerate(entry.runtimeByIndex):
        path = ("workload", index, "runtimeByIndex", r_index, "indexes")
        low, high = by_index.bounds()
        if size is None:
            yield _problem(path, "runtimeByIndex applies to array jobs (give arrayProperties)")
            return
        if high >= size:
            yield _problem(
                path, f"index {high} is outside the array (size {size}: indexes 0–{size - 1})"
            )
        elif any(low <= b and a <= high for a, b in taken):
            yield _problem(path, f"indexes {low}–{high} overlap an earlier range")
        taken.append((low, high))


def _all_indexes_covered(entry: WorkloadEntry) -> bool:
    size = _array_size(entry)
    if size is None or not entry.runtimeByIndex:
        return False
    covered: set[int] = set()
    for by_index in entry.runtimeByIndex:
        low, high = by_index.bounds()
        covered.update(range(low, min(high, size - 1) + 1))
    return len(covered) == size


# ----------------------------------------------------------------------------- dependencies
def _dependencies(scenario: Scenario) -> Iterator[Problem]:
    """dependsOn names an entry submitted once and earlier; N_TO_N pairs arrays of one size;
    SEQUENTIAL orders an array's own children."""
    entries = {e.name: (i, e) for i, e in _each(scenario.workload)}
    complete = len(entries) == len(scenario.workload)
    for index, entry in _each(scenario.workload):
        for d_index, dependency in enumerate(entry.submit.dependsOn):
            path = ("workload", index, "submit", "dependsOn", d_index)
            if not complete and dependency.jobId not in entries:
                continue  # NOTE: it may name an entry that failed validation (reported there)
            message = _dependency_problem(entry, index, dependency, entries)
            if message is not None:
                yield _problem(path, message)


def _dependency_problem(entry: WorkloadEntry, index: int, dependency, entries: dict) -> str | None:
    size = _array_size(entry)
    if dependency.type == "SEQUENTIAL":
        return None if size else "SEQUENTIAL applies to array jobs (give arrayProperties)"
    found = entries.get(dependency.jobId)
    if found is None:
        close = difflib.get_close_matches(dependency.jobId, sorted(entries), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown workload entry {dependency.jobId!r}{hint}"
    target_index, target = found
    if target_index == index:
        return f"this entry depends on itself ({target.name!r} is its own name); a job cannot wait for itself"
    if target.repeats:
        return (
            f"{target.name!r} submits more than one job; "
            "a dependency names one SubmitJob (count 1, no arrivals or schedule)"
        )
    starts_at = entry.arrivals.start if entry.arrivals is not None else entry.at or 0.0
    if (target.at or 0.0, target_index) >= (starts_at, index):
        return (
            f"{target.name!r} must be submitted before this entry "
            "(AWS needs the job to exist at SubmitJob)"
        )
    target_size = _array_size(target)
    if dependency.type == "N_TO_N" and (not size or size != target_size):
        return (
            f"N_TO_N pairs two arrays of the same size ({size or 'no array'} here, "
            f"{target_size or 'no array'} in {target.name!r})"
        )
    return None


def _array_size(entry: WorkloadEntry) -> int | None:
    props = entry.submit.arrayProperties
    return props.size if props is not None else None


# ----------------------------------------------------------------------------- actions
def _known(items: list, attribute: str) -> set[str] | None:
    """The names of ``items``, or None when one failed validation (its name is unknown, so no
    reference may be called unknown)."""
    valid = _valid(items)
    return {getattr(item, attribute) for item in valid} if len(valid) == len(items) else None


def _actions(scenario: Scenario) -> Iterator[Problem]:
    """Each action names an existing workload entry, compute environment or job queue."""
    known = {
        "jobId": ("workload entry", _known(scenario.workload, "name")),
        "computeEnvironment": (
            "compute environment",
            _known(scenario.computeEnvironments, "computeEnvironmentName"),
        ),
        "jobQueue": ("job queue", _known(scenario.jobQueues, "jobQueueName")),
    }
    for index, action in _each(scenario.actions):
        request = getattr(action, action.name)
        for key, (noun, names) in known.items():
            name = getattr(request, key, None)
            if name is not None:
                yield from _reference(("actions", index, action.name, key), noun, name, names)
    yield from _unmanaged_updates(scenario)


def _infrastructure_updates(scenario: Scenario, catalog: Catalog) -> Iterator[Problem]:
    """An infrastructure update (instanceTypes, allocationStrategy, bidPercentage, …) follows
    AWS's rules for the compute environment it names."""
    ces = {c.computeEnvironmentName: c for c in _valid(scenario.computeEnvironments)}
    for index, action in _each(scenario.actions):
        request = action.UpdateComputeEnvironment
        resources = None if request is None else request.computeResources
        ce = None if request is None else ces.get(request.computeEnvironment)
        if resources is None or ce is None or not resources.infrastructure_keys():
            continue
        path = ("actions", index, "UpdateComputeEnvironment", "computeResources")
        yield from _infrastructure_update(ce, resources, path, catalog)


def _infrastructure_update(
    ce: ComputeEnvironment, resources: UpdateComputeResources, path: Path, catalog: Catalog
) -> Iterator[Problem]:
    keys = resources.infrastructure_keys()
    current = ce.computeResources
    kind = "UNMANAGED" if current is None else current.type
    if kind not in ("EC2", "SPOT"):
        for key in keys:
            if kind == "UNMANAGED" or key not in ("subnets", "securityGroupIds"):
                yield _problem(
                    (*path, key), f"{key} cannot be updated on a {kind} compute environment (AWS)"
                )
        return
    assert current is not None  # NOTE: EC2 and SPOT compute environments have them
    if current.allocationStrategy == "BEST_FIT":
        yield _problem(
            (*path, keys[0]),
            f"changing {', '.join(keys)} is an infrastructure update, which AWS refuses on a "
            "BEST_FIT compute environment; create a new one instead (blue/green)",
        )
    strategy = resources.allocationStrategy
    if strategy is not None and (strategy.startswith("SPOT_") != (kind == "SPOT")):
        yield _problem(
            (*path, "allocationStrategy"),
            f"{strategy} does not apply to a {kind} compute environment",
        )
    if resources.bidPercentage is not None and kind != "SPOT":
        yield _problem(
            (*path, "bidPercentage"), "bidPercentage applies to SPOT compute environments only"
        )
    if resources.instanceTypes is not None:
        yield from _instance_types(resources.instanceTypes, (*path, "instanceTypes"), catalog)


def _unmanaged_updates(scenario: Scenario) -> Iterator[Problem]:
    """UpdateComputeEnvironment's unmanagedvCpus names an UNMANAGED compute environment."""
    managed = {
        c.computeEnvironmentName
        for c in _valid(scenario.computeEnvironments)
        if c.type != "UNMANAGED"
    }
    for index, action in _each(scenario.actions):
        request = action.UpdateComputeEnvironment
        if request is None or request.unmanagedvCpus is None:
            continue
        if request.computeEnvironment in managed:
            path = ("actions", index, "UpdateComputeEnvironment", "unmanagedvCpus")
            yield _problem(path, UNMANAGED_VCPUS)


def policy_name(reference: str) -> str:
    """Return the scheduling policy a queue's ``schedulingPolicyArn`` names (a name or an ARN
    ``arn:aws:batch:…:scheduling-policy/<name>``)."""
    return reference.rsplit("scheduling-policy/", 1)[-1]


def _fair_share(scenario: Scenario) -> Iterator[Problem]:
    """Fair-share queues name a policy and get a shareIdentifier with every job; FIFO queues
    get none (AWS rejects both mistakes at SubmitJob); shareDistribution entries do not overlap."""
    valid = {p.name for p in _valid(scenario.schedulingPolicies)}
    # NOTE: an invalid policy's name is unknown: do not call names unknown
    policies = valid if len(valid) == len(scenario.schedulingPolicies) else None
    fair_queues = set()
    for index, queue in _each(scenario.jobQueues):
        if queue.schedulingPolicyArn is not None:
            fair_queues.add(queue.jobQueueName)
            path = ("jobQueues", index, "schedulingPolicyArn")
            name = policy_name(queue.schedulingPolicyArn)
            yield from _reference(path, "scheduling policy", name, policies)
    for index, entry in _each(scenario.workload):
        submit = entry.submit
        fair = submit.jobQueue in fair_queues
        if fair and submit.shareIdentifier is None:
            yield _problem(
                ("workload", index, "submit"),
                f"job queue {submit.jobQueue!r} has a fair-share scheduling policy: "
                "give a shareIdentifier",
            )
        elif not fair and submit.shareIdentifier is not None:
            yield _problem(
                ("workload", index, "submit", "shareIdentifier"),
                f"job queue {submit.jobQueue!r} is FIFO (no schedulingPolicyArn): "
                "leave out shareIdentifier",
            )
    for index, policy in _each(scenario.schedulingPolicies):
        yield from _share_overlaps(policy, index)


def _share_overlaps(policy, index: int) -> Iterator[Problem]:
    seen: list[str] = []
    for s_index, share in enumerate(policy.fairsharePolicy.shareDistribution):
        name = share.shareIdentifier
        for other in seen:
            if _overlap(name, other):
                path = ("schedulingPolicies", index, "fairsharePolicy", "shareDistribution")
                yield _problem(
                    (*path, s_index, "shareIdentifier"),
                    f"{name!r} overlaps {other!r}; shareDistribution entries may not overlap",
                )
        seen.append(name)


def _overlap(a: str, b: str) -> bool:
    """Whether two share identifiers (a trailing * is a prefix) can match one identifier."""
    a_prefix, b_prefix = a.endswith("*"), b.endswith("*")
    a_text, b_text = a.rstrip("*"), b.rstrip("*")
    if a_prefix and b_prefix:
        return a_text.startswith(b_text) or b_text.startswith(a_text)
    if a_prefix:
        return b_text.startswith(a_text)
    if b_prefix:
        return a_text.startswith(b_text)
    return a_text == b_text


def _settings(scenario: Scenario) -> Iterator[Problem]:
    stop_at = scenario.simulation.stopAt
    if stop_at is not None and stop_at <= 0:
        yield _problem(
            ("simulation", "stopAt"),
            "stopAt must be greater than 0 (leave it out to run until every job is done)",
        )
    for index, entry in _each(scenario.workload):
        if entry.schedule is None:
            continue
        until = entry.until if entry.until is not None else stop_at
        if until is None:
            yield _problem(
                ("workload", index, "schedule"),
                "a schedule fires for ever: give this entry 'until' or the scenario "
                "simulation.stopAt",
            )
        elif (
            next(iter(parse_schedule(entry.schedule).firings(entry.at or 0.0, until)), None) is None
        ):
            window = f"{wall_clock(entry.at or 0.0)} and {wall_clock(until)}"
            yield _problem(
                ("workload", index, "schedule"),
                f"{entry.schedule} never fires between {window} (t=0 is {wall_clock(0.0)})",
            )


# ----------------------------------------------------------------------------- AWS limits
def _quotas(scenario: Scenario) -> Iterator[Problem]:
    """AWS Batch's fixed quotas: at most 50 job queues and 50 compute environments."""
    for key, noun, limit in QUOTAS:
        items = getattr(scenario, key)
        if len(items) > limit:
            yield _problem(
                (key, limit),
                f"AWS Batch allows at most {limit} {noun} per Region (a fixed quota); this "
                f"scenario has {len(items)}",
            )


def _named_fields(node: Any, names: frozenset[str], path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Yield (path, value) for every model field in ``names`` below ``node`` (models, mappings
    and lists are searched, the values found are not). Only model fields match: a key of a
    free-form mapping (``parameters: {tags: …}``) is a user's name, not AWS's field."""
    if isinstance(node, BaseModel):
        for key in type(node).model_fields:
            value = getattr(node, key)
            if key in names and value is not None:
                yield (*path, key), value
            else:
                yield from _named_fields(value, names, (*path, key))
        return
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield from _named_fields(value, names, (*path, key))


def _tag_problem(tags: Any) -> str | None:
    if not isinstance(tags, dict):
        return f"tags is a mapping of tag keys to values (key: value), got {tags!r:.60}"
    if len(tags) > MAX_TAGS:
        return f"AWS allows at most {MAX_TAGS} tags per resource, got {len(tags)}"
    for key, value in tags.items():
        shortest, longest = TAG_KEY_LENGTH
        if (
            not shortest <= len(key) <= longest
            or not isinstance(value, str)
            or len(value) > TAG_VALUE_MAX_LENGTH
        ):
            return (
                f"a tag key has {shortest}–{longest} characters and its value is text of at "
                f"most {TAG_VALUE_MAX_LENGTH} characters, got {key!r:.60}: {value!r:.60}"
            )
    return None


def _environment_problems(path: Path, variables: Any) -> Iterator[Problem]:
    """AWS reserves environment variable names starting with AWS_BATCH for the ones it sets."""
    for index, variable in enumerate(variables if isinstance(variables, list) else []):
        name = variable.get("name") if isinstance(variable, dict) else None
        if isinstance(name, str) and name.startswith(RESERVED_ENVIRONMENT_PREFIX):
            yield _problem(
                (*path, index, "name"),
                f"environment variable names starting with {RESERVED_ENVIRONMENT_PREFIX} "
                f"are reserved for the variables AWS Batch sets; rename {name!r}",
            )


def _tag_problems(path: Path, tags: Any) -> Iterator[Problem]:
    message = _tag_problem(tags)
    if message is not None:
        yield _problem(path, message)


_FIELD_RULES = {"tags": _tag_problems, "environment": _environment_problems}


def _tags_and_environment(scenario: Scenario) -> Iterator[Problem]:
    """Every ``tags`` follows AWS's tag rules (at most 50 per resource) and every container
    ``environment`` avoids the reserved AWS_BATCH prefix; one walk finds both."""
    for path, value in _named_fields(scenario, frozenset(_FIELD_RULES)):
        yield from _FIELD_RULES[str(path[-1])](path, value)


_RULES = (
    _settings,
    _quotas,
    _tags_and_environment,
    check_references,
    _job_definitions,
    _job_resources,
    _ecs,
    _runtimes,
    _disabled_queues,
    _platforms,
    _dependencies,
    _actions,
    _fair_share,
    consumable_problems,
)


def check_scenario(scenario: Scenario, catalog: Catalog, references: bool = True) -> list[Problem]:
    """Return every cross-object problem of ``scenario`` (empty when it is usable).

    ``catalog`` resolves the compute environments' ``instanceTypes``; the scenario's
    ``customInstanceTypes`` are layered on top of it first. ``scenario`` may be partial (see
    :func:`partial_scenario`); ``references=False`` skips the name checks, for callers that
    ran :func:`check_references` on the raw data.
    """
    catalog = catalog.with_custom(_valid(scenario.customInstanceTypes))
    rules = _RULES if references else tuple(rule for rule in _RULES if rule is not check_references)
    problems = [problem for rule in rules for problem in rule(scenario)]
    problems.extend(_compute_environments(scenario, catalog))
    problems.extend(_infrastructure_updates(scenario, catalog))
    problems.extend(_multinode(scenario, catalog))
    problems.extend(_queue_architectures(scenario, catalog))
    return problems


def _queue_architectures(scenario: Scenario, catalog: Catalog) -> Iterator[Problem]:
    """AWS CreateJobQueue: the compute environments of a queue share one CPU architecture."""
    arch = {
        ce.computeEnvironmentName: _architectures(ce, catalog)
        for ce in _valid(scenario.computeEnvironments)
    }
    for index, queue in _each(scenario.jobQueues):
        found: dict[str, list[str]] = {}
        for order in queue.computeEnvironmentOrder:
            for architecture in sorted(arch.get(order.computeEnvironment, ())):
                found.setdefault(architecture, []).append(order.computeEnvironment)
        if len(found) > 1:
            mix = "; ".join(f"{a}: {', '.join(names)}" for a, names in found.items())
            yield _problem(
                ("jobQueues", index, "computeEnvironmentOrder"),
                f"mixes CPU architectures ({mix}); AWS requires one architecture per job queue",
            )


def _architectures(ce: ComputeEnvironment, catalog: Catalog) -> set[str]:
    """The CPU architectures of a CE's instance types (empty for Fargate or unknown types)."""
    if ce.type == "UNMANAGED":
        names = [group.instanceType for group in ce.simulation.instances]
    elif ce.computeResources is None or ce.computeResources.type in FARGATE_TYPES:
        return set()
    else:
        names = ce.computeResources.instanceTypes
    try:
        return {itype.architecture for itype in catalog.resolve(names)}
    except BatchsimError:
        return set()  # NOTE: reported by the compute environment's own check


_LISTS: dict[str, type[BaseModel]] = {
    "customInstanceTypes": CustomInstanceType,
    "computeEnvironments": ComputeEnvironment,
    "jobQueues": JobQueue,
    "jobDefinitions": JobDefinition,
    "workload": WorkloadEntry,
    "actions": Action,
    "schedulingPolicies": SchedulingPolicy,
    "consumableResources": ConsumableResource,
}


def partial_scenario(data: Any) -> Scenario | None:
    """Return a Scenario of the parts of ``data`` that validate on their own (None elsewhere).

    Used when the whole file fails validation, so the cross checks still report the
    problems of the valid parts in the same message.
    """
    if not isinstance(data, dict):
        return None
    fields: dict[str, Any] = {}
    for key, model in _LISTS.items():
        items = data.get(key)
        fields[key] = [_validated(model, item) for item in items] if isinstance(items, list) else []
    fields["simulation"] = (
        _validated(SimulationSettings, data.get("simulation", {})) or SimulationSettings()
    )
    return Scenario.model_construct(name=str(data.get("name", "")), **fields)


def _validated(model: type[BaseModel], item: Any) -> Any:
    try:
        return model.model_validate(item)
    except ValidationError:
        return None

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
from batchsim.scenario.distributions import mean_of
from batchsim.scenario.multinode import definition_problems
from batchsim.scenario.schedules import parse_schedule
from batchsim.scenario.schema import (
    Action,
    ComputeEnvironment,
    ComputeResources,
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
)
_LEGACY_KEY = {"VCPU": "vcpus", "MEMORY": "memory"}
_EXIT_CODE = re.compile(r"\d+\*?|\*")
_REVISION = re.compile(r":\d+$")


def _each(items: list) -> Iterator[tuple[int, Any]]:
    """Yield (index, item) for the items that validated (a partial scenario holds None for
    the others, so indices, and with them the reported paths, stay those of the file)."""
    return ((index, item) for index, item in enumerate(items) if item is not None)


def _valid(items: list) -> list:
    """Return the items that validated."""
    return [item for item in items if item is not None]


def _problem(path: Path, message: str) -> Problem:
    return Problem(format_path(path), message)


def definition_name(reference: str) -> str:
    """Return the job definition name in ``reference``: ``'work:3'`` → ``'work'``."""
    return _REVISION.sub("", reference)


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
    for index, jd in _each(scenario.jobDefinitions):
        if jd.type == "multinode":
            multinode.add(jd.jobDefinitionName)
        for path, message in definition_problems(jd, catalog, scenario.simulation):
            yield _problem(("jobDefinitions", index, *path), message)
    for index, entry in _each(scenario.workload):
        submit = entry.submit
        if definition_name(submit.jobDefinition) in multinode and submit.containerOverrides:
            yield _problem(
                ("workload", index, "submit", "containerOverrides"),
                "a multi-node parallel job takes nodeOverrides, not containerOverrides "
                "(nodeOverrides: not supported yet by this batchsim release)",
            )


def _job_resources(scenario: Scenario) -> Iterator[Problem]:
    for index, jd in _each(scenario.jobDefinitions):
        if jd.type == "multinode":
            continue  # NOTE: its nodes' requirements are checked by _multinode
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
    if shape.vcpus in FARGATE_VCPU_VALUES:
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
    if "*" in pattern[:-1]:
        return f"'*' may appear only at the end of a pattern, got {pattern!r}"
    if field == "onExitCode" and not _EXIT_CODE.fullmatch(pattern):
        return f"onExitCode may hold only digits, optionally ending in '*', got {pattern!r}"
    return None


def _retry_patterns(strategy: RetryStrategy | None, path: Path) -> Iterator[Problem]:
    rules = strategy.evaluateOnExit if strategy is not None else []
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
        yield from _retry_patterns(jd.retryStrategy, (*path, "retryStrategy"))
    for index, entry in _each(scenario.workload):
        yield from _retry_patterns(
            entry.submit.retryStrategy, ("workload", index, "submit", "retryStrategy")
        )


def _runtimes(scenario: Scenario) -> Iterator[Problem]:
    definitions = {jd.jobDefinitionName: i for i, jd in _each(scenario.jobDefinitions)}
    for index, entry in _each(scenario.workload):
        yield from _index_runtimes(entry, index)
        d_index = definitions.get(definition_name(entry.submit.jobDefinition))
        if entry.runtime is not None or d_index is None or _all_indexes_covered(entry):
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
    for index, entry in _each(scenario.workload):
        for d_index, dependency in enumerate(entry.submit.dependsOn):
            path = ("workload", index, "submit", "dependsOn", d_index)
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


# ----------------------------------------------------------------------------- queues
def _time_limit_actions(scenario: Scenario) -> Iterator[Problem]:
    """AWS takes TERMINATE only on queues of a SAGEMAKER_TRAINING service environment; a queue
    of EC2, Spot or Fargate compute environments (all batchsim models) takes CANCEL."""
    for index, queue in _each(scenario.jobQueues):
        for position, action in enumerate(queue.jobStateTimeLimitActions):
            if action.action == "TERMINATE":
                yield _problem(
                    ("jobQueues", index, "jobStateTimeLimitActions", position, "action"),
                    "TERMINATE is for job queues of a SAGEMAKER_TRAINING service environment "
                    "(AWS), which batchsim does not model; a queue of compute environments "
                    "takes CANCEL, which does to a RUNNABLE job what TERMINATE would",
                )


# ----------------------------------------------------------------------------- actions
def _actions(scenario: Scenario) -> Iterator[Problem]:
    """Each action names an existing workload entry, compute environment or job queue."""
    known = {
        "jobId": ("workload entry", {e.name for e in _valid(scenario.workload)}),
        "computeEnvironment": (
            "compute environment",
            {c.computeEnvironmentName for c in _valid(scenario.computeEnvironments)},
        ),
        "jobQueue": ("job queue", {q.jobQueueName for q in _valid(scenario.jobQueues)}),
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


_RULES = (
    _settings,
    check_references,
    _job_definitions,
    _job_resources,
    _runtimes,
    _disabled_queues,
    _platforms,
    _dependencies,
    _actions,
    _fair_share,
    _time_limit_actions,
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
    return problems


_LISTS: dict[str, type[BaseModel]] = {
    "customInstanceTypes": CustomInstanceType,
    "computeEnvironments": ComputeEnvironment,
    "jobQueues": JobQueue,
    "jobDefinitions": JobDefinition,
    "workload": WorkloadEntry,
    "actions": Action,
    "schedulingPolicies": SchedulingPolicy,
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

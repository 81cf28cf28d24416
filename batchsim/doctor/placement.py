"""Jobs that can never be placed, and minvCpus floors no job can use, asked of the engine itself.

The doctor builds the engine's model of the scenario (compute environments with their allowed
types, allocatable memory and limits, queues) without running it, and asks each queue the
question the scheduler asks: :meth:`JobQueue.never_placeable_reason`. The answer and AWS's
statusReason are therefore exactly those a run would give; this module only explains them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from batchsim.doctor.findings import Finding, Severity
from batchsim.engine.compute.allocation import jobs_per_instance
from batchsim.engine.queue import COMPUTE_ENVIRONMENT_MAX_RESOURCE, MULTINODE_NOT_SUPPORTED
from batchsim.engine.simulation import Model
from batchsim.scenario.estimate import requests
from batchsim.scenario.schema import definition_name
from batchsim.scenario.shapes import Shape, resolve_shape

if TYPE_CHECKING:
    from batchsim.doctor.locate import Locate
    from batchsim.engine.compute import ComputeEnvironment
    from batchsim.scenario.schema import Scenario, WorkloadEntry
    from batchsim.scenario.trace_jobs import TraceJobs

STUCK_LINK = "https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html"
MEMORY_LINK = "https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html"
MULTINODE_LINK = "https://docs.aws.amazon.com/batch/latest/userguide/multi-node-parallel-jobs.html"
MINVCPUS_LINK = "https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html"


@dataclass(frozen=True)
class EntryShape:
    """A workload entry (its position ``index`` in ``workload``) and what one of its jobs
    reserves; a trace entry has one per distinct (queue, vCPUs, memory) of its rows, with the
    number of its ``jobs`` (None: the entry's submissions, see :func:`_placed_jobs`)."""

    index: int
    name: str
    queue: str
    shape: Shape
    jobs: int | None = None


def built_model(scenario: Scenario) -> Model:
    """Return the engine's model of ``scenario`` at t=0, minvCpus floors launched, never run."""
    model = Model(scenario, scenario.simulation.seed)
    for ce in model.ces.values():
        ce.start()
    return model


def entry_shapes(model: Model, scenario: Scenario) -> list[EntryShape]:
    """Return every workload entry's job shape, as the engine resolves it (a trace entry: the
    shapes of its rows, see :func:`_trace_shapes`)."""
    definitions = {d.jobDefinitionName: d for d in scenario.jobDefinitions}
    shapes = []
    for index, entry in enumerate(scenario.workload):
        definition = definitions[definition_name(entry.submit.jobDefinition)]
        # NOTE: the engine's own multi-node shape (node type, allocatable memory, node count).
        shape = model.node_shape_of(definition, entry) or resolve_shape(definition, entry)
        item = EntryShape(index, entry.name, entry.submit.jobQueue, shape)
        shapes += _trace_shapes(model, scenario, item) if entry.trace is not None else [item]
    return shapes


def entry_trace_jobs(scenario: Scenario, entry: WorkloadEntry) -> TraceJobs:
    """Return the jobs of the trace entry ``entry`` as a run replays them (the file read is
    cached by :func:`~batchsim.scenario.traces.read_trace`: the loader has read it already)."""
    from batchsim.scenario.trace_jobs import load_trace_jobs  # NOTE: loads pandas: late

    assert entry.trace is not None
    base = Path(scenario.base_dir) if scenario.base_dir is not None else None
    return load_trace_jobs(entry.trace, base, entry.submit.jobQueue)


def _trace_shapes(model: Model, scenario: Scenario, item: EntryShape) -> list[EntryShape]:
    """The distinct shapes of a trace entry's rows, each with its number of jobs, as the replay
    makes them (memory NaN: the definition's). With ``unplaceable: skip`` the shapes no CE
    of their queue can ever hold are left out: the run skips and counts those jobs."""
    import pandas as pd

    entry = scenario.workload[item.index]
    jobs = entry_trace_jobs(scenario, entry)
    memory = jobs.memory_mib.copy()
    memory[memory != memory] = item.shape.memory_mib
    rows = pd.DataFrame({"queue": jobs.queue, "vcpus": jobs.vcpus, "memory": memory})
    found = []
    for key, count in rows.groupby(list(rows), sort=True).size().items():
        queue, vcpus, memory_mib = cast("tuple[str, float, float]", key)
        shape = Shape(float(vcpus), float(memory_mib), item.shape.gpus)
        skipped = model.queues[queue].never_placeable_reason(shape) is not None
        if not (skipped and entry.trace is not None and entry.trace.unplaceable == "skip"):
            found.append(EntryShape(item.index, item.name, str(queue), shape, int(count)))
    return found


def never_placeable(
    model: Model, scenario: Scenario, shapes: list[EntryShape], locate: Locate
) -> list[Finding]:
    """Return an ERROR for each workload entry whose jobs no CE of its queue can ever run."""
    found = []
    for item in shapes:
        queue = model.queues[item.queue]
        reason = queue.never_placeable_reason(item.shape)
        why = _why(reason, item.shape, queue.ces, item.queue) if reason else None
        if reason is None and _held_out(queue.ces, item.shape):
            reason, why = COMPUTE_ENVIRONMENT_MAX_RESOURCE, _floor_why(queue.ces)
        if reason is None or why is None:
            continue
        jobs: float = (
            item.jobs
            if item.jobs is not None
            else _placed_jobs(scenario.workload[item.index], scenario.simulation.stopAt)
        )
        message = (
            f"{_jobs(jobs)} of workload entry '{item.name}' ({describe(item.shape)}) can never "
            f"run: {why}; {'it stays' if jobs == 1 else 'they stay'} RUNNABLE with AWS's statusReason below"
        )
        if scenario.actions:
            message += " (at t=0: the scenario's actions may change its compute environments later)"
        link = MULTINODE_LINK if reason == MULTINODE_NOT_SUPPORTED else STUCK_LINK
        if "memory" in why:
            link = MEMORY_LINK
        path, line = locate(("workload", item.index))
        found.append(Finding(Severity.ERROR, "never-placeable", path, line, message, reason, link))
    return found


def _held_out(ces: list[ComputeEnvironment], shape: Shape) -> bool:
    """Whether, at t=0, no CE could ever place ``shape`` without a change of limits although
    some allowed type fits it: the minvCpus floor holds instances too small for it at maxvCpus.
    The scheduler's own test (``could_place_later``); a DISABLED CE that could serve it is a
    wait, not a block, as in the scheduler."""
    if any(ce.could_place_later(shape) for ce in ces):
        return False
    return not any(not ce.enabled and ce.can_ever_serve(shape) for ce in ces)


def _floor_why(ces: list[ComputeEnvironment]) -> str:
    """Say which minvCpus floors leave no room for a type that fits."""
    floors = []
    for ce in ces:
        kept = Counter(i.itype.name for i in ce.alive)
        types = ", ".join(f"{n} × {name}" for name, n in sorted(kept.items())) or "nothing"
        floors.append(
            f"'{ce.name}' keeps {types} for minvCpus {ce.min_vcpus:g} and maxvCpus "
            f"{ce.max_vcpus:g} leaves no room"
        )
    return (
        f"no instance kept alive fits it and none can be launched: {'; '.join(floors)} "
        "(scale-in never goes below minvCpus)"
    )


def _placed_jobs(entry: WorkloadEntry, stop_at: float | None) -> float:
    """Return the jobs of ``entry`` that would be placed: array children, not their parents."""
    array = entry.submit.arrayProperties
    return requests(entry, stop_at) * (array.size if array is not None else 1)


def _jobs(count: float) -> str:
    return "the 1 job" if count == 1 else f"the {count:,.0f} jobs"


def describe(shape: Shape) -> str:
    """Return a job shape in words: "4 vCPU, 8,192 MiB" (GPUs and nodes when it has them)."""
    text = f"{shape.vcpus:g} vCPU, {shape.memory_mib:,.0f} MiB"
    if shape.gpus:
        text += f", {shape.gpus} GPU"
    if shape.nodes:
        text += f", {shape.nodes} nodes of {shape.node_type}"
    return text


def _why(reason: str, shape: Shape, ces: list[ComputeEnvironment], queue: str) -> str:
    """Say which limit keeps ``shape`` off every CE of the queue."""
    if reason == MULTINODE_NOT_SUPPORTED:
        kinds = ", ".join(f"{ce.lifecycle} CE '{ce.name}'" for ce in ces)
        return (
            f"multi-node parallel jobs run on on-demand EC2 only, and queue '{queue}' has {kinds}"
        )
    if reason == COMPUTE_ENVIRONMENT_MAX_RESOURCE:
        limits = ", ".join(f"'{ce.name}': {ce.max_vcpus:g}" for ce in ces)
        if all(shape.held_vcpus > ce.max_vcpus for ce in ces):
            return f"it needs {shape.held_vcpus:g} vCPUs, more than maxvCpus of every CE of its queue ({limits})"
        return f"every instance type that fits it has more vCPUs than maxvCpus allows ({limits})"
    return _resource_why(shape, ces)


def _resource_why(shape: Shape, ces: list[ComputeEnvironment]) -> str:
    """Say which of vCPUs, memory and GPUs no allowed instance type offers."""
    hosts = [(t, ce.provisioning.allocatable_mib(t)) for ce in ces for t in ce.types]
    if not hosts:
        return "no compute environment of its queue offers GPUs (Fargate has none)"
    parts = []
    most_vcpus = max(hosts, key=lambda h: h[0].vcpus)[0]
    if shape.vcpus > most_vcpus.vcpus:
        parts.append(
            f"no allowed instance type has {shape.vcpus:g} vCPUs (largest: {most_vcpus.name}, {most_vcpus.vcpus})"
        )
    biggest, registered = max(hosts, key=lambda h: h[1])
    if shape.memory_mib > registered:
        parts.append(
            f"no allowed instance type registers {shape.memory_mib:,.0f} MiB of memory with ECS "
            f"(largest: {biggest.name}, {biggest.memory_mib:,.0f} MiB nominal, {registered:,.0f} "
            "MiB registered; a job asking a type's nominal memory does not fit it)"
        )
    most_gpus = max(hosts, key=lambda h: h[0].gpus)[0]
    if shape.gpus > most_gpus.gpus:
        parts.append(
            f"no allowed instance type has {_gpus(shape.gpus)} (most: {most_gpus.name}, {most_gpus.gpus})"
        )
    return (
        "; ".join(parts)
        or "no single allowed instance type has its vCPUs, memory and GPUs together"
    )


def _gpus(count: int) -> str:
    return "1 GPU" if count == 1 else f"{count} GPUs"


def idle_floors(
    model: Model, scenario: Scenario, shapes: list[EntryShape], locate: Locate
) -> list[Finding]:
    """Return a WARNING for each managed EC2 or Spot CE whose minvCpus floor no job of its
    queues can ever use: no queue sends it jobs, or no job of those queues fits the floor's
    instances."""
    found = []
    for index, ce in enumerate(model.ces.values()):
        floor = [i.itype for i in ce.alive]
        managed = scenario.computeEnvironments[index].type == "MANAGED"
        if not managed or not floor or ce.provisioning.one_job_per_host:
            continue
        queues = [name for name, q in model.queues.items() if ce in q.ces]
        served = [s.shape for s in shapes if s.queue in queues]
        if any(_fits(ce, itype, shape) for itype in floor for shape in served):
            continue
        types = ", ".join(sorted({t.name for t in floor}))
        why = (
            "no job queue uses it"
            if not queues
            else f"no job of its queues ({', '.join(queues)}) fits them"
        )
        message = (
            f"minvCpus {ce.min_vcpus:g} keeps {sum(t.vcpus for t in floor)} vCPUs ({types}) "
            f"running and billed for the whole run, and {why}"
        )
        path, line = locate(("computeEnvironments", index, "computeResources", "minvCpus"))
        found.append(
            Finding(Severity.WARNING, "idle-minvcpus", path, line, message, None, MINVCPUS_LINK)
        )
    return found


def _fits(ce: ComputeEnvironment, itype, shape: Shape) -> bool:
    """Whether one job of ``shape`` fits an empty instance of ``itype`` (a multi-node job:
    whether ``itype`` is its node type)."""
    if shape.node_type is not None:
        return itype.name == shape.node_type and ce.multinode_ok
    return jobs_per_instance(itype, shape, ce.provisioning.allocatable_mib(itype)) >= 1

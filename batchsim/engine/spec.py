"""Resolved, engine-ready specs built once from the validated scenario.

A :class:`JobSpec` merges a workload entry's SubmitJob request with its job definition (SubmitJob
values win, as on AWS) and holds the samplers for runtime and failure, so the hot loop never
looks at the scenario again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchsim.engine.retry import ExitRule, RetryPolicy
from batchsim.scenario.distributions import make_sampler
from batchsim.scenario.ecs import task_images
from batchsim.scenario.multinode import main_range
from batchsim.scenario.samplers import Sampler, chunked
from batchsim.scenario.shapes import Shape, resolve_shape

if TYPE_CHECKING:
    import numpy as np

    from batchsim.catalog.instance_types import InstanceType
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.fair_share import FairShare
    from batchsim.engine.queue import ShapeLine
    from batchsim.scenario.schema import (
        Checkpoint,
        JobDefinition,
        RetryStrategy,
        TaskContainerProperties,
        WorkloadEntry,
    )


@dataclass(slots=True)
class JobSpec:
    """Everything the engine needs to run the jobs of one workload entry."""

    entry: str
    job_name: str
    job_definition: str
    queue: str
    shape: Shape
    image: str
    retry: RetryPolicy
    timeout_s: float | None
    runtime: Sampler
    start_time_s: float
    image_pull_s: float
    failure_probability: float
    failure_exit_code: int
    failure_after: Sampler | None
    uniform: Sampler
    array_size: int | None
    checkpoint: CheckpointSpec | None = None
    depends: tuple[tuple[str | None, str | None], ...] = ()  # (type, entry) of each dependsOn
    runtime_by_index: tuple[tuple[int, int, Sampler], ...] = ()  # (first, last, sampler)
    share: str | None = None  # shareIdentifier (fair-share queues)
    scheduling_priority: int = 0  # schedulingPriorityOverride, else the definition's
    fair: FairShare | None = None  # the queue's policy state, on fair-share queues
    submitted: int = 0  # SubmitJob calls made so far (numbers the job ids)
    line: ShapeLine | None = None  # the queue's line for this spec, cached by JobQueue.push
    container_failures: tuple[ContainerFailure, ...] = ()  # essential containers' (ecsProperties)
    needs: tuple[tuple[int, int], ...] | None = None  # consumable resources: (index, quantity)


@dataclass(frozen=True, slots=True)
class ContainerFailure:
    """How an essential container of a multi-container job fails: with ``probability`` it
    exits with ``exit_code`` after ``after`` (None: the full runtime); ``uniform`` draws."""

    probability: float
    exit_code: int
    after: Sampler | None
    uniform: Sampler


@dataclass(frozen=True, slots=True)
class CheckpointSpec:
    """Checkpoint/restart of a job, in seconds (see schema.Checkpoint)."""

    interval_s: float
    cost_s: float
    restart_s: float
    on_notice: bool

    def pieces(self, work_s: float) -> int:
        """Return into how many intervals ``work_s`` of work is cut (the last may be short)."""
        return max(math.ceil(work_s / self.interval_s - 1e-9), 1)

    def progress(self, elapsed_s: float, work_s: float) -> tuple[float, float]:
        """Return (work done, work saved) ``elapsed_s`` into an attempt's work of ``work_s``.

        Work runs in cycles of ``interval`` then a checkpoint write of ``cost``; a piece is
        saved once its write completes; no checkpoint follows the last piece.
        """
        if elapsed_s <= 0:
            return 0.0, 0.0
        cycle = self.interval_s + self.cost_s
        written = min(math.floor(elapsed_s / cycle), self.pieces(work_s) - 1)
        within = elapsed_s - written * cycle
        done = min(written * self.interval_s + min(within, self.interval_s), work_s)
        return done, written * self.interval_s


def child_runtime(spec: JobSpec, index: int) -> float:
    """Draw the work of array child ``index``: its runtimeByIndex range, else the entry's runtime."""
    for low, high, sampler in spec.runtime_by_index:
        if low <= index <= high:
            return sampler()
    return spec.runtime()


def multinode_shape(nodes: int, itype: InstanceType, allocatable_mib: float) -> Shape:
    """Return the shape of a multi-node parallel job: ``nodes`` whole instances of ``itype``
    (``allocatable_mib`` the memory ECS registers on one)."""
    return Shape(itype.vcpus, allocatable_mib, itype.gpus, nodes=nodes, node_type=itype.name)


def retry_policy(strategy: RetryStrategy | None) -> RetryPolicy:
    """Return the engine form of an AWS retryStrategy (None means one attempt)."""
    if strategy is None:
        return RetryPolicy()
    rules = tuple(
        ExitRule(
            rule.action.upper() == "RETRY", rule.onStatusReason, rule.onReason, rule.onExitCode
        )
        for rule in strategy.evaluateOnExit
    )
    return RetryPolicy(strategy.attempts, rules)


def build_job_spec(
    env: BatchEnv,
    entry: WorkloadEntry,
    definition: JobDefinition,
    shape: Shape | None = None,
    fair: FairShare | None = None,
    needs: tuple[tuple[int, int], ...] | None = None,
) -> JobSpec:
    """Return the JobSpec of ``entry``; its random streams are named after the entry. ``shape``
    overrides the resources (multi-node parallel jobs: see :func:`multinode_shape`); ``fair`` is
    the fair-share state of the entry's queue (None on a FIFO queue); ``needs`` the consumable
    resources one job locks (engine/consumables.py)."""
    sim = definition.simulation
    failure = entry.failure or sim.failure
    timeout = entry.submit.timeout or definition.timeout
    runtime_model = entry.runtime if entry.runtime is not None else sim.runtime
    after = failure.after if failure is not None else None
    return JobSpec(
        entry=entry.name,
        job_name=entry.submit.jobName,
        job_definition=definition.jobDefinitionName,
        queue=entry.submit.jobQueue,
        shape=shape if shape is not None else resolve_shape(definition, entry),
        image=_image(definition),
        container_failures=container_failures(env, entry, definition),
        retry=retry_policy(entry.submit.retryStrategy or definition.retryStrategy),
        timeout_s=float(timeout.attemptDurationSeconds) if timeout is not None else None,
        runtime=make_sampler(runtime_model, env.stream(f"runtime:{entry.name}"))
        if runtime_model is not None
        else _no_runtime,
        start_time_s=sim.startTime,
        image_pull_s=sim.imagePullTime,
        failure_probability=failure.probability if failure is not None else 0.0,
        failure_exit_code=failure.exitCode if failure is not None else 1,
        failure_after=(
            make_sampler(after, env.stream(f"failure-after:{entry.name}"))
            if after is not None
            else None
        ),
        uniform=_uniform_sampler(env.stream(f"failure:{entry.name}")),
        array_size=entry.submit.arrayProperties.size if entry.submit.arrayProperties else None,
        checkpoint=checkpoint_spec(entry.checkpoint or sim.checkpoint),
        depends=tuple((d.type, d.jobId) for d in entry.submit.dependsOn),
        share=entry.submit.shareIdentifier,
        fair=fair,
        needs=needs,
        scheduling_priority=_scheduling_priority(entry, definition),
        runtime_by_index=tuple(
            (*r.bounds(), make_sampler(r.runtime, env.stream(f"runtime:{entry.name}:{r.indexes}")))
            for r in entry.runtimeByIndex
        ),
    )


def _image(definition: JobDefinition) -> str:
    """The image the job pulls: its container's, its task's (all its containers' images as
    one key), or the main node's for a multi-node parallel job."""
    if definition.ecsProperties is not None:
        return task_images(definition.ecsProperties)
    if definition.nodeProperties is None:
        return definition.containerProperties.image
    node_range = main_range(definition)
    if node_range.ecsProperties is not None:
        return task_images(node_range.ecsProperties)
    return node_range.container.image


def _task_containers(definition: JobDefinition) -> list[TaskContainerProperties]:
    """The containers of a multi-container job (the main node's for a multi-node job; its
    exit is the job's). [] for a single-container job."""
    props = definition.ecsProperties
    if props is None and definition.nodeProperties is not None:
        props = main_range(definition).ecsProperties
    return props.containers if props is not None else []


def container_failures(
    env: BatchEnv, entry: WorkloadEntry, definition: JobDefinition
) -> tuple[ContainerFailure, ...]:
    """Return the failure models of the job's essential containers, each with its own random
    streams (named after the entry and the container)."""
    failures = []
    for index, container in enumerate(_task_containers(definition)):
        failure = container.simulation.failure
        if failure is None or not container.essential:
            continue  # NOTE: the loader refuses failures on non-essential containers
        name = f"{entry.name}:{container.name or index}"
        after = failure.after
        failures.append(
            ContainerFailure(
                failure.probability,
                failure.exitCode,
                make_sampler(after, env.stream(f"failure-after:{name}")) if after else None,
                _uniform_sampler(env.stream(f"failure:{name}")),
            )
        )
    return tuple(failures)


def _scheduling_priority(entry: WorkloadEntry, definition: JobDefinition) -> int:
    """SubmitJob's schedulingPriorityOverride wins over the definition's schedulingPriority."""
    override = entry.submit.schedulingPriorityOverride
    if override is not None:
        return override
    return definition.schedulingPriority or 0


def _no_runtime() -> float:
    raise AssertionError("every index has a runtimeByIndex range (checked by the loader)")


def checkpoint_spec(model: Checkpoint | None) -> CheckpointSpec | None:
    """Return the engine form of a scenario ``checkpoint`` block (None: no checkpoints)."""
    if model is None:
        return None
    return CheckpointSpec(model.interval, model.cost, model.restartCost, model.onNotice)


def _uniform_sampler(rng: np.random.Generator) -> Sampler:
    return chunked(lambda n: rng.random(n))

"""One run of the engine in explicit phases: build → elaborate → run → finalize → collect.

:func:`run_engine` returns an :class:`EngineRun` of plain records; turning them into DataFrames,
metrics and files is the job of :mod:`batchsim.results`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from batchsim.catalog import load_catalog
from batchsim.engine.actions import Timeline
from batchsim.engine.attempts import AttemptRunner
from batchsim.engine.blocked import BlockedHeads
from batchsim.engine.compute import EngineLinks, build_ce
from batchsim.engine.dependencies import Dependencies
from batchsim.engine.env import BatchEnv
from batchsim.engine.fair_share import FairShare
from batchsim.engine.job import JobState
from batchsim.engine.queue import JobQueue
from batchsim.engine.scheduler import Scheduler
from batchsim.engine.spec import Shape, build_job_spec, multinode_shape
from batchsim.engine.time_limits import TimeLimits
from batchsim.engine.workload import Submitter
from batchsim.scenario.checks import definition_name, policy_name
from batchsim.scenario.multinode import node_instance_type
from batchsim.scenario.schema import Scenario

JOB_FIELDS = (
    "jobId", "jobName", "workload", "jobDefinition", "status", "statusReason", "attempts",
    "exitCode", "createdAt", "pendingAt", "runnableAt", "startingAt", "startedAt", "stoppedAt",
    "jobQueue", "computeEnvironment", "instanceType", "vcpus", "memory", "gpus", "arrayParent",
    "arrayIndex", "arraySize", "numNodes",
)  # fmt: skip


@dataclass
class EngineRun:
    """Plain records of a finished run (columns in recorder.py and JOB_FIELDS)."""

    seed: int
    end_at: float
    wall_time_s: float
    jobs: list[tuple]
    attempts: list[tuple]
    instances: list[tuple]
    capacity: list[tuple]
    compute_environments: dict[str, dict]
    blocked: list[tuple] = ()  # blocked head jobs (engine/blocked.py BLOCKED_FIELDS)


class Model:
    """The built model of one scenario: environment, compute environments, queues, submitters."""

    def __init__(self, scenario: Scenario, seed: int):
        self.scenario = scenario
        self.env = env = BatchEnv(seed)
        settings = scenario.simulation
        self.catalog = catalog = load_catalog().with_custom(scenario.customInstanceTypes)
        # NOTE: the CEs talk to the scheduler and the runner, built after them (they need the
        # queues, which need the CEs): the links are given now and attached below, once.
        links = EngineLinks()
        self.ces = {
            ce.computeEnvironmentName: build_ce(env, ce, catalog, settings, links)
            for ce in scenario.computeEnvironments
        }
        self.queues = {q.jobQueueName: self._queue(q) for q in scenario.jobQueues}
        self.blocked = BlockedHeads(env)
        for queue in self.queues.values():
            queue.watch = self.blocked
        self.runner = AttemptRunner(env, self.queues)
        self.scheduler = Scheduler(
            env,
            list(self.queues.values()),
            list(self.ces.values()),
            self.runner,
            settings.schedulerInterval,
        )
        self.runner.scheduler = self.scheduler
        links.attach(self.scheduler, self.runner)
        self.scheduler.blocked = self.blocked
        for queue in self.queues.values():
            if queue.time_limits is not None:
                queue.time_limits.runner = self.runner
        self.submitter = Submitter(env, self.scheduler, self.queues)
        if settings.submitJobRate is not None:
            self.submitter.limit_rate(settings.submitJobRate)
        self._wire_dependencies(scenario)

    def _wire_dependencies(self, scenario: Scenario) -> None:
        """Track dependencies only when some workload entry has dependsOn (no cost otherwise)."""
        entries = [e for e in scenario.workload if e.submit.dependsOn]
        if not entries:
            return
        targets = {d.jobId for e in entries for d in e.submit.dependsOn if d.jobId is not None}
        dependencies = Dependencies(self.scheduler, self.queues, targets)
        dependencies.cancel = self.runner.cancel
        self.runner.dependencies = self.submitter.dependencies = dependencies

    def _queue(self, spec) -> JobQueue:
        order = sorted(spec.computeEnvironmentOrder, key=lambda o: o.order)
        ces = [self.ces[o.computeEnvironment] for o in order]
        queue = JobQueue(spec.jobQueueName, spec.priority, ces, spec.simulation.backfill)
        if spec.schedulingPolicyArn is not None:
            policies = {p.name: p for p in self.scenario.schedulingPolicies}
            policy = policies[policy_name(spec.schedulingPolicyArn)]
            queue.fair = FairShare(policy.fairsharePolicy, ces)
        if spec.jobStateTimeLimitActions:
            limits = {a.reason: a.maxTimeSeconds for a in spec.jobStateTimeLimitActions}
            queue.time_limits = TimeLimits(self.env, queue, limits)
        return queue

    def elaborate(self) -> None:
        """Launch the minvCpus floors and schedule every workload entry's submissions."""
        definitions = {d.jobDefinitionName: d for d in self.scenario.jobDefinitions}
        for ce in self.ces.values():
            ce.start()
        for entry in self.scenario.workload:
            definition = definitions[definition_name(entry.submit.jobDefinition)]
            spec = build_job_spec(self.env, entry, definition, self._multinode_shape(definition))
            spec.fair = self.queues[spec.queue].fair
            self.submitter.start(entry, spec, self.scenario.simulation.stopAt)
        if self.scenario.actions:
            timeline = Timeline(self.env, self.runner, self.scheduler, self.ces, self.queues)
            timeline.start(self.scenario.actions)

    def _multinode_shape(self, definition) -> Shape | None:
        """The shape of a multi-node parallel job (None for a container job)."""
        if definition.type != "multinode":
            return None
        itype = self.catalog.get(node_instance_type(definition))
        allocatable = self.scenario.simulation.allocatable_mib(itype.memory_mib)
        return multinode_shape(definition, itype, allocatable)

    def run(self) -> float:
        """Run until nothing can happen or until stopAt; return the end time."""
        self.env.run_until(self.scenario.simulation.stopAt)
        return self.env.now

    def finalize(self, end_at: float) -> None:
        """Close attempts still open and instances still running at the end of the run."""
        for job in self.env.recorder.jobs:
            if job.state is JobState.STARTING or job.state is JobState.RUNNING:
                for host in self.runner.hosts(job):
                    host.busy_vcpu_s += job.spec.shape.vcpus * (end_at - job.starting_at)
                self.runner.close_unfinished(job, end_at)
        for ce in self.ces.values():
            for instance in ce.all_instances:
                if instance.terminated_at is None:
                    self.env.recorder.instances.append(instance.record(end_at))

    def collect(self, end_at: float) -> EngineRun:
        """Return the run's records, jobs turned into plain rows, and release the live model.

        NOTE: the model is full of reference cycles (compute environments ↔ scheduler ↔ env);
        dropping the job list here frees a million jobs by reference counting at once instead
        of leaving them to a slow cyclic collection later.
        """
        recorder = self.env.recorder
        jobs = [job_row(job) for job in recorder.jobs]
        recorder.jobs = []
        for queue in self.queues.values():
            queue.lines.clear()
        return EngineRun(
            seed=self.env.seed,
            end_at=end_at,
            wall_time_s=0.0,
            jobs=jobs,
            attempts=recorder.attempts,
            instances=recorder.instances,
            capacity=recorder.capacity,
            blocked=recorder.blocked,
            compute_environments={
                name: {"minvCpus": ce.min_vcpus, "maxvCpus": ce.max_vcpus}
                for name, ce in self.ces.items()
            },
        )


def job_row(job) -> tuple:
    """Return a job's row (JOB_FIELDS) for jobs.csv."""
    spec, parent = job.spec, job.parent
    shape = spec.shape
    return (
        job.job_id, job.name, spec.entry, spec.job_definition, job.state.value, job.status_reason,
        job.attempts, job.exit_code, job.created_at, job.pending_at, job.runnable_at,
        job.starting_at, job.started_at, job.stopped_at, spec.queue, job.compute_environment,
        job.instance_type, shape.vcpus, shape.memory_mib, shape.gpus,
        parent.job_id if parent is not None else None, job.array_index, job.size,
        shape.nodes or None,
    )  # fmt: skip


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its previous state afterwards.

    NOTE: a run keeps every job alive until the end, and each full collection rescans them all;
    at a million jobs that is seconds of pure overhead. The engine makes no cyclic garbage
    worth collecting during a run (measured: same peak memory with the collector off).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # NOTE: freeze + unfreeze moves the run's survivors straight to the oldest
            # generation, where the collector would put them anyway, without first walking
            # a million young objects in one go (half a second at 1M jobs).
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def run_engine(scenario: Scenario, seed: int | None = None) -> EngineRun:
    """Build, elaborate, run and finalize ``scenario``; ``seed`` overrides the scenario's seed."""
    started = time.perf_counter()
    with paused_gc():
        model = Model(scenario, scenario.simulation.seed if seed is None else seed)
        model.elaborate()
        end_at = model.run()
        model.finalize(end_at)
        run = model.collect(end_at)
    run.wall_time_s = time.perf_counter() - started
    return run

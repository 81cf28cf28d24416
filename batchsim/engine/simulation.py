"""One run of the engine in explicit phases: build → elaborate → run → finalize → collect.

:func:`run_engine` returns an :class:`EngineRun` of plain records; turning them into DataFrames,
metrics and files is the job of :mod:`batchsim.results`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from batchsim.catalog import load_catalog
from batchsim.engine.actions import Timeline
from batchsim.engine.blocked import BlockedHeads
from batchsim.engine.compute import EngineLinks, build_ce
from batchsim.engine.consumables import Consumables
from batchsim.engine.dependencies import Dependencies
from batchsim.engine.env import BatchEnv
from batchsim.engine.fair_share import FairShare
from batchsim.engine.job import JobState
from batchsim.engine.queue import JobQueue
from batchsim.engine.scheduler import Scheduler
from batchsim.engine.spec import Shape, build_job_spec, multinode_shape
from batchsim.engine.traces import TraceReplay
from batchsim.engine.workload import Submitter
from batchsim.gc_pause import paused_gc
from batchsim.observer import RunObserver, RunSample
from batchsim.records import EngineRun
from batchsim.scenario.checks import policy_name
from batchsim.scenario.multinode import node_count, node_instance_type
from batchsim.scenario.schema import Scenario, definition_name

if TYPE_CHECKING:
    from batchsim.scenario.trace_jobs import TraceJobs


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
        self.consumables = (
            Consumables(env, scenario.consumableResources) if scenario.consumableResources else None
        )
        # NOTE: the scheduler builds the lifecycle (which asks it for passes) and the lifecycle
        # its attempt runner; what is built later gets them at construction.
        self.scheduler = Scheduler(
            env,
            list(self.queues.values()),
            list(self.ces.values()),
            self.blocked,
            settings.schedulerInterval,
            self.consumables,
        )
        self.lifecycle = self.scheduler.lifecycle
        self.runner = self.lifecycle.runner
        links.attach(self.scheduler, self.runner)
        self.trace_jobs = self._trace_jobs(scenario)
        self.dependencies = self._dependencies(scenario)
        self.submitter = Submitter(env, self.lifecycle, self.dependencies, settings.submitJobRate)
        self.traces: dict[str, dict[str, int]] = {}  # trace entry → rows read, skipped, submitted

    def _trace_jobs(self, scenario: Scenario) -> dict[str, TraceJobs]:
        """The jobs of every trace entry (read by the loader already: cached)."""
        from batchsim.scenario.trace_jobs import entry_trace_jobs

        return {
            entry.name: entry_trace_jobs(scenario, entry)
            for entry in scenario.workload
            if entry.trace is not None
        }

    def _dependencies(self, scenario: Scenario) -> Dependencies | None:
        """Track dependencies only when some workload entry has dependsOn, or some trace job
        depends on another (no cost otherwise)."""
        entries = [e for e in scenario.workload if e.submit.dependsOn]
        traced = any(j.linked and j.linked.needs_dependencies() for j in self.trace_jobs.values())
        if not entries and not traced:
            return None
        targets = {d.jobId for e in entries for d in e.submit.dependsOn if d.jobId is not None}
        return Dependencies(self.lifecycle, targets)

    def _queue(self, spec) -> JobQueue:
        order = sorted(spec.computeEnvironmentOrder, key=lambda o: o.order)
        ces = [self.ces[o.computeEnvironment] for o in order]
        fair = None
        if spec.schedulingPolicyArn is not None:
            policies = {p.name: p for p in self.scenario.schedulingPolicies}
            policy = policies[policy_name(spec.schedulingPolicyArn)]
            fair = FairShare(policy.fairsharePolicy, ces)
        limits = {a.reason: a.maxTimeSeconds for a in spec.jobStateTimeLimitActions or ()}
        return JobQueue(
            spec.jobQueueName, spec.priority, ces, spec.simulation.backfill, fair, limits
        )

    def elaborate(self) -> None:
        """Launch the minvCpus floors and schedule every workload entry's submissions."""
        definitions = {d.jobDefinitionName: d for d in self.scenario.jobDefinitions}
        for ce in self.ces.values():
            ce.start()
        for entry in self.scenario.workload:
            definition = definitions[definition_name(entry.submit.jobDefinition)]
            fair = self.queues[entry.submit.jobQueue].fair
            shape = self.node_shape_of(definition, entry)
            needs = self.consumables.needs_of(definition, entry) if self.consumables else None
            spec = build_job_spec(self.env, entry, definition, shape, fair, needs)
            if entry.trace is not None:
                self._replay(entry, spec)
            else:
                self.submitter.start(entry, spec, self.scenario.simulation.stopAt)
        if self.scenario.actions:
            timeline = Timeline(
                self.env,
                self.lifecycle,
                self.runner,
                self.scheduler,
                self.ces,
                self.catalog,
                self.dependencies,
            )
            timeline.start(self.scenario.actions)

    def _replay(self, entry, spec) -> None:
        """Start the replay of a trace entry."""
        jobs = self.trace_jobs[entry.name]
        replay = TraceReplay(
            self.env, self.submitter, self.queues, spec, entry.trace, jobs, self.dependencies
        )
        self.traces[entry.name] = replay.counts
        replay.start()

    def node_shape_of(self, definition, entry) -> Shape | None:
        """The shape of ``entry``'s jobs when ``definition`` is a multi-node parallel job: its
        nodes, the SubmitJob's nodeOverrides.numNodes applied, each a whole instance of the
        node type (None for a container job). The doctor asks it, so both agree."""
        if definition.type != "multinode":
            return None
        name = node_instance_type(definition)
        assert name is not None  # NOTE: the loader's checks require a named, known node type
        itype = self.catalog.require(name)
        allocatable = self.scenario.simulation.allocatable_mib(itype.memory_mib)
        return multinode_shape(node_count(definition, entry.submit), itype, allocatable)

    def run(self) -> float:
        """Run until nothing can happen or until stopAt; return the end time."""
        self.env.run_until(self.scenario.simulation.stopAt, self.scheduler.has_waiting)
        return self.env.calendar.now

    def sample(self) -> RunSample:
        """Return how far the run has got (reads list lengths; any thread may call it)."""
        recorder = self.env.recorder
        return RunSample(self.env.calendar.now, recorder.jobs_created, len(recorder.attempts))

    def finalize(self, end_at: float) -> None:
        """Close attempts still open and instances still running at the end of the run."""
        for job in self.env.recorder.jobs:
            if job.state is JobState.STARTING or job.state is JobState.RUNNING:
                assert job.starting_at is not None  # NOTE: placed jobs were stamped STARTING
                for host in self.runner.hosts(job):
                    host.busy_vcpu_s += job.spec.shape.vcpus * (end_at - job.starting_at)
                self.lifecycle.close_unfinished(job, end_at)
        for ce in self.ces.values():
            for instance in ce.alive:
                self.env.recorder.instances.append(instance.record(end_at))

    def collect(self, end_at: float) -> EngineRun:
        """Return the run's records as columns, and release the live model.

        NOTE: the model is full of reference cycles (compute environments ↔ scheduler ↔ env);
        dropping the job list here frees a million jobs by reference counting at once instead
        of leaving them to a slow cyclic collection later.
        """
        recorder = self.env.recorder
        for queue in self.queues.values():
            queue.lines.clear()
        return EngineRun(
            seed=self.env.seed,
            end_at=end_at,
            wall_time_s=0.0,
            jobs=recorder.job_columns(),
            attempts=recorder.attempts.columns(),
            instances=recorder.instances.columns(),
            capacity=recorder.capacity.columns(),
            blocked=recorder.blocked.columns(),
            consumables=recorder.consumables.columns(),
            traces=self.traces,
            waits=recorder.waits.columns(),
            compute_environments={
                name: {"minvCpus": ce.min_vcpus, "maxvCpus": ce.max_vcpus}
                for name, ce in self.ces.items()
            },
        )


def run_engine(
    scenario: Scenario, seed: int | None = None, observer: RunObserver | None = None
) -> EngineRun:
    """Build, elaborate, run and finalize ``scenario``; ``seed`` overrides the scenario's seed.

    ``observer`` (optional) is started just before the run phase and stopped after it.
    """
    started = time.perf_counter()
    with paused_gc():
        model = Model(scenario, scenario.simulation.seed if seed is None else seed)
        model.elaborate()
        end_at = _observed_run(model, observer)
        model.finalize(end_at)
        run = model.collect(end_at)
    run.wall_time_s = time.perf_counter() - started
    return run


def _observed_run(model: Model, observer: RunObserver | None) -> float:
    """Run ``model``, with ``observer`` watching if there is one; return the end time."""
    if observer is None:
        return model.run()
    observer.start(model.sample)
    try:
        return model.run()
    finally:
        observer.stop()

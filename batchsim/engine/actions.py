"""The ``actions`` timeline: AWS API calls made at given times during a run.

* ``CancelJob`` fails jobs still SUBMITTED, PENDING or RUNNABLE with the given reason (a job
  PENDING on its dependencies once they have all completed, as AWS does); it does nothing to
  jobs STARTING or RUNNING (AWS: "jobs that progressed to STARTING or RUNNING aren't
  canceled").
* ``TerminateJob`` does the same and also stops STARTING and RUNNING attempts (outcome
  ``terminated``). Neither is retried.
* ``UpdateComputeEnvironment`` changes minvCpus, maxvCpus, the state or unmanagedvCpus (a
  scaling update), and with ``instanceTypes``, ``allocationStrategy``, ``bidPercentage`` or
  another infrastructure setting makes an infrastructure update under its ``updatePolicy``
  (see :mod:`batchsim.engine.compute.updates`); ``UpdateJobQueue`` the state (a DISABLED queue
  refuses new SubmitJob calls; jobs already in it still run) or priority.

A job action names a workload entry and applies to every job it has submitted by then.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.compute.updates import NewSettings, infrastructure_update
from batchsim.engine.job import ON_AN_INSTANCE, TERMINAL, JobState
from batchsim.scenario.schema import UpdatePolicy

if TYPE_CHECKING:
    from batchsim.catalog import Catalog
    from batchsim.engine.attempts import AttemptRunner
    from batchsim.engine.calendar import Timer
    from batchsim.engine.compute import ComputeEnvironment
    from batchsim.engine.dependencies import Dependencies
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.job import Job
    from batchsim.engine.lifecycle import Lifecycle
    from batchsim.engine.scheduler import Scheduler
    from batchsim.scenario.schema import (
        Action,
        JobAction,
        UpdateComputeEnvironmentAction,
        UpdateComputeResources,
        UpdateJobQueueAction,
    )

WAITING = frozenset({JobState.SUBMITTED, JobState.PENDING, JobState.RUNNABLE})


class Timeline:
    """Makes each action's API call at its time: ``lifecycle`` cancels jobs, ``runner``
    stops attempts, ``scheduler`` re-sorts queues and runs passes, ``ces`` are updated
    (``catalog`` resolves the instance types of an infrastructure update); ``dependencies``
    (None without any ``dependsOn``) hold the cancel of a PENDING job."""

    def __init__(
        self,
        env: BatchEnv,
        lifecycle: Lifecycle,
        runner: AttemptRunner,
        scheduler: Scheduler,
        ces: dict[str, ComputeEnvironment],
        catalog: Catalog,
        dependencies: Dependencies | None = None,
    ):
        self.env = env
        self.calendar = env.calendar
        self.catalog = catalog
        self.dependencies = dependencies
        self.lifecycle = lifecycle  # cancels jobs not yet started
        self.runner = runner  # stops attempts (TerminateJob)
        self.scheduler = scheduler
        self.ces = ces
        self.queues = lifecycle.queues

    def start(self, actions: list[Action]) -> None:
        """Schedule every action."""
        if any(_raises_floor(action) for action in actions):
            # NOTE: a raised minvCpus floor is filled by refills, whose timers are daemons
            self.calendar.daemons_possible = True
        for action in actions:
            self.calendar.call_later(action.at, partial(self._due, action))

    def _due(self, action: Action, _timer: Timer) -> None:
        self.perform(action)

    def perform(self, action: Action) -> None:
        """Make the API call of ``action`` now."""
        name = action.name
        if name in ("CancelJob", "TerminateJob"):
            request: JobAction = getattr(action, name)
            for job in self._jobs_of(request.jobId):
                self._end(job, request.reason, stop_running=name == "TerminateJob")
        elif action.UpdateComputeEnvironment is not None:
            self._update_ce(action.UpdateComputeEnvironment)
        elif action.UpdateJobQueue is not None:
            self._update_queue(action.UpdateJobQueue)

    def _jobs_of(self, entry: str) -> list[Job]:
        """The non-terminal jobs ``entry`` submitted so far (array children, not parents)."""
        return [
            job
            for job in self.env.recorder.jobs
            if job.spec.entry == entry and not job.is_array_parent and job.state not in TERMINAL
        ]

    def _end(self, job: Job, reason: str, stop_running: bool) -> None:
        now = self.calendar.now
        if job.state in WAITING:
            deps = self.dependencies if job.state is JobState.PENDING else None
            if deps is None or not deps.cancel_when_released(job, reason):
                self.lifecycle.cancel(job, reason, now)
        elif stop_running and job.state in ON_AN_INSTANCE:
            self.runner.terminate(job, reason, now)

    def _update_ce(self, request: UpdateComputeEnvironmentAction) -> None:
        ce = self.ces[request.computeEnvironment]
        if request.state is not None:
            ce.enabled = request.state == "ENABLED"
        if request.unmanagedvCpus is not None:
            ce.reservation_vcpus = request.unmanagedvCpus
        resources = request.computeResources
        if resources is not None:
            if resources.maxvCpus is not None:
                ce.max_vcpus = resources.maxvCpus
            if resources.minvCpus is not None:
                ce.min_vcpus = resources.minvCpus
        # NOTE: on Fargate the loader lets only subnets and security groups through: no effect.
        if resources and resources.infrastructure_keys() and ce.lifecycle in ("on-demand", "spot"):
            # NOTE: infrastructure_update applies the new limits once the new settings are in
            # (updating them first would launch a floor instance of the old settings, billed).
            policy = request.updatePolicy or UpdatePolicy()
            infrastructure_update(
                ce,
                self._new_settings(resources),
                self.env.recorder.jobs,
                policy.terminateJobsOnUpdate,
                policy.jobExecutionTimeoutMinutes * 60.0,
            )
        else:
            ce.update_limits()
        if resources is not None:
            self.lifecycle.recheck_blocked(ce)  # NOTE: new limits or types: lines may (not) fit

    def _new_settings(self, resources: UpdateComputeResources) -> NewSettings:
        """What an infrastructure update changes, with its instance types resolved."""
        entries = resources.instanceTypes
        return NewSettings(
            None if entries is None else self.catalog.resolve(entries),
            None if entries is None else self.catalog.priorities(entries),
            resources.allocationStrategy,
            resources.bidPercentage,
        )

    def _update_queue(self, request: UpdateJobQueueAction) -> None:
        queue = self.queues[request.jobQueue]
        if request.state is not None:
            queue.enabled = request.state == "ENABLED"
        if request.priority is not None:
            queue.priority = request.priority
            self.scheduler.reorder()
        self.scheduler.request_pass()


def _raises_floor(action: Action) -> bool:
    """Whether ``action`` sets a compute environment's minvCpus."""
    update = action.UpdateComputeEnvironment
    resources = update.computeResources if update is not None else None
    return resources is not None and bool(resources.minvCpus)

"""Job attempts: STARTING (image pull, container start), RUNNING, and how an attempt ends.

Attempts run as callbacks on scheduled events rather than as one SimPy process per job; each
callback carries the job's ``token`` and does nothing if the token has moved on since.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.job import JobState
from batchsim.engine.recorder import Outcome

if TYPE_CHECKING:
    from batchsim.engine.compute import ComputeEnvironment
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.instance import Instance
    from batchsim.engine.job import Job
    from batchsim.engine.queue import JobQueue
    from batchsim.engine.scheduler import Scheduler

CONTAINER_EXITED = "Essential container in task exited"
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
STARTING, RUNNING = JobState.STARTING, JobState.RUNNING
RUNNABLE, SUCCEEDED, FAILED = JobState.RUNNABLE, JobState.SUCCEEDED, JobState.FAILED


class AttemptRunner:
    """Starts attempts on instances, ends them, and applies the retry strategy."""

    def __init__(self, env: BatchEnv, queues: dict[str, JobQueue]):
        self.env = env
        self.queues = queues
        self.scheduler: Scheduler | None = None  # wired by the simulation's build step
        self._attempts = env.recorder.attempts

    def start_attempt(self, job: Job, ce: ComputeEnvironment, instance: Instance) -> None:
        """Place ``job`` on ``instance``: STARTING now, RUNNING after pull and container start."""
        env, spec = self.env, job.spec
        now = env._now  # NOTE: the attribute, not SimPy's property: this is the hot path
        ce.allocate(instance, spec.shape)
        job.move(STARTING, now)
        job.started_at = None  # this attempt has not started RUNNING yet
        job.attempts += 1
        job.instance = instance
        job.compute_environment = ce.name
        job.instance_type = instance.itype.name
        delay = spec.start_time_s
        if spec.image_pull_s > 0:
            delay += max(instance.image_ready_at(spec.image, now, spec.image_pull_s) - now, 0.0)
        if delay > 0:
            env.call_later(delay, partial(self._begin_running, job, job.token))
        else:
            self._begin_running(job, job.token, None)

    def _begin_running(self, job: Job, token: int, _event) -> None:
        if job.token != token:
            return
        spec = job.spec
        job.move(RUNNING, self.env._now)
        duration = job.work_s
        outcome, exit_code = Outcome.SUCCEEDED, 0
        if spec.failure_probability > 0 and spec.uniform() < spec.failure_probability:
            outcome, exit_code = Outcome.FAILED, spec.failure_exit_code
            if spec.failure_after is not None:
                duration = spec.failure_after()
        if spec.timeout_s is not None and duration > spec.timeout_s:
            outcome, exit_code, duration = Outcome.TIMED_OUT, None, spec.timeout_s
        self.env.call_later(duration, partial(self._end, job, token, outcome, exit_code))

    def _end(self, job: Job, token: int, outcome: str, exit_code: int | None, _event) -> None:
        if job.token != token:
            return
        now = self.env._now
        instance = job.instance
        reason = TIMEOUT_REASON if outcome is Outcome.TIMED_OUT else CONTAINER_EXITED
        self._record(job, outcome, exit_code, reason, "", now)
        job.token += 1
        job.instance = None
        job.exit_code = exit_code
        job.status_reason = reason
        if outcome is Outcome.SUCCEEDED:
            self._finish(job, SUCCEEDED, now)
        elif outcome is Outcome.FAILED and job.spec.retry.should_retry(job.attempts, reason, "", exit_code):
            job.move(RUNNABLE, now)
            self.scheduler.enqueue(self.queues[job.spec.queue], job, front=True)
        else:
            self._finish(job, FAILED, now)
        instance.ce.release(instance, job.spec.shape, now - job.starting_at)

    def _record(
        self, job: Job, outcome: str, exit_code, status_reason: str, reason: str, now: float, wasted_s: float = 0.0
    ) -> None:
        instance, shape = job.instance, job.spec.shape
        self._attempts.append((
            job.index, job.attempts, instance.ce.name, instance.instance_id, instance.itype.name,
            shape.vcpus, shape.memory_mib, shape.gpus, job.runnable_at, job.starting_at,
            job.started_at, now, outcome, exit_code, status_reason, reason,
            shape.vcpus * wasted_s / 3600.0,
        ))  # fmt: skip

    def _finish(self, job: Job, state: JobState, now: float) -> None:
        job.move(state, now)
        parent = job.parent
        if parent is None:
            return
        parent.children_left -= 1
        if state is FAILED:
            parent.children_failed += 1
        if parent.children_left == 0:
            parent.move(FAILED if parent.children_failed else SUCCEEDED, now)

    def close_unfinished(self, job: Job, now: float) -> None:
        """Record the open attempt of a job still STARTING or RUNNING when the run stops."""
        self._record(job, Outcome.UNFINISHED, None, "", "", now)

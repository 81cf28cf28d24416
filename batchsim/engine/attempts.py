"""Job attempts: STARTING (image pull, container start), RUNNING, and how an attempt ends.

The attempt runner decides *when* (timers, failures, timeouts, checkpoints, reclaims) and asks
the lifecycle (engine/lifecycle.py) for every state change. Attempts run as callbacks on
scheduled events rather than as one SimPy process per job; each callback carries the job's
``token`` and does nothing if the token has moved on since.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.compute import SpotInterruption
from batchsim.engine.job import JobState, Progress
from batchsim.records import Outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from batchsim.engine.calendar import Timer
    from batchsim.engine.compute import ComputeEnvironment, Instance
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.job import Job
    from batchsim.engine.lifecycle import Lifecycle
    from batchsim.engine.spec import CheckpointSpec, ContainerFailure

CONTAINER_EXITED = "Essential container in task exited"
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
RUNNING, SUCCEEDED, FAILED = JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED
# NOTE: members as module names: reading ``Enum.MEMBER`` is an attribute lookup on the enum
# class at every use, several times the cost of a global (compiled, ten times).
ATTEMPT_SUCCEEDED, ATTEMPT_FAILED, ATTEMPT_TIMED_OUT = (
    Outcome.SUCCEEDED,
    Outcome.FAILED,
    Outcome.TIMED_OUT,
)


class AttemptRunner:
    """Times the attempts the lifecycle starts (image pull, container start, run, failures,
    timeouts, checkpoints), ends them, and applies the retry strategy; ``lifecycle`` makes
    every state change."""

    def __init__(self, env: BatchEnv, lifecycle: Lifecycle):
        self.calendar = env.calendar
        self.lifecycle = lifecycle
        self._other_nodes: dict[Job, Sequence[Instance]] = {}  # multi-node parallel jobs running

    def start_attempt(
        self,
        job: Job,
        ce: ComputeEnvironment,
        instance: Instance,
        other_nodes: Sequence[Instance],
        now: float,
    ) -> None:
        """Hold room for the STARTING ``job`` on ``instance`` (and an MNP job's
        ``other_nodes``) and plan RUNNING after the image pull and container start."""
        spec = job.spec
        ce.allocate(instance, spec.shape)
        if other_nodes:
            for host in other_nodes:
                ce.allocate(host, spec.shape)
            self._other_nodes[job] = other_nodes
        delay = spec.start_time_s
        if spec.image_pull_s > 0:
            delay += max(instance.image_ready_at(spec.image, now, spec.image_pull_s) - now, 0.0)
        if delay > 0:
            begin = partial(self._begin_running, job, job.token)
            job.timer = self.calendar.call_later(delay, begin)
        else:
            self._begin_running(job, job.token, None)

    def _begin_running(self, job: Job, token: int, _event: Timer | None) -> None:
        if job.token != token:
            return
        spec = job.spec
        now = self.calendar.now
        self.lifecycle.run(job, now)
        checkpoint = spec.checkpoint
        duration = (
            job.work_s if checkpoint is None else self._checkpointed_run(job, checkpoint, now)
        )
        exit_code: int | None
        outcome, exit_code, full = ATTEMPT_SUCCEEDED, 0, duration
        if spec.failure_probability > 0 and spec.uniform() < spec.failure_probability:
            outcome, exit_code = ATTEMPT_FAILED, spec.failure_exit_code
            if spec.failure_after is not None:
                duration = spec.failure_after()
        if spec.container_failures:
            outcome, exit_code, duration = _first_essential_exit(
                spec.container_failures, outcome, exit_code, duration, full
            )
        if spec.timeout_s is not None and duration > spec.timeout_s:
            outcome, exit_code, duration = ATTEMPT_TIMED_OUT, None, spec.timeout_s
        job.timer = self.calendar.call_later(
            duration, partial(self._end, job, token, outcome, exit_code)
        )

    @staticmethod
    def _checkpointed_run(job: Job, checkpoint: CheckpointSpec, now: float) -> float:
        """Return the RUNNING time of an uninterrupted attempt of a job that writes
        ``checkpoint``s: restart (on a retry), the work left since the last checkpoint, and
        the checkpoints it writes."""
        progress = getattr(job, "progress", None)
        if progress is None:
            progress = job.progress = Progress()
        restart_s = checkpoint.restart_s if job.attempts > 1 else 0.0
        left_s = job.work_s - progress.saved_s
        duration = restart_s + left_s + (checkpoint.pieces(left_s) - 1) * checkpoint.cost_s
        progress.work_from_at = now + restart_s
        progress.ends_at = now + duration
        progress.notice_saved_s = None
        return duration

    def _work_done(self, job: Job, now: float) -> tuple[float, float]:
        """Return (work done, work saved) by the current attempt of ``job`` until ``now``."""
        if job.state is not RUNNING:
            return 0.0, 0.0
        checkpoint = job.spec.checkpoint
        if checkpoint is None:
            assert job.started_at is not None  # a RUNNING job has started
            return min(now - job.started_at, job.work_s), 0.0
        progress = job.progress
        return checkpoint.progress(now - progress.work_from_at, job.work_s - progress.saved_s)

    def _end(
        self, job: Job, token: int, outcome: str, exit_code: int | None, _event: Timer
    ) -> None:
        if job.token != token:
            return
        now = self.calendar.now
        instance, starting_at = job.instance, job.starting_at
        assert instance is not None and starting_at is not None  # the attempt is placed
        reason = TIMEOUT_REASON if outcome is ATTEMPT_TIMED_OUT else CONTAINER_EXITED
        if outcome is not ATTEMPT_SUCCEEDED and job.spec.checkpoint is not None:
            job.progress.saved_s += self._work_done(job, now)[1]
            job.progress.notice_saved_s = None
        job.timer = None  # NOTE: fired; a million of them would otherwise stay alive to the end
        lifecycle = self.lifecycle
        lifecycle.stop(job, outcome, exit_code, reason, now)
        if outcome is ATTEMPT_SUCCEEDED:
            lifecycle.finish(job, SUCCEEDED, now)
        elif outcome is ATTEMPT_FAILED:
            self._retry_or_fail(job, reason, exit_code, now)
        else:
            lifecycle.finish(job, FAILED, now)
        shape = job.spec.shape
        instance.ce.release(instance, shape, now - starting_at)
        if shape.nodes:
            self._release_other_nodes(job, now)

    def _retry_or_fail(self, job: Job, reason: str, exit_code: int | None, now: float) -> None:
        """After a failed attempt: back to the front of the queue if the retry strategy says
        so, else FAILED."""
        if job.spec.retry.should_retry(job.attempts, reason, "", exit_code):
            self.lifecycle.make_runnable(job, now, front=True)
        else:
            self.lifecycle.finish(job, FAILED, now)

    def on_notice(self, job: Job, now: float, reclaim_at: float) -> None:
        """A Spot notice reached ``job``'s host: with ``checkpoint.onNotice``, write one more
        checkpoint if it completes before the reclaim and the job would not finish first."""
        checkpoint = job.spec.checkpoint
        if checkpoint is None or not checkpoint.on_notice or job.state is not RUNNING:
            return
        if job.progress.ends_at < reclaim_at or now + checkpoint.cost_s > reclaim_at:
            return
        # NOTE: the job stops working while it writes the checkpoint, then waits for the reclaim.
        job.progress.notice_saved_s = self._work_done(job, now)[0]

    def interrupt(self, job: Job, cause: SpotInterruption, now: float) -> None:
        """End ``job``'s attempt because its host was reclaimed; keep the checkpointed work,
        count the rest as wasted, and retry or fail as the retry strategy says."""
        instance, starting_at = job.instance, job.starting_at
        assert instance is not None and starting_at is not None  # the attempt is placed
        done, saved = self._work_done(job, now)
        progress = getattr(job, "progress", None)
        if progress is not None and progress.notice_saved_s is not None:
            done = saved = progress.notice_saved_s
            progress.notice_saved_s = None
        if progress is not None:
            progress.saved_s += saved
        wasted_vcpu_h = job.spec.shape.vcpus * (done - saved) / 3600.0
        self.lifecycle.stop(job, cause.outcome, None, cause.status_reason, now, wasted_vcpu_h)
        self._retry_or_fail(job, cause.status_reason, None, now)
        instance.ce.evict(instance, job.spec.shape, now - starting_at)
        self._release_other_nodes(job, now)  # NOTE: an MNP job's hosts go with its main node

    def terminate(self, job: Job, reason: str, now: float) -> None:
        """TerminateJob on a STARTING or RUNNING job: the attempt stops now; the job FAILED
        (never retried)."""
        instance, starting_at = job.instance, job.starting_at
        assert instance is not None and starting_at is not None  # the attempt is placed
        self.lifecycle.stop(job, Outcome.TERMINATED, None, reason, now)
        self.lifecycle.finish(job, FAILED, now)
        instance.ce.release(instance, job.spec.shape, now - starting_at)
        self._release_other_nodes(job, now)

    def hosts(self, job: Job) -> list[Instance]:
        """Return the instances a placed job holds: its own, then an MNP job's other nodes."""
        assert job.instance is not None  # the job is placed
        return [job.instance, *self._other_nodes.get(job, ())]

    def _release_other_nodes(self, job: Job, now: float) -> None:
        """Give back the child nodes of an ended MNP attempt (AWS stops them when the main
        node exits)."""
        assert job.starting_at is not None  # the attempt is placed
        shape, held_s = job.spec.shape, now - job.starting_at
        for host in self._other_nodes.pop(job, ()):
            host.ce.release(host, shape, held_s)


def _first_essential_exit(
    failures: tuple[ContainerFailure, ...],
    outcome: Outcome,
    exit_code: int | None,
    duration: float,
    full: float,
) -> tuple[Outcome, int | None, float]:
    """Return the attempt's (outcome, exit code, RUNNING time) once its essential containers
    have drawn their failures: the first to exit non-zero stops the task (ECS stops the other
    containers), so the earliest failure wins; on a tie, the job's own failure model, then the
    containers in their order. ``duration`` is the attempt's time so far, ``full`` its time
    without a failure (a failure without ``after`` comes at the end of it)."""
    failed = outcome is ATTEMPT_FAILED
    for failure in failures:
        if not failure.uniform() < failure.probability:
            continue
        at = failure.after() if failure.after is not None else full
        if not failed or at < duration:
            outcome, exit_code, duration, failed = ATTEMPT_FAILED, failure.exit_code, at, True
    return outcome, exit_code, duration

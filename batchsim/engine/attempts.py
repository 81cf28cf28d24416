"""Job attempts: STARTING (image pull, container start), RUNNING, and how an attempt ends.

Attempts run as callbacks on scheduled events rather than as one SimPy process per job; each
callback carries the job's ``token`` and does nothing if the token has moved on since.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.compute import SpotInterruption
from batchsim.engine.job import JobState, Progress
from batchsim.engine.recorder import Outcome

if TYPE_CHECKING:
    from batchsim.engine.compute import ComputeEnvironment, Instance
    from batchsim.engine.dependencies import Dependencies
    from batchsim.engine.env import BatchEnv
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
        self.dependencies: Dependencies | None = None  # only when some job has dependsOn
        self._attempts = env.recorder.attempts
        self._other_nodes: dict[Job, list[Instance]] = {}  # multi-node parallel jobs running

    def start_attempt(
        self, job: Job, ce: ComputeEnvironment, instance: Instance, other_nodes=()
    ) -> None:
        """Place ``job`` on ``instance``: STARTING now, RUNNING after pull and container start.
        A multi-node parallel job also holds ``other_nodes`` (its child nodes' instances)."""
        env, spec = self.env, job.spec
        now = env._now  # NOTE: the attribute, not SimPy's property: this is the hot path
        ce.allocate(instance, spec.shape)
        if other_nodes:
            for host in other_nodes:
                ce.allocate(host, spec.shape)
            self._other_nodes[job] = other_nodes
        if spec.fair is not None:
            spec.fair.started(spec.share, spec.shape.held_vcpus, now)
        running = instance.running
        if running is not None:
            running.add(job)
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
            job.timer = env.call_later(delay, partial(self._begin_running, job, job.token))
        else:
            self._begin_running(job, job.token, None)

    def _begin_running(self, job: Job, token: int, _event) -> None:
        if job.token != token:
            return
        spec = job.spec
        now = self.env._now
        job.move(RUNNING, now)
        duration = job.work_s if spec.checkpoint is None else self._checkpointed_run(job, now)
        outcome, exit_code = Outcome.SUCCEEDED, 0
        if spec.failure_probability > 0 and spec.uniform() < spec.failure_probability:
            outcome, exit_code = Outcome.FAILED, spec.failure_exit_code
            if spec.failure_after is not None:
                duration = spec.failure_after()
        if spec.timeout_s is not None and duration > spec.timeout_s:
            outcome, exit_code, duration = Outcome.TIMED_OUT, None, spec.timeout_s
        job.timer = self.env.call_later(
            duration, partial(self._end, job, token, outcome, exit_code)
        )

    @staticmethod
    def _checkpointed_run(job: Job, now: float) -> float:
        """Return the RUNNING time of an uninterrupted attempt of a checkpointed job: restart
        (on a retry), the work left since the last checkpoint, and the checkpoints it writes."""
        checkpoint = job.spec.checkpoint
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
            return min(now - job.started_at, job.work_s), 0.0
        progress = job.progress
        return checkpoint.progress(now - progress.work_from_at, job.work_s - progress.saved_s)

    def _end(self, job: Job, token: int, outcome: str, exit_code: int | None, _event) -> None:
        if job.token != token:
            return
        now = self.env._now
        instance = job.instance
        reason = TIMEOUT_REASON if outcome is Outcome.TIMED_OUT else CONTAINER_EXITED
        if outcome is not Outcome.SUCCEEDED and job.spec.checkpoint is not None:
            job.progress.saved_s += self._work_done(job, now)[1]
            job.progress.notice_saved_s = None
        job.timer = None  # NOTE: fired; a million of them would otherwise stay alive to the end
        self._detach(job, outcome, exit_code, reason, now)
        if outcome is Outcome.SUCCEEDED:
            self.finish(job, SUCCEEDED, now)
        elif outcome is Outcome.FAILED:
            self._retry_or_fail(job, reason, exit_code, now)
        else:
            self.finish(job, FAILED, now)
        shape = job.spec.shape
        instance.ce.release(instance, shape, now - job.starting_at)
        if shape.nodes:
            self._release_other_nodes(job, now)

    def _detach(
        self, job: Job, outcome: str, exit_code, reason: str, now: float, wasted_vcpu_h: float = 0.0
    ) -> None:
        """Close the job's attempt: record it, take the job off its instance, and make any
        callback still pending for the attempt stale (a pending timer is cancelled)."""
        instance, spec = job.instance, job.spec
        self._record(job, outcome, exit_code, reason, "", now, wasted_vcpu_h)
        if spec.fair is not None:
            spec.fair.stopped(spec.share, spec.shape.held_vcpus, now)
        if instance.running is not None:
            instance.running.discard(job)
        if job.timer is not None:
            self.env.cancel(job.timer)  # NOTE: a stale timer must not keep the run going
            job.timer = None
        job.token += 1
        job.instance = None
        job.exit_code = exit_code
        job.status_reason = reason

    def _retry_or_fail(self, job: Job, reason: str, exit_code: int | None, now: float) -> None:
        """After a failed attempt: back to the front of the queue if the retry strategy says
        so, else FAILED."""
        if job.spec.retry.should_retry(job.attempts, reason, "", exit_code):
            job.move(RUNNABLE, now)
            self.scheduler.enqueue(self.queues[job.spec.queue], job, front=True)
        else:
            self.finish(job, FAILED, now)

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
        instance = job.instance
        done, saved = self._work_done(job, now)
        progress = getattr(job, "progress", None)
        if progress is not None and progress.notice_saved_s is not None:
            done = saved = progress.notice_saved_s
            progress.notice_saved_s = None
        if progress is not None:
            progress.saved_s += saved
        wasted_vcpu_h = job.spec.shape.vcpus * (done - saved) / 3600.0
        self._detach(job, Outcome.SPOT_INTERRUPTED, None, cause.status_reason, now, wasted_vcpu_h)
        self._retry_or_fail(job, cause.status_reason, None, now)
        instance.ce.evict(instance, job.spec.shape, now - job.starting_at)

    def terminate(self, job: Job, reason: str, now: float) -> None:
        """TerminateJob on a STARTING or RUNNING job: the attempt stops now; the job FAILED
        (never retried)."""
        instance = job.instance
        self._detach(job, Outcome.TERMINATED, None, reason, now)
        self.finish(job, FAILED, now)
        instance.ce.release(instance, job.spec.shape, now - job.starting_at)
        self._release_other_nodes(job, now)

    def hosts(self, job: Job) -> list[Instance]:
        """Return the instances a placed job holds: its own, then an MNP job's other nodes."""
        return [job.instance, *self._other_nodes.get(job, ())]

    def _release_other_nodes(self, job: Job, now: float) -> None:
        """Give back the child nodes of an ended MNP attempt (AWS stops them when the main
        node exits)."""
        shape, held_s = job.spec.shape, now - job.starting_at
        for host in self._other_nodes.pop(job, ()):
            host.ce.release(host, shape, held_s)

    def cancel(self, job: Job, reason: str, now: float) -> None:
        """Fail a job that has not started (SUBMITTED, PENDING or RUNNABLE) with ``reason``:
        CancelJob, a queue's time limit, a failed dependency. Never retried."""
        if job.state is RUNNABLE:
            self.scheduler.remove(self.queues[job.spec.queue], job)
        job.status_reason = reason
        self.finish(job, FAILED, now)

    def _record(
        self,
        job: Job,
        outcome: str,
        exit_code,
        status_reason: str,
        reason: str,
        now: float,
        wasted_vcpu_h: float = 0.0,
    ) -> None:
        instance, shape = job.instance, job.spec.shape
        self._attempts.append((
            job.index, job.attempts, instance.ce.name, instance.instance_id, instance.itype.name,
            shape.vcpus, shape.memory_mib, shape.gpus, job.runnable_at, job.starting_at,
            job.started_at, now, outcome, exit_code, status_reason, reason, wasted_vcpu_h,
        ))  # fmt: skip

    def finish(self, job: Job, state: JobState, now: float) -> None:
        """Move ``job`` to SUCCEEDED or FAILED; roll its array parent up once all children are
        done; tell the jobs that depend on either."""
        job.move(state, now)
        fair = job.spec.fair
        if fair is not None and not job.is_array_parent:
            fair.left(job.spec.share)
        dependencies = self.dependencies
        if dependencies is not None:
            dependencies.ended(job, state, now)
        parent = job.parent
        if parent is None:
            return
        parent.children_left -= 1
        if state is FAILED:
            parent.children_failed += 1
        if parent.children_left == 0:
            rolled_up = FAILED if parent.children_failed else SUCCEEDED
            parent.move(rolled_up, now)
            if dependencies is not None:
                dependencies.ended(parent, rolled_up, now)

    def close_unfinished(self, job: Job, now: float) -> None:
        """Record the open attempt of a job still STARTING or RUNNING when the run stops."""
        self._record(job, Outcome.UNFINISHED, None, "", "", now)

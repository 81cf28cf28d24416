"""The one owner of job state changes: every move of a job, and what follows from it.

Other modules ask the :class:`Lifecycle` to move a job — the submitter to hold it PENDING or
make it RUNNABLE, the scheduler to start it on an instance, the attempt runner to let it run,
close its attempt and finish it, dependencies and the ``actions`` timeline to cancel it — and
the lifecycle applies the side effects in one place: queue membership and the count of waiting
jobs, pass requests, blocked statusReasons (time-limit clocks, blocked-queue events), attempt
records, fair-share accounting, the array parent's roll-up and the "job ended" listeners
(dependencies). Legal moves come from :data:`~batchsim.engine.job.TRANSITIONS` only; an illegal
one raises :class:`~batchsim.errors.IllegalTransition`.

NOTE: each hot transition is one method that checks the move and stamps its time inline rather
than through :meth:`Job.move`: an extra call per state change costs 1–2 % of a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from batchsim.engine.attempts import AttemptRunner
from batchsim.engine.job import TRANSITIONS, JobState
from batchsim.engine.recorder import CHUNK_ROWS, Outcome
from batchsim.engine.time_limits import TimeLimits
from batchsim.engine.waits import WaitLog
from batchsim.errors import IllegalTransition

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from batchsim.engine.blocked import BlockedHeads
    from batchsim.engine.compute import ComputeEnvironment, Instance
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.job import Job
    from batchsim.engine.queue import JobQueue, ShapeLine

    JobEnded = Callable[[Job, JobState, float], None]

S = JobState
PENDING, RUNNABLE, STARTING, RUNNING = S.PENDING, S.RUNNABLE, S.STARTING, S.RUNNING
SUCCEEDED, FAILED = S.SUCCEEDED, S.FAILED


def sources(state: JobState) -> frozenset[JobState]:
    """Return the states from which TRANSITIONS allows a move into ``state``."""
    return frozenset(origin for origin, targets in TRANSITIONS.items() if state in targets)


INTO_RUNNABLE, INTO_STARTING, INTO_RUNNING = sources(RUNNABLE), sources(STARTING), sources(RUNNING)
INTO_END = {SUCCEEDED: sources(SUCCEEDED), FAILED: sources(FAILED)}


def illegal(job: Job, state: JobState) -> IllegalTransition:
    """Return the error for moving ``job`` to ``state``, a move AWS Batch never makes."""
    return IllegalTransition(f"job {job.job_id}: {job.state.value} -> {state.value} is not allowed")


class PassRequests(Protocol):
    """What the lifecycle needs of the scheduler: a pass, when a job may now be placed."""

    def request_pass(self) -> None:
        """Ask for a scheduling pass at the end of this instant (or the next tick)."""


class Lifecycle:
    """Moves jobs between states and applies every side effect of each move (module docstring).

    ``queues`` are the job queues (their ``time_limits`` give each its time-limit actions),
    ``passes`` is asked for a scheduling pass when a job joins a queue, ``watch`` records
    blocked queue heads. The lifecycle builds the :class:`AttemptRunner` that times the
    attempts it starts (``runner``); ``waits`` records why lines wait (a :class:`WaitLog`).
    ``waiting`` counts the RUNNABLE jobs in all queues.
    """

    def __init__(
        self,
        env: BatchEnv,
        queues: Iterable[JobQueue],
        passes: PassRequests,
        watch: BlockedHeads,
        waits: WaitLog | None = None,
    ):
        self.env = env
        self.calendar = env.calendar
        self.queues = {queue.name: queue for queue in queues}
        self.watch = watch
        self.waiting = 0
        self._request_pass = passes.request_pass
        self._recorder = env.recorder
        self._attempt_records = env.recorder.attempts
        self._attempts = self._attempt_records.rows
        self._ended: tuple[JobEnded, ...] = ()
        self.limits = {
            queue: TimeLimits(env, queue, queue.time_limits, self.cancel)
            for queue in self.queues.values()
            if queue.time_limits
        }
        self.runner = AttemptRunner(env, self)
        self.waits = waits if waits is not None else WaitLog(env)
        self._start_attempt = self.runner.start_attempt

    def on_job_ended(self, listener: JobEnded) -> None:
        """Call ``listener(job, state, now)`` whenever a job reaches SUCCEEDED or FAILED
        (subscribers register when they are built, before the run)."""
        self._ended = (*self._ended, listener)

    # ------------------------------------------------------------------ SUBMITTED, PENDING
    def submitted(self, job: Job) -> None:
        """A SubmitJob call created ``job`` (a plain job or an array parent): record it and
        count its jobs (an array's children) in its fair share."""
        self.spawned(job)
        spec = job.spec
        if spec.fair is not None:
            assert spec.share is not None  # the loader: fair-share jobs have a shareIdentifier
            spec.fair.joined(spec.share, spec.array_size or 1)

    def spawned(self, child: Job) -> None:
        """An array parent created ``child`` (already PENDING): record it (every job is
        recorded here, plain jobs and parents through :meth:`submitted`)."""
        self._recorder.add_job(child)

    def hold(self, job: Job, now: float) -> None:
        """SUBMITTED → PENDING: ``job`` waits for its dependencies (or is an array parent)."""
        job.move(PENDING, now)

    # ------------------------------------------------------------------ RUNNABLE
    def make_runnable(self, job: Job, now: float, front: bool = False) -> None:
        """→ RUNNABLE: put ``job`` in its queue (at the front for a retry) and ask for a pass,
        unless the pass could do nothing for it (see :func:`changes_nothing`)."""
        if job.state not in INTO_RUNNABLE:
            raise illegal(job, RUNNABLE)
        job.state = RUNNABLE
        job.runnable_at = now
        queue = self.queues[job.spec.queue]
        blocked = queue.push_front(job) if front else queue.push(job)
        self.waiting += 1
        if blocked:
            self.waits.blocked(queue, queue.line_of(job.spec))
            self.note_blocked(queue, (job,))
        if front or not changes_nothing(queue, job):
            self._request_pass()

    def note_blocked(self, queue: JobQueue, jobs: Iterable[Job]) -> None:
        """``jobs`` of ``queue`` got a blocked statusReason: start their time-limit clocks and
        report the queue's head if it is newly blocked."""
        limits = self.limits.get(queue)
        if limits is not None:
            limits.blocked(jobs)
        self.watch.check(queue, start_watching=True)

    def mark_stuck(self, queue: JobQueue, line: ShapeLine, reason: str) -> None:
        """Give the waiting jobs of ``line`` AWS's blocked ``reason`` (ShapeLine.mark_stuck)."""
        line.mark_stuck(reason)
        self.waits.blocked(queue, line)
        self.note_blocked(queue, line.jobs)

    def clear_stuck(self, queue: JobQueue, line: ShapeLine) -> None:
        """Capacity is back for ``line``: its jobs lose the blocked reason, their clocks stop."""
        limits = self.limits.get(queue)
        if limits is not None:
            limits.unblocked(line.jobs)
        line.clear_stuck()
        self.watch.lifted(queue, line)

    def recheck_blocked(self, ce: ComputeEnvironment) -> None:
        """``ce``'s limits or instance types changed (UpdateComputeEnvironment): give every line
        of the queues using it the blocked reason it has now (JobQueue.never_placeable_reason),
        its jobs that statusReason, their time-limit clocks and the blocked-head watch; a line
        that may run again gets a pass. A line that could run until now and fits an instance
        still alive is left to the passes (they place it there, or explain its wait)."""
        for queue in self.queues.values():
            if ce not in queue.ces:
                continue
            for line in queue.lines.values():
                reason = queue.never_placeable_reason(line.shape)
                if reason == line.blocked_reason:
                    continue
                if line.blocked_reason is None and any(c.fits_live(line.shape) for c in queue.ces):
                    continue  # NOTE: e.g. a lower maxvCpus: an instance it fits runs on
                self._reblock(queue, line, reason)

    def _reblock(self, queue: JobQueue, line: ShapeLine, reason: str | None) -> None:
        """Replace the blocked reason of ``line`` by ``reason`` (None: it can run now)."""
        old = line.blocked_reason
        if old is not None:
            limits = self.limits.get(queue)
            if limits is not None:
                limits.unblocked(line.jobs)
            for job in line.jobs:
                if job.status_reason == old:
                    job.status_reason = None
            line.blocked_reason = None
            self.watch.lifted(queue, line)
        line.waits_for_room_at = None
        if reason is None:
            self._request_pass()
            return
        if line.stuck_reason is not None:
            self.clear_stuck(queue, line)
        line.blocked_reason = reason
        for job in line.jobs:
            job.status_reason = reason
        if line.jobs:
            self.waits.blocked(queue, line)
            self.note_blocked(queue, line.jobs)

    # ------------------------------------------------------------------ STARTING, RUNNING
    def start(
        self,
        line: ShapeLine,
        ce: ComputeEnvironment,
        instance: Instance,
        other_nodes: Sequence[Instance] = (),
    ) -> None:
        """RUNNABLE → STARTING: take the first job of ``line`` off its queue and start an
        attempt on ``instance`` of ``ce`` (an MNP job also holds ``other_nodes``)."""
        job = line.jobs.popleft()
        if job.state not in INTO_STARTING:
            raise illegal(job, STARTING)
        if line.why is not None and not line.jobs:
            self.waits.emptied(job.spec.queue, line)
        self.waiting -= 1
        now = self.calendar.now
        spec = job.spec
        if spec.fair is not None:
            assert spec.share is not None  # the loader: fair-share jobs have a shareIdentifier
            spec.fair.started(spec.share, spec.shape.held_vcpus, now)
        running = instance.running
        if running is not None:
            running.add(job)
        job.state = STARTING
        job.starting_at = now
        job.started_at = None  # this attempt has not started RUNNING yet
        job.attempts += 1
        job.instance = instance
        job.compute_environment = ce.name
        job.instance_type = instance.itype.name
        self._start_attempt(job, ce, instance, other_nodes, now)

    def run(self, job: Job, now: float) -> None:
        """STARTING → RUNNING: the container started."""
        if job.state not in INTO_RUNNING:
            raise illegal(job, RUNNING)
        job.state = RUNNING
        job.started_at = now

    def stop(
        self,
        job: Job,
        outcome: str,
        exit_code: int | None,
        reason: str,
        now: float,
        wasted_vcpu_h: float = 0.0,
    ) -> None:
        """Close the attempt of a STARTING or RUNNING job with ``outcome``: record it, give
        back its share's vCPUs, take the job off its instance and make any callback still
        pending for the attempt stale (a pending timer is cancelled). The job's next state
        follows from :meth:`finish` or :meth:`make_runnable`."""
        instance, spec = job.instance, job.spec
        assert instance is not None  # a STARTING or RUNNING job is placed
        shape = spec.shape
        self._record_attempt(job, instance, outcome, exit_code, reason, now, wasted_vcpu_h)
        if spec.fair is not None:
            assert spec.share is not None  # the loader: fair-share jobs have a shareIdentifier
            spec.fair.stopped(spec.share, shape.held_vcpus, now)
        if instance.running is not None:
            instance.running.discard(job)
        if job.timer is not None:
            self.calendar.cancel(job.timer)  # NOTE: a stale timer must not keep the run going
            job.timer = None
        job.token += 1
        job.instance = None
        job.exit_code = exit_code
        job.status_reason = reason

    def close_unfinished(self, job: Job, now: float) -> None:
        """Record the open attempt of a job still STARTING or RUNNING when the run stops."""
        assert job.instance is not None  # a STARTING or RUNNING job is placed
        self._record_attempt(job, job.instance, Outcome.UNFINISHED, None, "", now, 0.0)

    def _record_attempt(
        self,
        job: Job,
        instance: Instance,
        outcome: str,
        exit_code: int | None,
        reason: str,
        now: float,
        wasted_vcpu_h: float,
    ) -> None:
        """Append the record of ``job``'s attempt on ``instance``, ended ``now`` (ATTEMPT)."""
        shape = job.spec.shape
        self._attempts.append((
            job.index, job.attempts, instance.ce.name, instance.instance_id, instance.itype.name,
            shape.vcpus, shape.memory_mib, shape.gpus, job.runnable_at, job.starting_at,
            job.started_at, now, outcome, exit_code, reason, "", wasted_vcpu_h,
        ))  # fmt: skip
        if len(self._attempts) >= CHUNK_ROWS:
            self._attempt_records.seal()  # NOTE: columns, a chunk at a time (memory)

    # ------------------------------------------------------------------ SUCCEEDED, FAILED
    def finish(self, job: Job, state: JobState, now: float) -> None:
        """Move ``job`` to SUCCEEDED or FAILED (``state``): it leaves its fair share, the
        "job ended" listeners hear of it, and its array parent rolls up once all children
        are done (and they hear of the parent)."""
        if job.state not in INTO_END[state]:
            raise illegal(job, state)
        job.state = state
        job.stopped_at = now
        spec = job.spec
        if spec.fair is not None and job.size is None:
            assert spec.share is not None  # the loader: fair-share jobs have a shareIdentifier
            spec.fair.left(spec.share)
        for listener in self._ended:
            listener(job, state, now)
        parent = job.parent
        if parent is None:
            return
        parent.children_left -= 1
        if state is FAILED:
            parent.children_failed += 1
        if parent.children_left == 0:
            self.finish(parent, FAILED if parent.children_failed else SUCCEEDED, now)

    def cancel(self, job: Job, reason: str, now: float) -> None:
        """Fail a job that has not started (SUBMITTED, PENDING or RUNNABLE) with ``reason``:
        CancelJob, a queue's time limit, a failed dependency. Never retried."""
        if job.state is RUNNABLE:
            queue = self.queues[job.spec.queue]
            line = queue.line_of(job.spec)
            line.jobs.remove(job)
            if line.why is not None and not line.jobs:
                self.waits.emptied(queue.name, line)
            self.waiting -= 1
            if queue in self.watch.watched:
                self.watch.check(queue)
            if not queue.backfill:
                self._request_pass()  # NOTE: a canceled head may have held back the rest
        job.status_reason = reason
        self.finish(job, FAILED, now)


def changes_nothing(queue: JobQueue, job: Job) -> bool:
    """Whether a job that joined the back of ``queue`` leaves the next pass with nothing new
    to do: it waits behind a job of its own line (whose head the last pass could not place,
    else a pass would be pending), and no CE of the queue could launch or promise booting
    room for more demand. Fair-share queues always get a pass (a new job may change the
    shares' reservation).

    NOTE: this is what keeps a backed-up queue at O(1) per arrival: without it every
    arrival runs a pass that places nothing and explains the wait again.
    """
    line = job.spec.line
    assert line is not None  # JobQueue.push cached it
    if queue.fair is not None or len(line.jobs) < 2:
        return False
    return not any(ce.booting or ce.can_grow() for ce in queue.ces)

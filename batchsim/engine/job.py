"""The job lifecycle: AWS Batch's seven states, the one table of legal moves, and the Job object.

Every state change is made by :class:`~batchsim.engine.lifecycle.Lifecycle`, which checks it
against :data:`TRANSITIONS` (a move AWS Batch never makes raises
:class:`~batchsim.errors.IllegalTransition`) and stamps the time the job entered the new state;
:meth:`Job.move` is the same check and stamp (by :data:`STAMP`) for the moves off the hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchsim.errors import IllegalTransition
from batchsim.records import TERMINAL_STATES, JobState

if TYPE_CHECKING:
    from batchsim.engine.calendar import Timer
    from batchsim.engine.compute import Instance
    from batchsim.engine.spec import JobSpec


S = JobState
SUBMITTED, PENDING = S.SUBMITTED, S.PENDING  # NOTE: cheaper than S.X per job (attempts.py)
TERMINAL = TERMINAL_STATES
ON_AN_INSTANCE = frozenset({S.STARTING, S.RUNNING})
"""The states of a job placed on an instance (its attempt holds the host)."""
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    S.SUBMITTED: frozenset({S.PENDING, S.RUNNABLE, S.FAILED}),
    S.PENDING: frozenset({S.RUNNABLE, S.SUCCEEDED, S.FAILED}),  # array parents finish from PENDING
    S.RUNNABLE: frozenset({S.STARTING, S.FAILED}),
    S.STARTING: frozenset({S.RUNNING, S.RUNNABLE, S.FAILED}),
    S.RUNNING: frozenset({S.SUCCEEDED, S.RUNNABLE, S.FAILED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
}
"""Legal moves, from the AWS Batch User Guide's job-state page (see docs/modelling.md)."""

# Attribute that records when a job last entered each state (None until it does).
STAMP = {
    S.SUBMITTED: "created_at",
    S.PENDING: "pending_at",
    S.RUNNABLE: "runnable_at",
    S.STARTING: "starting_at",
    S.RUNNING: "started_at",
    S.SUCCEEDED: "stopped_at",
    S.FAILED: "stopped_at",
}


def child_id(parent_id: str, index: int | None) -> str:
    """Return the id of array child ``index`` of the array ``parent_id`` (AWS: ``<id>:<index>``)."""
    return f"{parent_id}:{index}"


class Progress:
    """Checkpoint/restart state of one job: the work saved so far and the current attempt's
    work window (when its work starts, when it would end, what a notice checkpoint saved)."""

    __slots__ = ("saved_s", "work_from_at", "ends_at", "notice_saved_s")

    def __init__(self) -> None:
        self.saved_s = 0.0
        self.work_from_at = 0.0
        self.ends_at = 0.0
        self.notice_saved_s: float | None = None


class Job:
    """One schedulable unit: a plain job, an array child, or an array parent.

    ``spec`` is the resolved request (resources, retry strategy, runtime model). Instants end in
    ``_at`` and are seconds from t=0. ``seq`` orders the job in its queue (FIFO by submission;
    a retried job gets a smaller number so it goes to the front). ``work_s`` is the work the job
    needs (its RUNNING time without checkpoint overhead), drawn once when the job is created;
    ``progress`` tracks the part of it saved by checkpoints (checkpointed jobs only).
    """

    __slots__ = (
        "serial", "name", "spec", "state", "seq", "parent", "array_index", "children_left",
        "children_failed", "size", "created_at", "pending_at", "runnable_at", "starting_at",
        "started_at", "stopped_at", "attempts", "status_reason", "exit_code", "instance",
        "token", "compute_environment", "instance_type", "work_s", "index", "progress", "timer",
    )  # fmt: skip

    # NOTE: two slots stay unset until used, to keep job creation cheap: ``progress``
    # (checkpointed jobs, from their first RUNNING) and ``timer`` (the pending timer of
    # the current attempt, which a reclaim cancels).
    progress: Progress
    timer: Timer | None

    def __init__(
        self,
        serial: int,
        name: str,
        spec: JobSpec,
        now: float,
        state: JobState = SUBMITTED,
        work_s: float = 0.0,
    ):
        self.serial = serial
        self.name = name
        self.spec = spec
        self.state = state
        self.seq = 0
        self.parent: Job | None = None
        self.array_index: int | None = None
        self.children_left = 0
        self.children_failed = 0
        self.size: int | None = None
        self.created_at = now
        self.pending_at: float | None = now if state is PENDING else None
        self.runnable_at: float | None = None
        self.starting_at: float | None = None
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self.attempts = 0
        self.status_reason: str | None = None
        self.exit_code: int | None = None
        self.instance: Instance | None = None
        self.token = 0  # bumped whenever a scheduled callback for this job must be ignored
        self.compute_environment: str | None = None
        self.instance_type: str | None = None
        self.work_s = work_s
        self.index = -1  # position in the recorder's job list, set when the job is recorded

    @property
    def job_id(self) -> str:
        """AWS-style id: ``<entry>-<n>`` for jobs, ``<parent>:<index>`` for array children."""
        if self.parent is not None:
            return child_id(self.parent.job_id, self.array_index)
        return f"{self.spec.entry}-{self.serial}"

    @property
    def is_array_parent(self) -> bool:
        """Whether this job is the parent of an array (it never runs itself)."""
        return self.size is not None

    def move(self, state: JobState, now: float) -> None:
        """Move to ``state`` at ``now``; raise IllegalTransition if AWS Batch never makes that move."""
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(
                f"job {self.job_id}: {self.state.value} -> {state.value} is not allowed"
            )
        self.state = state
        setattr(self, STAMP[state], now)

    def __repr__(self) -> str:
        return f"<Job {self.job_id} {self.state.value}>"

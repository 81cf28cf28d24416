"""Job queues: FIFO order by submission, retried jobs at the front, grouped by job shape.

Jobs of one shape (vCPUs, memory, GPUs) wait in one deque, in queue order; in a fair-share
queue, one deque per shape, share identifier and scheduling priority. A scheduling pass
walks the shapes by the position of their first job, so finding the next job to place costs
O(number of shapes), not O(jobs waiting), and backfill (a later job taking room the head job
cannot use) is a matter of moving on to the next shape.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from batchsim.engine.spec import Shape

if TYPE_CHECKING:
    from batchsim.engine.compute import ComputeEnvironment
    from batchsim.engine.fair_share import FairShare
    from batchsim.engine.job import Job
    from batchsim.engine.spec import JobSpec
    from batchsim.records import WaitCause

JOB_RESOURCE_REQUIREMENT = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) "
    "is higher than that can be met by the CE(s) attached to the job queue."
)
MULTINODE_NOT_SUPPORTED = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - Multi-node parallel jobs run on on-demand EC2 "
    "compute environments only; the CE(s) attached to the job queue are SPOT, UNMANAGED or "
    "Fargate."
)
COMPUTE_ENVIRONMENT_MAX_RESOURCE = (
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue "
    "cannot meet the CPU requirement of the job."
)


class ShapeLine:
    """The RUNNABLE jobs of one shape in one queue (of one share identifier and scheduling
    priority, in a fair-share queue), in queue order."""

    __slots__ = (
        "shape", "share", "scheduling_priority", "jobs", "blocked_reason", "stuck_reason",
        "waits_for_room_at", "why",
    )  # fmt: skip

    def __init__(
        self,
        shape: Shape,
        blocked_reason: str | None,
        share: str | None = None,
        scheduling_priority: int = 0,
    ):
        self.shape = shape
        self.share = share
        self.scheduling_priority = scheduling_priority
        self.jobs: deque[Job] = deque()
        self.blocked_reason = blocked_reason  # can never run here: the line is skipped
        self.stuck_reason: str | None = None  # cannot run under the CEs' current instances
        # the CEs' summed version when the line was last found waiting only for room
        self.waits_for_room_at: int | None = None
        self.why: WaitCause | None = None  # the cause last recorded for its jobs (engine/waits.py)

    def mark_stuck(self, reason: str) -> None:
        """Give every waiting job AWS's blocked statusReason (once; later jobs get it on push).

        The line stays placeable: if instances change (a non-floor one scales in and frees
        headroom) its jobs are still placed.
        """
        if self.stuck_reason != reason:
            self.stuck_reason = reason
            for job in self.jobs:
                job.status_reason = reason

    def clear_stuck(self) -> None:
        """Capacity is back: waiting jobs lose the blocked statusReason."""
        for job in self.jobs:
            if job.status_reason == self.stuck_reason:
                job.status_reason = None
        self.stuck_reason = None

    def reason_for_new_job(self) -> str | None:
        """Return the statusReason a job joining this line starts with."""
        return self.blocked_reason or self.stuck_reason


class JobQueue:
    """A job queue with its compute environments in ``computeEnvironmentOrder``: FIFO, or
    fair share when it has a scheduling policy (``fair``). ``time_limits`` maps a blocked
    reason code to its ``jobStateTimeLimitActions`` maxTimeSeconds (empty: none).

    The queue only keeps its RUNNABLE jobs in order; the lifecycle decides who joins and
    leaves, and what follows (engine/lifecycle.py).
    """

    def __init__(
        self,
        name: str,
        priority: int,
        ces: list[ComputeEnvironment],
        backfill: bool = True,
        fair: FairShare | None = None,
        time_limits: dict[str, int] | None = None,
    ):
        self.name = name
        self.priority = priority
        self.ces = ces
        self.backfill = backfill  # False: nothing behind a head job that does not fit runs
        self.enabled = True  # False: SubmitJob calls to this queue are refused
        self.fair = fair  # the scheduling policy's state, on fair-share queues
        self.time_limits = time_limits or {}
        self.lines: dict[object, ShapeLine] = {}
        self._back = 0  # sequence numbers of new jobs grow from here
        self._front = 0  # retried jobs get ever smaller numbers

    def line_of(self, spec: JobSpec) -> ShapeLine:
        """Return the line the jobs of ``spec`` wait in (created on first use)."""
        shape = spec.shape
        key = shape if self.fair is None else (shape, spec.share, spec.scheduling_priority)
        line = self.lines.get(key)
        if line is None:
            reason = self.never_placeable_reason(shape)
            line = self.lines[key] = ShapeLine(shape, reason, spec.share, spec.scheduling_priority)
        return line

    def never_placeable_reason(self, shape: Shape) -> str | None:
        """Return AWS's statusReason if no CE of this queue can ever run ``shape``, else None."""
        if shape.nodes and not any(ce.multinode_ok for ce in self.ces):
            return MULTINODE_NOT_SUPPORTED
        if any(ce.can_ever_serve(shape) for ce in self.ces):
            return None
        if any(ce.options(shape) for ce in self.ces):
            return COMPUTE_ENVIRONMENT_MAX_RESOURCE
        return JOB_RESOURCE_REQUIREMENT

    def push(self, job: Job) -> bool:
        """Append a newly RUNNABLE job at the back of the queue; return whether it joined a
        blocked line (it then carries the line's blocked statusReason)."""
        self._back += 1
        job.seq = self._back
        spec = job.spec
        line = spec.line  # NOTE: cached per spec; a spec has one queue and one shape
        if line is None:
            line = spec.line = self.line_of(spec)
        line.jobs.append(job)
        if line.blocked_reason is not None or line.stuck_reason is not None:
            job.status_reason = line.reason_for_new_job()
            return True
        return False

    def push_front(self, job: Job) -> bool:
        """Put a retried job at the front of the queue (AWS gives retries priority); return
        whether it joined a blocked line (see :meth:`push`)."""
        self._front -= 1
        job.seq = self._front
        line = self.line_of(job.spec)
        line.jobs.appendleft(job)
        if line.blocked_reason is not None or line.stuck_reason is not None:
            job.status_reason = line.reason_for_new_job()
            return True
        return False

    def head(self) -> Job | None:
        """Return the RUNNABLE job at the head of the queue (the earliest queued), if any."""
        heads = [line.jobs[0] for line in self.lines.values() if line.jobs]
        return min(heads, key=lambda job: job.seq) if heads else None

    def ordered_lines(self) -> list[ShapeLine]:
        """Return every non-empty line, placeable or not, ordered by its first job (what a
        strict-FIFO pass walks: a line that can never be placed still blocks those behind)."""
        lines = [line for line in self.lines.values() if line.jobs]
        lines.sort(key=lambda line: line.jobs[0].seq)
        return lines

    def placeable_lines(self) -> list[ShapeLine]:
        """Return the non-empty, placeable shape lines ordered by their first job."""
        if len(self.lines) == 1:  # NOTE: the common case of one job shape per queue, kept cheap
            (line,) = self.lines.values()
            return [line] if line.jobs and line.blocked_reason is None else []
        lines = [line for line in self.lines.values() if line.jobs and line.blocked_reason is None]
        if len(lines) > 1:
            lines.sort(key=lambda line: line.jobs[0].seq)
        return lines

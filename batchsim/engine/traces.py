"""Replaying a ``trace:`` workload entry: each trace row becomes one ordinary SubmitJob call.

The trace's jobs (:class:`~batchsim.scenario.trace_jobs.TraceJobs`, arrays in submission
order) are submitted at their times with their own run time, vCPUs and memory. Jobs of one
(queue, vCPUs, memory, exit code) share a :class:`JobSpec` derived from the entry's, so the
queues group them by shape as any other jobs; a job the trace says failed runs its run time
and exits with its code, without retries (the trace already holds what happened). Jobs no
compute environment of their queue could ever hold are skipped and counted (``unplaceable:
skip``), as the reference replays of the Parallel Workloads Archive do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from batchsim.engine.retry import RetryPolicy
from batchsim.scenario.shapes import Shape

if TYPE_CHECKING:
    from batchsim.engine.calendar import Timer
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.queue import JobQueue
    from batchsim.engine.spec import JobSpec
    from batchsim.engine.workload import Submitter
    from batchsim.scenario.schema import TraceSource
    from batchsim.scenario.trace_jobs import TraceJobs

SpecKey = tuple[str, float, float, int]


class TraceReplay:
    """Submits the jobs of one trace entry; ``counts`` gathers what was read and skipped."""

    def __init__(
        self,
        env: BatchEnv,
        submitter: Submitter,
        queues: dict[str, JobQueue],
        base: JobSpec,
        source: TraceSource,
        jobs: TraceJobs,
    ):
        self.calendar = env.calendar
        self.submitter = submitter
        self.queues = queues
        self.base = base
        self.skip_unplaceable = source.unplaceable == "skip"
        # NOTE: plain lists: one float per job, read once each, faster than numpy scalars
        self.times = jobs.submit_at.tolist()
        self.works = jobs.work_s.tolist()
        self.vcpus = jobs.vcpus.tolist()
        self.memory = [m if m == m else -1.0 for m in jobs.memory_mib.tolist()]  # NaN: none
        self.exits = jobs.exit_code.tolist()
        self.job_queues = jobs.queue.tolist()
        self.specs: dict[SpecKey, JobSpec | None] = {}
        self.serial = 0
        self.next = 0
        self.counts = dict(jobs.counts, unplaceable=0, submitted=0)

    def start(self) -> None:
        """Schedule the first submission (each one schedules the next: one timer at a time)."""
        if self.times:
            self.calendar.call_later(max(self.times[0] - self.calendar.now, 0.0), self._fire)

    def _fire(self, _timer: Timer) -> None:
        """Submit every job due now, then schedule the next."""
        times, now, index = self.times, self.calendar.now, self.next
        while index < len(times) and times[index] <= now:
            self._submit(index)
            index += 1
        self.next = index
        if index < len(times):
            self.calendar.call_later(times[index] - now, self._fire)

    def _submit(self, index: int) -> None:
        spec = self._spec(index)
        if spec is None:
            self.counts["unplaceable"] += 1
            return
        if not self.queues[spec.queue].enabled:
            return  # AWS refuses SubmitJob to a DISABLED queue
        spec.submitted = self.serial  # NOTE: one numbering across the entry's specs
        self.submitter.submit(spec, self.works[index])
        self.serial = spec.submitted
        self.counts["submitted"] += 1

    def _spec(self, index: int) -> JobSpec | None:
        """The spec of job ``index`` (None when it can never be placed and is skipped)."""
        key = (self.job_queues[index], self.vcpus[index], self.memory[index], self.exits[index])
        if key in self.specs:
            return self.specs[key]
        spec = self.specs[key] = self._new_spec(*key)
        return spec

    def _new_spec(self, queue: str, vcpus: float, memory: float, exit_code: int) -> JobSpec | None:
        base = self.base
        memory_mib = base.shape.memory_mib if memory < 0 else memory
        shape = Shape(vcpus, memory_mib, base.shape.gpus)
        job_queue = self.queues[queue]
        if self.skip_unplaceable and job_queue.never_placeable_reason(shape) is not None:
            return None
        spec = replace(base, queue=queue, shape=shape, fair=job_queue.fair, line=None, submitted=0)
        if exit_code:
            spec = replace(
                spec, failure_probability=1.0, failure_exit_code=exit_code, failure_after=None,
                retry=RetryPolicy(),
            )  # fmt: skip
        return spec

"""Replaying a ``trace:`` workload entry: each trace row becomes one ordinary SubmitJob call.

The trace's jobs (:class:`~batchsim.scenario.trace_jobs.TraceJobs`, arrays in submission
order) are submitted at their times with their own run time, vCPUs and memory. Jobs of one
(queue, vCPUs, memory, exit code) share a :class:`JobSpec` derived from the entry's, so the
queues group them by shape as any other jobs; a job the trace says failed runs its run time
and exits with its code, without retries (the trace already holds what happened). Jobs no
compute environment of their queue could ever hold are skipped and counted (``unplaceable:
skip``), as the reference replays of the Parallel Workloads Archive do.

A DescribeJobs trace keeps its arrays and dependencies (:class:`TraceTies`): an array is
submitted as one array job whose child *i* runs (and fails) as the trace's child *i* did, and
a job waits for the jobs it depended on, by the engine's own dependency rules (a failed one
fails it with ``Dependent Job failed``). A dependency on a job not submitted (skipped, or
refused by a DISABLED queue) is taken as met.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from batchsim.engine.dependencies import ENDED
from batchsim.engine.job import JobState
from batchsim.engine.retry import RetryPolicy
from batchsim.scenario.shapes import Shape
from batchsim.scenario.trace_links import FAILED, N_TO_N, SEQUENTIAL

if TYPE_CHECKING:
    from batchsim.engine.calendar import Timer
    from batchsim.engine.dependencies import Dependencies, Ended
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.job import Job
    from batchsim.engine.queue import JobQueue
    from batchsim.engine.spec import JobSpec
    from batchsim.engine.workload import Submitter
    from batchsim.scenario.schema import TraceSource
    from batchsim.scenario.trace_jobs import TraceJobs

SpecKey = tuple[str, float, float, int, int | None]
"""(queue, vCPUs, memory MiB or -1, exit code, array size or None)."""


@dataclass(slots=True)
class TraceTies:
    """What a trace says of one submission beyond its spec.

    ``on``: what the job (every child, for an array) waits for; ``n_to_n``: the children of
    the arrays whose child *i* each child *i* waits for; ``sequential``: child *i* waits for
    child *i − 1*; ``child_work`` and ``child_specs``: each child's work and spec (a failed
    child's spec fails with its exit code); ``child_failed``: the children the trace says
    FAILED without starting; ``keep_children``: a later job names a child.
    """

    on: list[Job | Ended] = field(default_factory=list)
    n_to_n: list[list[Job] | list[Ended]] = field(default_factory=list)
    sequential: bool = False
    child_work: list[float] = field(default_factory=list)
    child_specs: list[JobSpec] = field(default_factory=list)
    child_failed: list[bool] = field(default_factory=list)
    keep_children: bool = False

    def child_on(self, index: int, previous: Job | None) -> list[Job | Ended]:
        """What child ``index`` waits for (``previous``: child ``index − 1``, if any); a child
        the trace says FAILED without starting waits on a failed job, so it fails at once."""
        on = list(self.on)
        on.extend(children[index] for children in self.n_to_n if index < len(children))
        if self.sequential and previous is not None:
            on.append(previous)
        if self.child_failed and self.child_failed[index]:
            on.append(ENDED[JobState.FAILED])
        return on


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
        dependencies: Dependencies | None = None,
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
        self.next = 0
        self.counts = dict(jobs.counts, unplaceable=0, submitted=0)
        self.linked = jobs.linked
        self.dependencies = dependencies  # given whenever ``linked`` has dependencies
        self.placed: dict[int, Job] = {}  # submitted jobs some later job names, by position

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
        linked = self.linked
        size = None
        if linked is not None and index in linked.children:
            size = len(linked.children[index].run_time)
        spec = self._spec(index, size)
        if spec is None:
            self.counts["unplaceable"] += 1
            return
        if not self.queues[spec.queue].enabled:
            return  # AWS refuses SubmitJob to a DISABLED queue
        ties = self._ties(index, spec) if linked is not None else None
        # NOTE: the job's number is its position + 1 (across the entry's specs; a skipped job
        # leaves its number unused), so a job id names its trace row (explain, jobs.json)
        spec.submitted = index
        job = self.submitter.submit(spec, self.works[index], ties)
        self.counts["submitted"] += 1
        if size is not None:
            self.counts["arrays"] += 1
        if linked is not None and index in linked.targets:
            self.placed[index] = job

    def _spec(
        self, index: int, size: int | None = None, exit_code: int | None = None
    ) -> JobSpec | None:
        """The spec of job ``index`` (None when it can never be placed and is skipped); an
        array's with ``size``, a child's with its own ``exit_code``."""
        exits = self.exits[index] if exit_code is None else exit_code
        key = (self.job_queues[index], self.vcpus[index], self.memory[index], exits, size)
        if key in self.specs:
            return self.specs[key]
        spec = self.specs[key] = self._new_spec(*key)
        return spec

    def _new_spec(
        self, queue: str, vcpus: float, memory: float, exit_code: int, size: int | None
    ) -> JobSpec | None:
        base = self.base
        memory_mib = base.shape.memory_mib if memory < 0 else memory
        shape = Shape(vcpus, memory_mib, base.shape.gpus)
        job_queue = self.queues[queue]
        if self.skip_unplaceable and job_queue.never_placeable_reason(shape) is not None:
            return None
        spec = replace(
            base, queue=queue, shape=shape, fair=job_queue.fair, line=None, submitted=0,
            array_size=size,
        )  # fmt: skip
        if exit_code:
            spec = replace(
                spec, failure_probability=1.0, failure_exit_code=exit_code, failure_after=None,
                retry=RetryPolicy(),
            )  # fmt: skip
        return spec

    def _ties(self, index: int, spec: JobSpec) -> TraceTies | None:
        """The dependencies (and, for an array, the children) of job ``index``."""
        linked = self.linked
        assert linked is not None  # only called for a trace with arrays or dependencies
        children = linked.children.get(index)
        links = linked.links.get(index, ())
        if children is None and not links:
            return None
        ties = TraceTies(keep_children=index in linked.child_targets)
        for link in links:
            if link.kind == SEQUENTIAL:
                ties.sequential = children is not None
                continue
            target = self.placed.get(link.target) if link.kind != FAILED else None
            if target is None:
                if link.kind == FAILED or link.failed:
                    ties.on.append(ENDED[JobState.FAILED])  # NOTE: fails it at once, as it did
                else:
                    self.counts["dependencies_outside"] += 1  # skipped: taken as met
                continue
            named = self._children_of(target)
            if named is not None and link.kind == N_TO_N and children is not None:
                ties.n_to_n.append(named)
            elif named is not None and link.index is not None:
                ties.on.append(named[link.index])
            else:
                ties.on.append(target)
        if children is not None:
            if not links:  # NOTE: with links, the replay's own cascade fails them, and when
                ties.child_failed = children.failed_unstarted.tolist()  # their dependency does
            ties.child_work = children.run_time.tolist()
            ties.child_specs = [
                self._spec(index, None, code) or spec for code in children.exit_code.tolist()
            ]
        return ties

    def _children_of(self, target: Job) -> list[Job] | list[Ended] | None:
        """The children of array ``target`` as the dependencies keep them (None: no array)."""
        if target.size is None or self.dependencies is None:
            return None
        return self.dependencies.children.get(target)

"""Submitters: turn workload entries into SubmitJob calls over simulated time.

An entry submits ``count`` requests at ``at``, or ``count`` at every firing of its EventBridge
``schedule``, or one at each of a list of times, or a Poisson stream of requests. A request with
``arrayProperties`` creates a parent and ``size`` children with ids ``<parent>:<index>``; the
parent only moves between SUBMITTED, PENDING, SUCCEEDED and FAILED.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from batchsim.engine.job import Job, JobState
from batchsim.engine.spec import child_runtime
from batchsim.scenario.samplers import chunked
from batchsim.scenario.schedules import parse_schedule

if TYPE_CHECKING:
    from batchsim.engine.calendar import Timer
    from batchsim.engine.dependencies import Dependencies, Ended
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.lifecycle import Lifecycle
    from batchsim.engine.spec import JobSpec
    from batchsim.engine.traces import TraceTies
    from batchsim.scenario.schema import Arrivals, WorkloadEntry

PENDING = JobState.PENDING


class Submitter:
    """Makes the SubmitJob calls of every workload entry at their simulated times."""

    def __init__(
        self,
        env: BatchEnv,
        lifecycle: Lifecycle,
        dependencies: Dependencies | None = None,
        calls_per_s: float | None = None,
    ):
        self.env = env
        self.calendar = env.calendar
        self.lifecycle = lifecycle
        self.queues = lifecycle.queues
        self.dependencies = dependencies  # None unless some job has dependsOn
        # NOTE: with ``calls_per_s`` (the SubmitJob rate limit), later calls wait their turn
        # (as a client retrying throttled calls would); the job is created when accepted.
        self._gap_s = 1.0 / calls_per_s if calls_per_s else 0.0
        self._free_at = 0.0  # when the next SubmitJob call can be accepted

    def start(self, entry: WorkloadEntry, spec: JobSpec, stop_at: float | None = None) -> None:
        """Schedule the submissions of ``entry``; a schedule without ``until`` fires until
        ``stop_at``."""
        at = entry.at or 0.0
        arrivals = entry.arrivals
        if entry.schedule is not None:
            until = entry.until if entry.until is not None else stop_at
            if until is None:
                raise ValueError(
                    f"workload entry {entry.name!r}: a schedule needs 'until' or stopAt"
                )
            firings = parse_schedule(entry.schedule).firings(at, until)
            self._start_firings(((t, entry.count) for t in firings), spec)
        elif arrivals is None:
            self._start_firings(iter([(at, entry.count)]), spec)
        elif arrivals.times is not None:
            same_time = itertools.groupby(sorted(arrivals.times))
            self._start_firings(((t, len(list(calls))) for t, calls in same_time), spec)
        else:
            self._start_poisson(arrivals, spec)

    def _start_firings(self, firings: Iterator[tuple[float, int]], spec: JobSpec) -> None:
        """Make ``count`` calls at each (time, count) of ``firings``, drawn one at a time
        (a schedule over a long horizon never sits in memory whole)."""

        def fire(count: int) -> None:
            self._submit_many(spec, count)
            plan()

        def plan() -> None:
            firing = next(firings, None)
            if firing is not None:
                at, count = firing
                self.calendar.call_later(max(at - self.calendar.now, 0.0), lambda _e: fire(count))

        plan()

    def _submit_many(self, spec: JobSpec, count: int) -> None:
        for _ in range(count):
            self.call(spec)

    def call(self, spec: JobSpec) -> None:
        """Make a SubmitJob call now; under a rate limit it is accepted at its turn. A call to
        a DISABLED queue is refused (no job is created)."""
        if not self.queues[spec.queue].enabled:
            return
        if not self._gap_s:
            self.submit(spec)
            return
        now = self.calendar.now
        at = max(now, self._free_at)
        self._free_at = at + self._gap_s
        if at > now:
            self.calendar.call_later(at - now, lambda _event: self.submit(spec))
        else:
            self.submit(spec)

    def _start_poisson(self, arrivals: Arrivals, spec: JobSpec) -> None:
        rng = self.env.stream(f"arrivals:{spec.entry}")
        assert arrivals.poisson is not None  # the loader: arrivals without times are Poisson
        mean_gap = 1.0 / arrivals.poisson.rate
        gap = chunked(lambda n: rng.exponential(mean_gap, n))
        until = arrivals.until if arrivals.until is not None else float("inf")
        left = [arrivals.count if arrivals.count is not None else -1]

        def arrive(_event: Timer) -> None:
            self.call(spec)
            left[0] -= 1
            if left[0] == 0:
                return
            delay = gap()
            if self.calendar.now + delay <= until:
                self.calendar.call_later(delay, arrive)

        first = arrivals.start + gap()
        if first <= until:
            self.calendar.call_later(first, arrive)

    def submit(
        self, spec: JobSpec, work_s: float | None = None, ties: TraceTies | None = None
    ) -> Job:
        """Make one SubmitJob call for ``spec`` now and return the job (the parent for arrays);
        ``work_s`` is the job's work when known (a trace), else drawn from the spec; ``ties``
        are a trace job's dependencies and children, in place of the spec's."""
        spec.submitted += 1
        serial = spec.submitted
        now = self.calendar.now
        # NOTE: work is drawn per job at submission, in submission order, so variants of a
        # scenario (warm vs cold pool) give each job the same runtime: common random numbers.
        if work_s is None:
            work_s = spec.runtime() if spec.array_size is None else 0.0
        job = Job(serial, spec.job_name, spec, now, work_s=work_s)
        lifecycle = self.lifecycle
        lifecycle.submitted(job)
        if self.dependencies is not None:
            self.dependencies.submitted(spec.entry, job)
        if spec.array_size is not None:
            self._spawn_children(job, spec.array_size, now, ties)
        elif ties is not None and ties.on:
            assert self.dependencies is not None  # built whenever a trace has dependencies
            lifecycle.hold(job, now)
            self.dependencies.wait(job, ties.on, now)
        elif spec.depends:
            assert self.dependencies is not None  # built whenever some job has dependsOn
            lifecycle.hold(job, now)  # AWS: PENDING while dependencies are not done
            self.dependencies.wait(job, self._depends_on(spec), now)
        else:
            lifecycle.make_runnable(job, now)
        return job

    def _depends_on(
        self, spec: JobSpec, index: int | None = None, previous: Job | None = None
    ) -> list[Job | Ended]:
        """Return the jobs a new job (or child ``index`` of an array) waits for."""
        on: list[Job | Ended] = []
        for kind, entry in spec.depends:
            if kind == "SEQUENTIAL":
                if previous is not None:
                    on.append(previous)
            else:
                # the loader: only SEQUENTIAL leaves out jobId; dependencies exist with dependsOn
                assert entry is not None and self.dependencies is not None
                on.append(self.dependencies.target(entry, index if kind == "N_TO_N" else None))
        return on

    def _spawn_children(
        self, parent: Job, size: int, now: float, ties: TraceTies | None = None
    ) -> None:
        parent.size = parent.children_left = size
        lifecycle = self.lifecycle
        lifecycle.hold(parent, now)  # AWS: PENDING as soon as a child is RUNNABLE
        spec = parent.spec
        children: list[Job] = []
        dependencies = self.dependencies
        if dependencies is not None and (
            ties.keep_children if ties is not None else spec.entry in dependencies.wanted
        ):
            dependencies.children[parent] = children
        for index in range(size):
            child = Job(
                parent.serial,
                parent.name,
                ties.child_specs[index] if ties is not None else spec,
                now,
                state=PENDING,
                work_s=ties.child_work[index] if ties is not None else child_runtime(spec, index),
            )
            child.parent = parent
            child.array_index = index
            lifecycle.spawned(child)
            previous = children[-1] if children else None
            children.append(child)
            on: list[Job | Ended] | None = None
            if ties is not None:
                on = ties.child_on(index, previous)
            elif spec.depends:
                on = self._depends_on(spec, index, previous)
            if on:
                assert dependencies is not None  # built whenever some job has dependsOn
                dependencies.wait(child, on, now)
            else:
                lifecycle.make_runnable(child, now)

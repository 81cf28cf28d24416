"""Consumable resources (AWS resource-aware scheduling): quantities locked by jobs.

A job that needs consumable resources starts only when every one of them is available: the
head of its line otherwise stays RUNNABLE with :data:`WAITING_FOR_RESOURCES` and its line drops
out of the pass (later lines may backfill, as for a head that fits no instance). The quantities
are locked when the job moves to STARTING and unlocked when it moves to SUCCEEDED or FAILED, as
AWS documents: a retried job keeps them while it waits RUNNABLE again. Unlocking returns a
REPLENISHABLE resource to the available quantity; a NON_REPLENISHABLE one leaves the total.

The scheduler wraps its placement functions with :meth:`Consumables.gate` only when the
scenario has consumable resources, so other runs pay nothing.
"""

from __future__ import annotations

from itertools import takewhile
from typing import TYPE_CHECKING

from batchsim.scenario.consumables import job_needs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from batchsim.engine.env import BatchEnv
    from batchsim.engine.job import Job, JobState
    from batchsim.engine.lifecycle import Lifecycle
    from batchsim.engine.queue import JobQueue, ShapeLine
    from batchsim.scenario.schema import ConsumableResource, JobDefinition, WorkloadEntry

    Needs = tuple[tuple[int, int], ...]  # (resource index, quantity) pairs
    Placer = Callable[[JobQueue, ShapeLine], bool]

# NOTE: AWS documents no statusReason for this wait; batchsim's wording, in AWS's CODE - text form.
WAITING_FOR_RESOURCES = (
    "CONSUMABLE_RESOURCE:WAITING_FOR_RESOURCES - The job is waiting for consumable resource(s) "
    "to become available."
)


class Consumables:
    """The consumable resources of a run: total, in-use and available quantity of each.

    Every change is recorded as (time, resource, inUseQuantity, availableQuantity,
    totalQuantity) in the recorder's ``consumables`` list, starting with one row per resource
    at t=0.
    """

    def __init__(self, env: BatchEnv, resources: Iterable[ConsumableResource]):
        self.calendar = env.calendar
        resources = list(resources)
        self.names = [r.consumableResourceName for r in resources]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.total = [r.totalQuantity for r in resources]
        self.available = list(self.total)
        self.in_use = [0] * len(resources)
        self.replenishable = [r.resourceType == "REPLENISHABLE" for r in resources]
        self.holders: set[Job] = set()  # jobs that locked their resources and have not ended
        self._records = env.recorder.consumables
        for i in range(len(resources)):
            self._record(i, 0.0)

    def needs_of(self, definition: JobDefinition, entry: WorkloadEntry) -> Needs | None:
        """Return what one job of ``entry`` locks, as (resource index, quantity) pairs
        (None when it needs nothing, which the hot path tests first)."""
        needs = job_needs(definition, entry)
        return tuple((self.index[name], quantity) for name, quantity in needs.items()) or None

    def ready(self, job: Job) -> bool:
        """Whether ``job`` may start as far as consumable resources go: it needs none, holds
        them already (a retry), or every one is available."""
        needs = job.spec.needs
        if needs is None or job in self.holders:
            return True
        available = self.available
        return all(available[i] >= quantity for i, quantity in needs)

    def startable(self, line: ShapeLine) -> int | None:
        """Return how many jobs of the head's needs may start now (None: no limit), which caps
        the scale-out demand of a line: the retried jobs at its front that hold their
        quantities already, then as many as the available quantities allow."""
        needs = line.jobs[0].spec.needs
        if needs is None:
            return None
        # NOTE: retries join the front of their line, so the holders in it come first.
        held = sum(1 for _ in takewhile(self.holders.__contains__, line.jobs))
        return held + min(self.available[i] // quantity for i, quantity in needs)

    def lock(self, job: Job, now: float) -> None:
        """``job`` moved to STARTING: lock its quantities (once per job, not per attempt)."""
        needs = job.spec.needs
        if needs is None or job in self.holders:
            return
        self.holders.add(job)
        for i, quantity in needs:
            self.available[i] -= quantity
            self.in_use[i] += quantity
            self._record(i, now)

    def unlock(self, job: Job, now: float) -> bool:
        """``job`` ended: give its quantities back (REPLENISHABLE) or take them out of the total
        (NON_REPLENISHABLE); return whether it held any."""
        if job not in self.holders:
            return False
        self.holders.discard(job)
        needs = job.spec.needs
        assert needs is not None  # only jobs with needs lock
        for i, quantity in needs:
            self.in_use[i] -= quantity
            if self.replenishable[i]:
                self.available[i] += quantity
            else:
                self.total[i] -= quantity
            self._record(i, now)
        return True

    def listener(self, request_pass: Callable[[], None]) -> Callable[[Job, JobState, float], None]:
        """Return the lifecycle's "job ended" listener: unlock, and ask for a pass when
        quantities came back (a waiting head may now start)."""

        def ended(job: Job, _state: JobState, now: float) -> None:
            if self.unlock(job, now):
                request_pass()

        return ended

    def gate(self, place: Placer, lifecycle: Lifecycle) -> Placer:
        """Return ``place`` guarded by the head job's consumable resources: a head that cannot
        have them is not placed and its line gets :data:`WAITING_FOR_RESOURCES`; a placed
        head locks them."""
        ready, lock = self.ready, self.lock

        def gated(queue: JobQueue, line: ShapeLine) -> bool:
            job = line.jobs[0]
            if not ready(job):
                if line.stuck_reason != WAITING_FOR_RESOURCES:
                    lifecycle.mark_stuck(queue, line, WAITING_FOR_RESOURCES)
                return False
            if line.stuck_reason == WAITING_FOR_RESOURCES:
                lifecycle.clear_stuck(queue, line)
            if not place(queue, line):
                return False
            lock(job, self.calendar.now)
            return True

        return gated

    def head_waits(self, line: ShapeLine) -> bool:
        """Whether the head of ``line`` waits for consumable resources (no instance helps it,
        and only a job's end, never a timer, can end the wait)."""
        return bool(line.jobs) and not self.ready(line.jobs[0])

    def _record(self, i: int, now: float) -> None:
        self._records.append((now, self.names[i], self.in_use[i], self.available[i], self.total[i]))

"""Job dependencies (AWS ``dependsOn``): a job waits in PENDING until what it depends on succeeds.

A waiting job keeps a count of its dependencies not yet SUCCEEDED; each one that succeeds lowers
the count, and the last makes the job RUNNABLE. A dependency that FAILED fails its waiters with
``Dependent Job failed``, which cascades down the graph. Dependencies name workload entries
submitted once; a plain dependency on an array waits for the whole array, ``N_TO_N`` pairs child
i with child i of an array of the same size, and ``SEQUENTIAL`` makes child i wait for child i−1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchsim.engine.job import TERMINAL, JobState

if TYPE_CHECKING:
    from batchsim.engine.job import Job
    from batchsim.engine.lifecycle import Lifecycle

DEPENDENT_JOB_FAILED = "Dependent Job failed"
SUCCEEDED, FAILED = JobState.SUCCEEDED, JobState.FAILED


class Ended:
    """What a dependant needs of an array child that has ended: its final ``state``.

    Once an array has ended its children are kept as these (two shared objects), not as Jobs,
    so a run that submits many arrays others depend on does not keep every child alive.
    """

    __slots__ = ("state",)

    def __init__(self, state: JobState):
        self.state = state


ENDED = {SUCCEEDED: Ended(SUCCEEDED), FAILED: Ended(FAILED)}


class Dependencies:
    """Who waits for whom, and what happens when a job they wait for ends: ``lifecycle``
    tells it of every job that ends and moves the waiters; ``targets`` names the workload
    entries some job depends on."""

    def __init__(self, lifecycle: Lifecycle, targets: set[str]):
        self.lifecycle = lifecycle
        self.wanted = targets  # names of the workload entries some job depends on
        self.jobs: dict[str, Job] = {}  # entry name -> its job (the parent, for an array)
        # array parent -> its children in index order (as Ended once the array has ended)
        self.children: dict[Job, list[Job] | list[Ended]] = {}
        self._left: dict[Job, int] = {}
        self._waiters: dict[Job | Ended, list[Job]] = {}
        self._ended: list[tuple[Job, JobState]] = []
        self._cancels: dict[Job, str] = {}  # waiting job -> reason of a CancelJob made meanwhile
        self._busy = False
        lifecycle.on_job_ended(self.ended)

    def submitted(self, entry: str, job: Job) -> None:
        """Remember the job of an entry others depend on."""
        if entry in self.wanted:
            previous = self.jobs.get(entry)
            if previous is not None:
                # NOTE: dependants find an entry's latest job only, so the children of the
                # one it replaces are wanted no more (a pipeline submitted a hundred times
                # would otherwise keep every child alive).
                self.children.pop(previous, None)
            self.jobs[entry] = job

    def target(self, entry: str, index: int | None = None) -> Job | Ended:
        """Return the job of ``entry`` (its child ``index`` for N_TO_N)."""
        job = self.jobs[entry]
        return job if index is None else self.children[job][index]

    def wait(self, job: Job, on: list[Job | Ended], now: float) -> None:
        """Hold the PENDING ``job`` until every job in ``on`` has SUCCEEDED (or fail it now if
        one already FAILED); release it at once when there is nothing left to wait for."""
        if any(target.state is FAILED for target in on):
            self._fail(job, now)
            return
        pending = [target for target in on if target.state is not SUCCEEDED]
        if not pending:
            self._release(job, now)
            return
        self._left[job] = len(pending)
        for target in pending:
            self._waiters.setdefault(target, []).append(job)

    def ended(self, job: Job, state: JobState, now: float) -> None:
        """``job`` reached ``state`` (SUCCEEDED or FAILED): release or fail those waiting for it.

        NOTE: a cascade of failures is worked off a list, not by recursion: a SEQUENTIAL array
        of 10,000 children would overflow the stack.
        """
        children = self.children.get(job)
        if children is not None:
            self.children[job] = [ENDED[child.state] for child in children]
        self._ended.append((job, state))
        if self._busy:
            return
        self._busy = True
        while self._ended:
            done, outcome = self._ended.pop()
            for waiter in self._waiters.pop(done, ()):
                if waiter.state in TERMINAL:
                    continue  # already failed by another dependency
                if outcome is SUCCEEDED:
                    self._count_down(waiter, now)
                else:
                    self._left.pop(waiter, None)
                    self._fail(waiter, now)
        self._busy = False

    def _count_down(self, job: Job, now: float) -> None:
        self._left[job] -= 1
        if not self._left[job]:
            del self._left[job]
            self._release(job, now)

    def cancel_when_released(self, job: Job, reason: str) -> bool:
        """CancelJob on a PENDING ``job``: AWS cancels it only after all its dependencies have
        completed. Return whether it waits for some (it then fails with ``reason`` when they
        have all succeeded, or with ``Dependent Job failed`` as soon as one fails)."""
        if job not in self._left:
            return False
        self._cancels[job] = reason
        return True

    def _release(self, job: Job, now: float) -> None:
        reason = self._cancels.pop(job, None)
        if reason is not None:
            self.lifecycle.cancel(job, reason, now)
        else:
            self.lifecycle.make_runnable(job, now)

    def _fail(self, job: Job, now: float) -> None:
        self._cancels.pop(job, None)
        self.lifecycle.cancel(job, DEPENDENT_JOB_FAILED, now)

"""Why RUNNABLE jobs wait: the cause the scheduler found for each line of a queue, recorded
when it changes (``waits`` records, waits.csv), so that ``batchsim explain`` never guesses.

The scheduler decides per line (the jobs of one shape in one queue), not per job: every job of
a line shares its cause, so one record covers them all. A line's current cause lives on the
line (``ShapeLine.why``); a record is appended only when a pass finds another one, so a
backed-up queue adds nothing per pass or per job. When a line empties its cause is forgotten,
so the next wait of the line is recorded afresh; a ``NONE`` record marks the emptying only
with ``schedulerInterval`` > 0, where a job joining the empty line waits for the next cycle
(with passes at the end of every instant, its wait, if any, gets a record at that instant).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from batchsim.records import WaitCause, line_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    from batchsim.engine.compute import ComputeEnvironment
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.fair_share import FairShare
    from batchsim.engine.queue import JobQueue, ShapeLine

W = WaitCause


class WaitLog:
    """Appends a ``waits`` record (time, queue, line, cause, detail) when a line's cause
    changes; ``mark_empty``: also a NONE record when a line empties (periodic passes)."""

    __slots__ = ("calendar", "mark_empty", "_records")

    def __init__(self, env: BatchEnv, mark_empty: bool = True):
        self.calendar = env.calendar
        self.mark_empty = mark_empty
        self._records = env.recorder.waits

    def note(
        self, queue: JobQueue, line: ShapeLine, cause: WaitCause, other: JobQueue | None = None
    ) -> None:
        """The jobs of ``line`` in ``queue`` wait for ``cause`` (``other``: the higher-priority
        queue, for PRIORITY); record it if it is new for the line."""
        if line.why is cause:
            return
        line.why = cause
        # NOTE: interned: a busy line repeats a few texts thousands of times (memory at 1M jobs).
        detail = sys.intern(_detail(queue, line, cause, other))
        self._records.append((self.calendar.now, queue.name, _key(line), cause, detail))

    def blocked(self, queue: JobQueue, line: ShapeLine) -> None:
        """The jobs of ``line`` got AWS's blocked statusReason (or joined a line that has it)."""
        reason = line.reason_for_new_job()
        if reason is not None:
            self.note(queue, line, reason_cause(reason))

    def emptied(self, queue: str, line: ShapeLine) -> None:
        """The last job of ``line`` (in the queue named ``queue``) left it: its cause ends."""
        line.why = None
        if self.mark_empty:
            self._records.append((self.calendar.now, queue, _key(line), W.NONE, ""))


def wait_cause(
    line: ShapeLine,
    untried: bool,
    held: WaitCause | None,
    jobs: int,
    left: int,
    ces: Sequence[ComputeEnvironment],
) -> WaitCause:
    """Return why the jobs of ``line`` are still waiting after a pass's scale-out round.

    ``untried``: a strict-FIFO pass stopped before it (head of line blocked); ``held``: the
    fair-share reservation or a consumable resource limited the ``jobs`` asked for; ``left``:
    jobs no CE took on (not PRIORITY: the caller tells that apart, it knows the other queues).
    """
    stuck = line.stuck_reason
    if stuck is not None:
        return reason_cause(stuck)
    if untried:
        return W.HEAD_BLOCKED
    if held is not None and (jobs == 0 or left <= 0):
        return held
    if left > 0:
        for ce in ces:
            if ce.enabled:
                return W.MAX_VCPUS
        return W.CE_DISABLED
    return W.SCALING_OUT


def fair_cause(fair: FairShare) -> WaitCause:
    """Return why a fair-share queue's headroom holds jobs back: its ``computeReservation``
    (FAIR_SHARE) when it has one, else only ``maxvCpus`` (the headroom is then the vCPUs left
    under it)."""
    return W.FAIR_SHARE if fair.reservation > 0 else W.MAX_VCPUS


def reason_cause(reason: str) -> WaitCause:
    """Return the cause behind one of AWS's blocked statusReasons (``CAPACITY:…`` or
    ``MISCONFIGURATION:…``)."""
    return W.CAPACITY if reason.startswith("CAPACITY:") else W.MISCONFIGURATION


def _key(line: ShapeLine) -> str:
    """Return the line's name in the records (:func:`batchsim.records.line_key`), interned."""
    shape = line.shape
    return sys.intern(line_key(
        shape.vcpus, shape.memory_mib, shape.gpus, shape.nodes, line.share, line.scheduling_priority
    ))  # fmt: skip


def _detail(queue: JobQueue, line: ShapeLine, cause: WaitCause, other: JobQueue | None) -> str:
    """Return the facts behind ``cause`` in a few words (formatted only when recorded)."""
    if cause is W.CAPACITY or cause is W.MISCONFIGURATION:
        return line.reason_for_new_job() or ""
    if cause is W.MAX_VCPUS or cause is W.SCALING_OUT or cause is W.CE_DISABLED:
        return "; ".join(
            f"{ce.name}: {ce.total_vcpus:g} of maxvCpus {ce.max_vcpus} vCPUs"
            f"{'' if ce.enabled else ' (DISABLED)'}, {len(ce.booting)} booting"
            for ce in queue.ces
        )
    if cause is W.PRIORITY and other is not None:
        return f"{other.name} (priority {other.priority})"
    if cause is W.HEAD_BLOCKED:
        head = queue.head()
        return "" if head is None else head.job_id
    if cause is W.FAIR_SHARE and queue.fair is not None:
        return f"share {line.share}: {queue.fair.headroom():g} vCPUs left before the reservation"
    return ""

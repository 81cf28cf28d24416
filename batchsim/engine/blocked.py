"""Watching for blocked queues: AWS emits a ``Batch Job Queue Blocked`` event when the job at
the head of a queue is RUNNABLE with a blocked statusReason (capacity or misconfiguration).

A queue is checked when its jobs get a blocked reason and when its head may change to a blocked
job (a pass ended, a job was taken out). Each (head job, reason) is reported once per blockage;
when capacity comes back and the reason lifts, a later blockage is reported again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.queue import JobQueue, ShapeLine


class BlockedHeads:
    """Records (time, job, queue, reason) whenever a queue's head job is newly blocked.

    Only ``watched`` queues (some job got a blocked reason) are checked after passes, so a run
    without blocked jobs pays nothing."""

    def __init__(self, env: BatchEnv):
        self.calendar = env.calendar
        self._records = env.recorder.blocked
        self._reported: dict[str, tuple] = {}  # queue name -> (head job, reason) last reported
        self.watched: list[JobQueue] = []  # queues that ever had a blocked job, in that order

    def check(self, queue: JobQueue, start_watching: bool = False) -> None:
        """Report the queue's head job if it is blocked and was not reported yet;
        ``start_watching``: a job of the queue just got a blocked reason."""
        if start_watching and queue not in self.watched:
            self.watched.append(queue)
        head = queue.head()
        if head is None:
            return
        reason = queue.line_of(head.spec).reason_for_new_job()
        if reason is None or head.status_reason != reason:
            return
        if self._reported.get(queue.name) == (head, reason):
            return
        self._reported[queue.name] = (head, reason)
        self._records.append((self.calendar.now, head.index, queue.name, reason))

    def lifted(self, queue: JobQueue, line: ShapeLine) -> None:
        """The blocked reason of ``line`` lifted: if the reported head waits there, its next
        blockage is news again."""
        reported = self._reported.get(queue.name)
        if reported is not None and queue.line_of(reported[0].spec) is line:
            del self._reported[queue.name]

"""A queue's ``jobStateTimeLimitActions``: cancel the job at the head of the queue once it has
been RUNNABLE with a blocked statusReason for ``maxTimeSeconds``, so the next job can advance.

The clock of a job starts when it gets the blocked reason; when the head is canceled, the next
job becomes the head and is judged by its own clock (so a queue stuck for long loses its whole
backlog of blocked jobs at once, as the time limits say it should).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from batchsim.engine.calendar import Timer
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.job import Job
    from batchsim.engine.queue import JobQueue

CANCELED = "Canceled by JobStateTimeLimit action due to reason: {reason}"


def reason_code(status_reason: str | None) -> str | None:
    """Return the code of a blocked statusReason ('CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY')."""
    return None if status_reason is None else status_reason.split(" - ", 1)[0]


class TimeLimits:
    """The time-limit actions of one queue: ``limits`` maps a reason code to its
    maxTimeSeconds, and ``cancel(job, reason, now)`` fails the head job when one runs out."""

    def __init__(
        self,
        env: BatchEnv,
        queue: JobQueue,
        limits: dict[str, int],
        cancel: Callable[[Job, str, float], None],
    ):
        self.calendar = env.calendar
        self.queue = queue
        self.limits = limits  # reason code -> maxTimeSeconds
        self.cancel = cancel  # fails a job that has not started (Lifecycle.cancel)
        self._blocked_at: dict[Job, float] = {}
        self._check_at: float | None = None

    def blocked(self, jobs: Iterable[Job]) -> None:
        """``jobs`` now carry a blocked statusReason: start their clocks, plan a check."""
        now = self.calendar.now
        for job in jobs:
            code = reason_code(job.status_reason)
            limit = None if code is None else self.limits.get(code)
            if limit is not None:
                self._blocked_at.setdefault(job, now)
                self._plan(self._blocked_at[job] + limit)

    def unblocked(self, jobs: Iterable[Job]) -> None:
        """``jobs`` lost their blocked reason (capacity came back): stop their clocks."""
        for job in jobs:
            self._blocked_at.pop(job, None)

    def _plan(self, at: float) -> None:
        if self._check_at is not None and self._check_at <= at:
            return
        self._check_at = at
        self.calendar.call_later(at - self.calendar.now, self._check)

    def _check(self, _timer: Timer) -> None:
        self._check_at = None
        now = self.calendar.now
        while (head := self.queue.head()) is not None:
            code = reason_code(head.status_reason)
            limit = None if code is None else self.limits.get(code)
            since = self._blocked_at.get(head)
            if limit is None or since is None:
                return
            if since + limit > now:
                self._plan(since + limit)
                return
            del self._blocked_at[head]
            self.cancel(head, CANCELED.format(reason=code), now)

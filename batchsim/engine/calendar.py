"""The event calendar: simulated time, the heap of pending timers and the loop that runs them.

A native class (mypyc compiles this module), so that the engine's ~10 reads of the clock and
the heap per job are C struct reads rather than dictionary lookups on a ``simpy.Environment``
subclass. ``BatchEnv`` (engine/env.py) holds one and shares its heap with SimPy, so SimPy
processes keep working beside the engine's timers (docs/architecture.md, "The calendar").
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush

TimerCallback = Callable[["Timer"], object]
"""What a timer calls when it fires: ``callback(timer)``, its return value ignored."""

NORMAL = 1
"""SimPy's priority of an ordinary event (``simpy.events.NORMAL``); ``URGENT`` (0) goes first."""


class Timer:
    """A scheduled callback: one entry of the calendar's heap.

    A SimPy event scheduled on the same heap travels inside a timer too (``BatchEnv.schedule``),
    so the loop only ever pops timers.
    """

    __slots__ = ("callback",)

    def __init__(self, callback: TimerCallback):
        self.callback = callback


class Calendar:
    """Simulated time (``now``, float seconds), the heap of pending timers, and the run loop.

    Heap entries are SimPy's ``(time, priority, id, timer)``: equal times go by priority, then
    by the order of scheduling. ``at_instant_end`` (the scheduler's pass) and the
    ``after_instant`` callbacks run once no more timers are due at the current instant.
    """

    __slots__ = (
        "now", "heap", "eid", "at_instant_end", "_after_instant", "daemons_possible",
        "_daemons", "_wakeups",
    )  # fmt: skip

    def __init__(self) -> None:
        self.now = 0.0
        self.heap: list[tuple[float, int, int, Timer]] = []
        self.eid = 0  # timers scheduled so far: the tie-break of equal (time, priority)
        self.at_instant_end: Callable[[], None] | None = None
        self._after_instant: list[Callable[[], None]] = []
        self.daemons_possible = False  # set before the run by anything that schedules them
        self._daemons = 0  # daemon timers in the heap: they never keep a run going
        self._wakeups = 0  # daemon timers that keep it going while jobs wait (capacity returns)

    def push(self, at: float, priority: int, timer: Timer) -> None:
        """Put ``timer`` on the heap, due at the instant ``at`` with ``priority``."""
        self.eid += 1
        heappush(self.heap, (at, priority, self.eid, timer))

    def call_later(self, delay: float, callback: TimerCallback) -> Timer:
        """Schedule ``callback(timer)`` to run ``delay`` seconds from now; return the timer.

        NOTE: the engine's hot path (one or two per job, instead of a process per job), so the
        push is written out here rather than calling :meth:`push`.
        """
        timer = Timer(callback)
        self.eid += 1
        heappush(self.heap, (self.now + delay, NORMAL, self.eid, timer))
        return timer

    def call_later_daemon(
        self, delay: float, callback: TimerCallback, wakeup: bool = False
    ) -> Timer:
        """Like :meth:`call_later`, but the timer does not keep the run going: a run whose only
        pending events are daemon timers is over (a Spot reclaim due in ten days must not
        stretch a finished workload to ten days). A ``wakeup`` timer keeps it going while jobs
        wait, since what it wakes (a launch) may serve them. Raises ``RuntimeError`` unless
        ``daemons_possible`` was set before the run.
        """
        if not self.daemons_possible:
            raise RuntimeError("set daemons_possible before the run to schedule daemon timers")

        def fire(timer: Timer) -> None:
            self._daemons -= 1
            self._wakeups -= wakeup
            callback(timer)

        self._daemons += 1
        self._wakeups += wakeup
        return self.call_later(delay, fire)

    def cancel(self, timer: Timer) -> None:
        """Make a pending (non-daemon) timer do nothing and stop it keeping the run going."""
        timer.callback = self._cancelled
        self._daemons += 1

    def _cancelled(self, _timer: Timer) -> None:
        self._daemons -= 1

    def after_instant(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` once the current instant is over, after the scheduler's pass.

        Scale-in decisions go here, so a job placed by that pass keeps its instance alive.
        """
        self._after_instant.append(callback)

    def step(self) -> None:
        """Run the next timer (the heap must not be empty); when it was the last one at this
        instant, run the end-of-instant hook (the scheduler's pass) once, then the
        ``after_instant`` callbacks.

        NOTE: running the pass here instead of as a zero-delay event saves one event per
        arrival and per completion, about a third of all events in a busy run.
        """
        self.now, _, _, timer = heappop(self.heap)
        timer.callback(timer)
        if self.at_instant_end is not None or self._after_instant:
            self._end_instant()

    def _end_instant(self, only_daemons_left: bool = False) -> None:
        """Run the pass, then the after-instant callbacks, until the instant is quiet.

        Either may cause the other (a scale-in frees headroom for a pass) or schedule more
        events at this instant, which then run first — unless ``only_daemons_left``: then the
        run would end here, and the pass must have its say first.
        """
        heap = self.heap
        while only_daemons_left or not (heap and heap[0][0] <= self.now):
            only_daemons_left = False
            hook = self.at_instant_end
            if hook is not None:
                self.at_instant_end = None
                hook()
            elif self._after_instant:
                callbacks, self._after_instant = self._after_instant, []
                for callback in callbacks:
                    callback()
            else:
                return

    def run_until(
        self, stop_at: float | None = None, jobs_waiting: Callable[[], bool] = lambda: False
    ) -> None:
        """Run timers until none are left, or until ``stop_at`` if timers remain by then (the
        clock then reads ``stop_at``): a horizon cuts a run short, never extends it. Pending
        daemon timers alone (see :meth:`call_later_daemon`) do not count as timers left,
        except wake-ups while ``jobs_waiting()`` (the scheduler's: may a waiting job be placed?).

        :meth:`step` inlined, because the engine spends most of its time here; timers due
        exactly at ``stop_at`` do not run, as with SimPy's ``run(until=stop_at)``.
        """
        heap = self.heap
        horizon = float("inf") if stop_at is None else stop_at
        # NOTE: two copies of the loop so that runs without daemon timers (no Spot) do not pay
        # for counting them on every event.
        if not self.daemons_possible:
            while heap and heap[0][0] < horizon:
                self.now, _, _, timer = heappop(heap)
                timer.callback(timer)
                if self.at_instant_end is not None or self._after_instant:
                    self._end_instant()
        else:
            while heap and heap[0][0] < horizon:
                if not self._alive(jobs_waiting):
                    if self.at_instant_end is None and not self._after_instant:
                        break
                    self._end_instant(only_daemons_left=True)  # NOTE: may bring new work
                    continue
                self.now, _, _, timer = heappop(heap)
                timer.callback(timer)
                if self.at_instant_end is not None or self._after_instant:
                    self._end_instant()
        if stop_at is not None and heap and self._alive(jobs_waiting):
            self.now = stop_at  # cut short; a run that went quiet earlier ends when it did

    def _alive(self, jobs_waiting: Callable[[], bool]) -> bool:
        """Whether the run goes on: some pending timer is not a daemon, or jobs wait for a
        wake-up (capacity or a price coming back)."""
        return len(self.heap) > self._daemons or (self._wakeups > 0 and jobs_waiting())

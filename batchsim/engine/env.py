"""The simulation environment: SimPy's Environment plus named random streams and the recorder."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from heapq import heappop, heappush

import numpy as np
import simpy
from simpy.events import NORMAL

from batchsim.engine.recorder import Recorder

TimerCallback = Callable[["Timer"], object]
"""What a timer calls when it fires: ``callback(timer)``, its return value ignored."""


class Timer:
    """A scheduled callback: the least SimPy's ``step()`` needs of an event.

    ``step()`` reads ``callbacks`` and ``_ok`` only; a full ``simpy.Event`` costs twice as much to
    create, and the engine schedules one or two of these per job.
    """

    __slots__ = ("callbacks",)
    _ok = True
    _value = None

    def __init__(self, callback: TimerCallback):
        self.callbacks: list[TimerCallback] | None = [callback]


class BatchEnv(simpy.Environment):
    """A SimPy environment that owns the run's random streams and its recorder.

    Streams are derived from the one root ``seed`` and a stream name (``"runtime:batch-a"``), so
    adding a stream never changes the draws of another and two scenarios that share an entry name
    see the same workload under the same seed.
    """

    def __init__(self, seed: int):
        super().__init__()
        self.seed = seed
        self.recorder = Recorder()
        self._streams: dict[str, np.random.Generator] = {}
        self._instances_launched = 0
        self.at_instant_end: Callable[[], None] | None = None
        self._after_instant: list[Callable[[], None]] = []
        self._daemons = 0  # daemon timers in the heap: they never keep a run going
        self._wakeups = 0  # daemon timers that keep it going while jobs wait (capacity returns)
        self.daemons_possible = False  # set before the run by anything that schedules them

    def step(self) -> None:
        """Process the next event; when it was the last one at this instant, run the
        end-of-instant hook (the scheduler's pass) once, then the ``after_instant`` callbacks.

        NOTE: running the pass here instead of as a zero-delay event saves one event per
        arrival and per completion, about a third of all events in a busy run.
        """
        simpy.Environment.step(self)
        if self.at_instant_end is not None or self._after_instant:
            self._end_instant()

    def after_instant(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` once the current instant is over, after the scheduler's pass.

        Scale-in decisions go here, so a job placed by that pass keeps its instance alive.
        """
        self._after_instant.append(callback)

    def _end_instant(self, only_daemons_left: bool = False) -> None:
        """Run the pass, then the after-instant callbacks, until the instant is quiet.

        Either may cause the other (a scale-in frees headroom for a pass) or schedule more
        events at this instant, which then run first — unless ``only_daemons_left``: then the
        run would end here, and the pass must have its say first.
        """
        queue = self._queue
        while only_daemons_left or not (queue and queue[0][0] <= self._now):
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
        """Process events until none are left, or until ``stop_at`` if events remain by then
        (the clock then reads ``stop_at``): a horizon cuts a run short, never extends it.
        Pending daemon timers alone (see :meth:`call_later_daemon`) do not count as events left,
        except wake-ups while ``jobs_waiting()`` (the scheduler's: may a waiting job be placed?).

        The same loop as ``simpy.Environment.run`` with ``step()`` inlined, because the engine
        spends most of its time here; events due exactly at ``stop_at`` are not processed, as
        with SimPy's ``run(until=stop_at)``.
        """
        queue = self._queue
        horizon = float("inf") if stop_at is None else stop_at
        # NOTE: two copies of the loop so that runs without daemon timers (no Spot) do not pay
        # for counting them on every event.
        if not self.daemons_possible:
            while queue and queue[0][0] < horizon:
                self._now, _, _, event = heappop(queue)
                # SimPy types Event.callbacks as a list yet marks a processed event with None
                # (its own step() does the same under an ignore); NOTE: two statements, so that
                # mypyc never stores None in a list-typed local
                callbacks = event.callbacks
                event.callbacks = None  # type: ignore[assignment]
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    raise event._value
                if self.at_instant_end is not None or self._after_instant:
                    self._end_instant()
        else:
            while queue and queue[0][0] < horizon:
                if not self._alive(jobs_waiting):
                    if self.at_instant_end is None and not self._after_instant:
                        break
                    self._end_instant(only_daemons_left=True)  # NOTE: may bring new work
                    continue
                self._now, _, _, event = heappop(queue)
                # SimPy types Event.callbacks as a list yet marks a processed event with None
                # (its own step() does the same under an ignore); NOTE: two statements, so that
                # mypyc never stores None in a list-typed local
                callbacks = event.callbacks
                event.callbacks = None  # type: ignore[assignment]
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    raise event._value
                if self.at_instant_end is not None or self._after_instant:
                    self._end_instant()
        if stop_at is not None and queue and self._alive(jobs_waiting):
            self._now = stop_at  # cut short; a run that went quiet earlier ends when it did

    def stream(self, name: str) -> np.random.Generator:
        """Return the random generator named ``name``, creating it on first use."""
        rng = self._streams.get(name)
        if rng is None:
            key = zlib.crc32(name.encode("utf-8"))
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))
            self._streams[name] = rng
        return rng

    def new_instance_id(self) -> str:
        """Return a fresh EC2-style instance id (``i-`` and 17 hex digits, counting from 1)."""
        self._instances_launched += 1
        return f"i-{self._instances_launched:017x}"

    def call_later(self, delay: float, callback: TimerCallback) -> Timer:
        """Schedule ``callback(timer)`` to run ``delay`` seconds from now; return the timer.

        NOTE: this pushes straight onto SimPy's event heap, as ``Environment.schedule`` would,
        without building a ``simpy.Timeout``; it is the engine's hot path, used instead of one
        process per job.
        """
        timer = Timer(callback)
        # A Timer is no simpy.Event, but has all that step() and run_until() read of one
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), timer))  # type: ignore[misc]
        return timer

    def _alive(self, jobs_waiting: Callable[[], bool]) -> bool:
        """Whether the run goes on: some pending event is not a daemon, or jobs wait for a
        wake-up (capacity or a price coming back)."""
        return len(self._queue) > self._daemons or (self._wakeups > 0 and jobs_waiting())

    def call_later_daemon(
        self, delay: float, callback: TimerCallback, wakeup: bool = False
    ) -> Timer:
        """Like :meth:`call_later`, but the timer does not keep the run going: a run whose only
        pending events are daemon timers is over (a Spot reclaim due in ten days must not
        stretch a finished workload to ten days). A ``wakeup`` timer keeps it going while jobs
        wait, since what it wakes (a launch) may serve them.
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
        timer.callbacks = [self._cancelled]
        self._daemons += 1

    def _cancelled(self, _timer: Timer) -> None:
        self._daemons -= 1

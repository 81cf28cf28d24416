"""The simulation environment: SimPy's Environment on the engine's calendar, plus named random
streams and the recorder."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import partial

import numpy as np
import simpy
from simpy.core import EmptySchedule, SimTime, StopSimulation
from simpy.events import NORMAL, Event, EventPriority

from batchsim.engine.calendar import Calendar, Timer, TimerCallback
from batchsim.engine.recorder import Recorder

__all__ = ["BatchEnv", "Calendar", "Timer", "TimerCallback"]


class BatchEnv(simpy.Environment):
    """A SimPy environment that owns the run's calendar, random streams and recorder.

    The clock and the heap live in a native :class:`Calendar` (``env.calendar``), which the
    engine's objects hold and read; ``now`` and SimPy's ``_now``/``_queue`` are views of it, so
    SimPy processes (``env.process``, ``env.timeout``) run on the same heap, in time order with
    the engine's timers.

    Streams are derived from the one root ``seed`` and a stream name (``"runtime:batch-a"``), so
    adding a stream never changes the draws of another and two scenarios that share an entry name
    see the same workload under the same seed.
    """

    def __init__(self, seed: int):
        self.calendar = Calendar()
        super().__init__()
        self._queue = self.calendar.heap  # type: ignore[assignment]  # NOTE: SimPy peeks at it
        self.seed = seed
        self.recorder = Recorder()
        self._streams: dict[str, np.random.Generator] = {}
        self._instances_launched = 0

    @property
    def _now(self) -> float:
        """SimPy's clock, read from the calendar (``Environment.now`` returns it)."""
        return self.calendar.now

    @_now.setter
    def _now(self, value: float) -> None:
        # NOTE: float() because SimPy starts its clock at the int 0: an int clock would write
        # "0" where the compiled build (a float slot) writes "0.0"
        self.calendar.now = float(value)

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: SimTime = 0) -> None:
        """Put a SimPy event on the calendar's heap, ``delay`` seconds from now (SimPy's
        ``Environment.schedule``, for processes, timeouts and ``run(until=…)``)."""
        calendar = self.calendar
        calendar.push(calendar.now + delay, priority, Timer(partial(_process_event, event)))

    def step(self) -> None:
        """Process the next event (SimPy's or the engine's), then, if it was the last at this
        instant, the end-of-instant hook and callbacks (:meth:`Calendar.step`). Raises SimPy's
        ``EmptySchedule`` when nothing is scheduled."""
        if not self.calendar.heap:
            raise EmptySchedule()
        self.calendar.step()

    def run_until(
        self, stop_at: float | None = None, jobs_waiting: Callable[[], bool] = lambda: False
    ) -> None:
        """Process events until none are left or until ``stop_at`` (:meth:`Calendar.run_until`)."""
        self.calendar.run_until(stop_at, jobs_waiting)

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


def _process_event(event: Event, _timer: Timer) -> None:
    """Process a SimPy event popped from the calendar, as ``simpy.Environment.step`` does: its
    callbacks once (``None`` marks it processed; those left after a ``StopSimulation`` are put
    back for a later run), then a failure nobody defused raised as a copy, caused by it."""
    callbacks = event.callbacks
    event.callbacks = None  # type: ignore[assignment]  # SimPy's own mark of a processed event
    for index, callback in enumerate(callbacks):
        try:
            callback(event)
        except StopSimulation:
            event.callbacks = callbacks[index + 1 :]
            event.env.schedule(event, EventPriority(-1))
            raise
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc

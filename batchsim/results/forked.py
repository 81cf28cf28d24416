"""Run independent tasks (the output files of a run) side by side in a forked child.

A million-job run writes three tables of a million rows or more, three plots and two reports:
about as long as the simulation itself, with one core busy. Each file depends only on the run's
result, already in memory, so a forked child can write some of them with nothing copied or
pickled: it sees the parent's tables as they are (copy-on-write), writes its files and sends back
nothing but an error. The tasks are dealt into lanes, longest first onto the least loaded lane;
this process runs the first lane and a forked child each other lane.

At most :data:`MAX_LANES` lanes: each child copies the memory pages it touches (every Python
string of a table it writes, for one), about 150–300 MB at a million jobs, and beyond two lanes the
three big tables gain little. Forking is used only where it is safe: on Linux (macOS's system
libraries are not fork-safe and Windows has no fork), with more than one core available, and
when this process runs no other thread (a lock held by another thread at the fork would stay
held in the child). Otherwise the tasks run one after another here, with the same results.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_LANES = 2
"""Processes that write at once at most: this one and one forked child."""

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@dataclass(frozen=True)
class Task:
    """One piece of work: ``run`` it; ``cost`` deals the tasks into lanes (biggest first)."""

    name: str
    """What it writes, for error messages."""
    run: Callable[[], object]
    """The work; its return value is ignored, an exception is re-raised in the parent."""
    cost: float = 0.0
    """An estimate of its time, in any unit shared by the tasks of one call."""


def usable_workers() -> int:
    """How many processes may write at once here: the cores this process may use, at most
    :data:`MAX_LANES`, or 1 where forking is not safe (not Linux, or another thread runs)."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return min(len(os.sched_getaffinity(0)), MAX_LANES)


def run_tasks(tasks: Sequence[Task], workers: int | None = None) -> None:
    """Run every task, in ``workers`` lanes at once (default :func:`usable_workers`): this
    process runs the first, a forked child each other; one worker runs them here, in order.
    Raises the first failed task's exception (by its order in ``tasks``) once every lane has
    ended; on an exception that is not a task's (an interrupt) the children are killed first."""
    workers = usable_workers() if workers is None else workers
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            task.run()
        return
    failures = _run_lanes(_lanes(tasks, workers))
    for task in tasks:
        if task.name in failures:
            raise failures[task.name]


def _lanes(tasks: Sequence[Task], count: int) -> list[list[Task]]:
    """Deal ``tasks`` into ``count`` lanes, longest first onto the least loaded lane."""
    lanes: list[list[Task]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for task in sorted(tasks, key=lambda t: -t.cost):
        lane = loads.index(min(loads))
        lanes[lane].append(task)
        loads[lane] += task.cost
    return [lane for lane in lanes if lane]


def _run_lanes(lanes: list[list[Task]]) -> dict[str, BaseException]:
    """Fork a child for every lane but the first, run the first here, wait for the children;
    return the failures by task name."""
    children: dict[int, tuple[int, list[Task]]] = {}  # read end of its error pipe -> pid, lane
    mine = list(lanes[0])
    failures: dict[str, BaseException] = {}
    try:
        for lane in lanes[1:]:
            started = _fork(lane)
            if started is None:  # NOTE: no fork (memory, process limit): this process runs it
                mine += lane
            else:
                children[started[1]] = (started[0], lane)
        for task in mine:
            try:
                task.run()
            except Exception as error:
                failures[task.name] = error
        failures |= _wait(children)
    except BaseException:
        _kill(children)
        raise
    return failures


def _fork(lane: list[Task]) -> tuple[int, int] | None:
    """Start ``lane`` in a child; return its pid and the read end of its error pipe, or None
    when no child can be started."""
    sys.stdout.flush()
    sys.stderr.flush()
    # NOTE: no interrupt between the fork and the child's own handlers: the parent's would
    # unwind the parent's stack (its cleanup included) inside the child.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return None
        if pid == 0:
            os.close(reader)
            _child(lane, writer, blocked)
        os.close(writer)
        return pid, reader
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _child(lane: list[Task], writer: int, mask: set[int | signal.Signals]) -> None:
    """Run ``lane`` in the child, report the first failure, and leave with ``os._exit`` (so
    that no cleanup of the parent's runs twice)."""
    code, current = 0, lane[0]
    try:
        # NOTE: the parent handles interrupts and kills its children; a collection here would
        # touch every object the parent holds and copy its pages for nothing.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        gc.disable()
        for task in lane:
            current = task
            task.run()
    except BaseException as error:  # noqa: BLE001  (reported to the parent, which re-raises)
        code = 1
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(pickle.dumps((current.name, _portable(error))))
    finally:
        os._exit(code)


def _portable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a RuntimeError with its text; with the child's
    traceback attached as a note."""
    try:
        pickle.loads(pickle.dumps(error))
        sent = error
    except Exception:  # noqa: BLE001  (an exception that does not pickle or unpickle)
        sent = RuntimeError(f"{type(error).__name__}: {error}")
    sent.add_note("in a forked writer:\n" + "".join(traceback.format_exception(error)))
    return sent


def _wait(children: dict[int, tuple[int, list[Task]]]) -> dict[str, BaseException]:
    """Wait for every child; return their failures by task name, removing each from
    ``children`` once reaped.

    NOTE: a child's end is seen as the end of its pipe (it holds the only write end), read as
    it comes so that a child never blocks on a full pipe; then that pid, and only it, is
    reaped, so other children of this process are left alone. poll(), unlike select(), takes
    descriptors above 1023.
    """
    failures: dict[str, BaseException] = {}
    data = {reader: bytearray() for reader in children}
    poller = select.poll()
    for reader in children:
        poller.register(reader, select.POLLIN)
    while children:
        for reader, _event in poller.poll():
            chunk = os.read(reader, 1 << 16)
            if chunk:
                data[reader] += chunk
                continue
            poller.unregister(reader)
            os.close(reader)
            pid, lane = children.pop(reader)
            status = os.waitpid(pid, 0)[1]
            failures |= _failure(bytes(data[reader]), status, lane)
    return failures


def _failure(data: bytes, status: int, lane: list[Task]) -> dict[str, BaseException]:
    """The failure a finished child reported (``data``), or one for how it ended (``status``)."""
    if data:
        name, error = pickle.loads(data)
        return {name: error}
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return {}
    names = ", ".join(task.name for task in lane)
    how = f"was killed by signal {-code}" if code < 0 else f"ended with status {code}"
    return {lane[0].name: OSError(f"the process writing {names} {how}")}


def _kill(children: dict[int, tuple[int, list[Task]]]) -> None:
    """Kill and reap every child still running (on an interrupt of this process)."""
    for pid, _lane in children.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for reader, (pid, _lane) in list(children.items()):
        os.waitpid(pid, 0)
        os.close(reader)
        del children[reader]

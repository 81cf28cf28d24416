"""Run independent tasks (the output files of a run) side by side in forked children.

A million-job run writes three tables of a million rows or more, three plots and two reports:
about as long as the simulation itself, one core busy and the others idle. Each file depends only
on the run's result, already in memory, so a forked child can write it with no copying: the
child sees the parent's tables as they are (copy-on-write) and writes its file; nothing is
pickled or sent back but an error. Tasks are started longest first (as estimated by the caller)
and a new child is forked as soon as one ends, so the cores stay busy to the end.

Forking is used only where it is safe and useful: on Linux (macOS's system libraries are not
fork-safe and Windows has no fork), with more than one core available, and when this process
runs no other thread (a lock held by another thread at the fork would stay held in the child).
Otherwise the tasks run one after another in this process, with the same results.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """One piece of work: ``run`` it; ``cost`` orders the tasks (biggest first)."""

    name: str
    """What it writes, for error messages."""
    run: Callable[[], object]
    """The work; its return value is ignored, an exception is re-raised in the parent."""
    cost: float = 0.0
    """An estimate of its time, in any unit shared by the tasks of one call."""


def usable_workers() -> int:
    """How many tasks may run at once here: the cores this process may use, or 1 where forking
    is not safe (not Linux, or another thread is running)."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return len(os.sched_getaffinity(0))


def run_tasks(tasks: Sequence[Task], workers: int | None = None) -> None:
    """Run every task, up to ``workers`` at once in forked children (default
    :func:`usable_workers`); one worker runs them here, in order. Raises the first failed
    task's exception (by its order in ``tasks``) once every child has ended; on an exception in
    this process (an interrupt) the children are killed first."""
    workers = usable_workers() if workers is None else workers
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            task.run()
        return
    failures = _run_forked(sorted(tasks, key=lambda t: -t.cost), workers)
    for task in tasks:
        if task.name in failures:
            raise failures[task.name]


def _run_forked(queue: list[Task], workers: int) -> dict[str, BaseException]:
    """Fork a child per task, ``workers`` at a time; return the failures by task name.

    NOTE: a child's end is seen as the end of its error pipe (the child holds the only write
    end), read as it comes so that a child never blocks on a full pipe; then that pid, and
    only it, is reaped, so other children of this process are left alone.
    """
    running: dict[int, tuple[Task, int, bytearray]] = {}  # read end -> (task, pid, error bytes)
    failures: dict[str, BaseException] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.pop(0)
                pid, reader = _fork(task)
                running[reader] = (task, pid, bytearray())
            for reader in select.select(list(running), [], [])[0]:
                chunk = os.read(reader, 1 << 16)
                task, pid, data = running[reader]
                if chunk:
                    data += chunk
                    continue
                del running[reader]
                os.close(reader)
                error = _error(bytes(data), os.waitpid(pid, 0)[1])
                if error is not None:
                    failures[task.name] = error
    except BaseException:
        for _task, pid, _data in running.values():
            os.kill(pid, signal.SIGKILL)
        for reader, (_task, pid, _data) in running.items():
            os.waitpid(pid, 0)
            os.close(reader)
        raise
    return failures


def _fork(task: Task) -> tuple[int, int]:
    """Start ``task`` in a child; return its pid and the read end of the pipe its error comes by."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the task, report an error, never return
        os.close(reader)
        _child(task, writer)
    os.close(writer)
    return pid, reader


def _child(task: Task, writer: int) -> None:
    """Run ``task`` in the child and leave with ``os._exit`` (no parent cleanup runs twice)."""
    code = 0
    try:
        # NOTE: the parent handles interrupts and kills its children; a collection here would
        # touch every object the parent holds and copy its pages for nothing.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        gc.disable()
        task.run()
    except BaseException as error:  # noqa: BLE001  (reported to the parent, which re-raises)
        code = 1
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(_pickled(error))
    finally:
        os._exit(code)


def _pickled(error: BaseException) -> bytes:
    """``error`` pickled, or a RuntimeError with its text when it cannot be."""
    try:
        return pickle.dumps(error)
    except Exception:  # noqa: BLE001  (an exception holding something unpicklable)
        return pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))


def _error(data: bytes, status: int) -> BaseException | None:
    """The error a finished child reported (``data``), or one for its exit ``status``."""
    if data:
        return pickle.loads(data)
    code = os.waitstatus_to_exitcode(status)
    return RuntimeError(f"a writer process ended with status {code}") if code != 0 else None

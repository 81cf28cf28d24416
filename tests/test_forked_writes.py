"""Output files written side by side in forked children: the same bytes as one at a time, every
error reported, children never outliving the write (batchsim/results/forked.py)."""

from __future__ import annotations

import errno
import filecmp
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import batchsim
from batchsim.results.forked import MAX_LANES, Task, run_tasks, usable_workers
from batchsim.results.writer import write_outputs

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked writes are Linux only")


def write_pid(path: Path) -> Task:
    """A task that writes the id of the process running it to ``path``."""
    return Task(path.name, lambda: path.write_text(str(os.getpid())))


def fail_with(error: BaseException, cost: float = 0.0) -> Task:
    def run() -> None:
        raise error

    return Task(f"fails: {error}", run, cost)


def test_the_longest_tasks_run_here_and_in_one_child_and_all_of_them_run(tmp_path):
    tasks = [
        Task(f"{i}", write_pid(tmp_path / f"{i}.pid").run, cost)
        for i, cost in enumerate((9, 5, 4, 1, 1))
    ]
    run_tasks(tasks, workers=2)
    pids = [int((tmp_path / f"{i}.pid").read_text()) for i in range(5)]
    # longest first onto the least loaded lane (the first on a tie): here 9, 1; the child 5, 4, 1
    assert pids[0] == pids[3] == os.getpid() != pids[1] == pids[2] == pids[4]


def test_no_more_than_two_processes_write_at_once():
    assert 1 <= usable_workers() <= MAX_LANES == 2


def test_one_worker_runs_the_tasks_here_in_order(tmp_path):
    order: list[str] = []
    tasks = [
        Task(name, lambda name=name: order.append(name), cost)
        for name, cost in (("a", 1), ("b", 9))
    ]
    run_tasks(tasks, workers=1)
    assert order == ["a", "b"]


def test_a_failed_task_raises_its_own_error_after_the_others_finish(tmp_path):
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "jobs.csv"))
    tasks = [write_pid(tmp_path / "a.pid"), fail_with(full, cost=5), write_pid(tmp_path / "b.pid")]
    tasks[0] = Task("a.pid", tasks[0].run, 3)  # NOTE: here; the failure in the child, then b.pid
    with pytest.raises(OSError) as raised:
        run_tasks(tasks, workers=2)
    assert (raised.value.errno, raised.value.filename) == (errno.ENOSPC, str(tmp_path / "jobs.csv"))
    assert (tmp_path / "a.pid").exists() and (tmp_path / "b.pid").exists()


def test_the_first_failure_in_task_order_wins():
    tasks = [fail_with(ValueError("first"), cost=1), fail_with(KeyError("second"), cost=9)]
    with pytest.raises(ValueError, match="first"):
        run_tasks(tasks, workers=2)


def test_an_error_that_cannot_be_pickled_arrives_as_its_text():
    class Local(Exception):  # NOTE: defined in a function, so pickle cannot find it
        pass

    with pytest.raises(RuntimeError, match="Local: cannot travel") as raised:
        run_tasks(
            [fail_with(Local("cannot travel"), cost=1), Task("ok", lambda: None, 5)], workers=2
        )
    assert "in a forked writer" in "".join(raised.value.__notes__)  # the child's traceback


class TwoArguments(Exception):
    """An exception that pickles but does not unpickle (its __init__ takes two arguments)."""

    def __init__(self, path: str, why: str):
        super().__init__(f"{path}: {why}")


def test_an_error_that_does_not_unpickle_arrives_as_its_text():
    tasks = [fail_with(TwoArguments("jobs.csv", "disk gone"), 1), Task("ok", lambda: None, 5)]
    with pytest.raises(Exception) as raised:  # noqa: B017  (its class depends on the process)
        run_tasks(tasks, workers=2)
    # NOTE: as a RuntimeError with its text; or as itself where something taught pickle to
    # rebuild exceptions (dask's distributed installs tblib's support when imported)
    assert isinstance(raised.value, RuntimeError | TwoArguments)
    assert "jobs.csv: disk gone" in str(raised.value)


def test_a_child_killed_by_a_signal_is_an_os_error_naming_its_files():
    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(OSError, match="the process writing killed.csv was killed by signal 9"):
        run_tasks([Task("killed.csv", killed, 1), Task("ok", lambda: None, 5)], workers=2)


def test_a_lane_that_cannot_be_forked_runs_here(tmp_path, monkeypatch):
    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    run_tasks([write_pid(tmp_path / "a.pid"), write_pid(tmp_path / "b.pid")], workers=2)
    assert {(tmp_path / n).read_text() for n in ("a.pid", "b.pid")} == {str(os.getpid())}


def test_an_interrupt_kills_the_children_before_it_propagates(tmp_path):
    pid_file = tmp_path / "sleeper.pid"

    def sleeper() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):  # NOTE: here, while this process runs its lane
            run_tasks(
                [Task("child", sleeper, 1), Task("here", lambda: time.sleep(60), 2)], workers=2
            )
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with pytest.raises(ChildProcessError):  # reaped: no child of ours is left
        os.waitpid(int(pid_file.read_text()), os.WNOHANG)


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert usable_workers() == 1
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("scenario", ["nightly-licences.yaml", "hourly-jobs-spot-checkpoint.yaml"])
def test_parallel_and_serial_writes_give_the_same_files(tmp_path, scenario):
    result = batchsim.simulate(batchsim.load_scenario(REPO / "scenarios" / scenario))
    serial = write_outputs(result, tmp_path / "serial", events=True, aws_json=True, workers=1)
    parallel = write_outputs(result, tmp_path / "parallel", events=True, aws_json=True, workers=3)
    assert [p.name for p in serial] == [p.name for p in parallel]
    assert serial[-1].name == "summary.json"
    assert ("consumables.csv" in {p.name for p in serial}) == (scenario == "nightly-licences.yaml")
    names = sorted(p.name for p in (tmp_path / "serial").iterdir())
    assert (
        names
        == sorted(p.name for p in (tmp_path / "parallel").iterdir())
        == sorted(p.name for p in serial)
    )
    different = [
        n
        for n in names
        if not filecmp.cmp(tmp_path / "serial" / n, tmp_path / "parallel" / n, shallow=False)
    ]
    assert different == []

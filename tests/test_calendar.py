"""The calendar under BatchEnv: engine timers and SimPy processes share one clock and one heap."""

from __future__ import annotations

import pytest
import simpy
from conftest import REPO

import batchsim
from batchsim.engine.env import BatchEnv


def test_a_simpy_process_interleaves_with_engine_timers_in_time_order():
    env = BatchEnv(1)
    log: list[tuple[float, str]] = []

    def worker(env: BatchEnv):
        for name, delay in (("p1", 2.0), ("p2", 3.0), ("p3", 4.0)):
            yield env.timeout(delay)  # due at 2, 5 and 9
            log.append((env.now, name))

    env.process(worker(env))
    env.calendar.call_later(1.0, lambda _t: log.append((env.calendar.now, "t1")))
    env.calendar.call_later(6.0, lambda _t: log.append((env.calendar.now, "t6")))
    env.calendar.call_later(9.5, lambda _t: log.append((env.calendar.now, "t9.5")))
    env.run_until()
    assert log == [(1.0, "t1"), (2.0, "p1"), (5.0, "p2"), (6.0, "t6"), (9.0, "p3"), (9.5, "t9.5")]
    assert env.now == env.calendar.now == 9.5


def test_equal_times_go_in_scheduling_order_and_the_instant_ends_after_both():
    env = BatchEnv(1)
    log: list[str] = []

    def process(env: BatchEnv):
        yield env.timeout(5.0)  # scheduled after the timer below, at the same instant
        log.append("process")
        env.calendar.at_instant_end = lambda: log.append(f"pass at {env.calendar.now}")

    env.calendar.call_later(5.0, lambda _t: log.append("timer"))
    env.process(process(env))
    env.calendar.call_later(5.0, lambda _t: log.append("timer 2"))
    env.run_until()
    # the process's Initialize event (URGENT, t=0) schedules its timeout at t=0, after both timers
    assert log == ["timer", "timer 2", "process", "pass at 5.0"]


def test_simpy_run_until_a_time_stops_there_and_resumes():
    env = BatchEnv(1)
    fired: list[float] = []
    env.calendar.call_later(3.0, lambda _t: fired.append(env.now))
    env.calendar.call_later(8.0, lambda _t: fired.append(env.now))
    env.run(until=5.0)
    assert (fired, env.now) == ([3.0], 5.0)
    env.run()
    assert (fired, env.now) == ([3.0, 8.0], 8.0)
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()


def test_a_process_waits_on_an_event_an_engine_timer_triggers():
    env = BatchEnv(1)
    signal = env.event()
    got: list[tuple[float, object]] = []

    def waiter(env: BatchEnv):
        value = yield signal
        got.append((env.now, value))

    env.process(waiter(env))
    env.calendar.call_later(4.0, lambda _t: signal.succeed("ready"))
    env.run_until()
    assert got == [(4.0, "ready")]


def test_a_failed_process_stops_the_run_with_its_error():
    env = BatchEnv(1)

    def broken(env: BatchEnv):
        yield env.timeout(1.0)
        raise KeyError("boom")

    env.process(broken(env))
    with pytest.raises(KeyError, match="boom"):
        env.run_until()
    assert env.now == 1.0


def test_a_horizon_cuts_the_run_and_the_clock_reads_it():
    env = BatchEnv(1)
    env.calendar.call_later(10.0, lambda _t: None)
    env.process(_ticks(env, 4.0))
    env.run_until(stop_at=7.0)
    assert env.now == 7.0


def _ticks(env: BatchEnv, every_s: float):
    while True:
        yield env.timeout(every_s)


def test_the_clock_is_a_float_from_the_start_as_in_the_compiled_build(tmp_path):
    env = BatchEnv(1)
    assert type(env.now) is float and type(env.calendar.now) is float
    # every instance of a minvCpus floor launches at t = 0: the column must read 0.0, not 0
    scenario = batchsim.load_scenario(
        REPO / "scenarios" / "quickstart.yaml",
        ["computeEnvironments[0].computeResources.minvCpus=64"],
    )
    batchsim.simulate(scenario).write(tmp_path, events=False, aws_json=False)
    rows = (tmp_path / "instances.csv").read_text().splitlines()
    column = rows[0].split(",").index("launchedAt")
    assert {row.split(",")[column] for row in rows[1:]} == {"0.0"}

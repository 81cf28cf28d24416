"""A scheduling pass does work in proportion to what changed, never to what waits.

Each test counts the passes (and the wait explanations) of a tiny, hand-computable run with the
scheduler's own counters, and checks the run's outcome is what the same run gives when every
arrival asks for a pass (nothing is patched, so the tests hold for the compiled engine too).
"""

from __future__ import annotations

from conftest import base_scenario, job

from batchsim.api import package_version
from batchsim.engine.scheduler import Scheduler
from batchsim.engine.simulation import Model
from batchsim.results.run_result import RunResult
from batchsim.scenario.schema import Scenario


def counted(data: dict, pass_at: tuple[float, ...] = ()) -> tuple[RunResult, Scheduler]:
    """Run ``data`` through the engine's phases (as ``run_engine`` does) and return the result
    and the scheduler, whose ``passes`` and ``explanations`` count the passes run and the wait
    explanations worked out. ``pass_at``: instants at which something also asks for a pass
    (a timer put on the calendar before the run, after the submissions of that instant)."""
    scenario = Scenario.model_validate(data)
    model = Model(scenario, scenario.simulation.seed)
    model.elaborate()
    for at in pass_at:
        model.env.calendar.call_later(at, lambda _timer: model.scheduler.request_pass())
    end_at = model.run()
    model.finalize(end_at)
    result = RunResult.from_engine(scenario, model.collect(end_at), package_version())
    return result, model.scheduler


def one_slot_then_a_trickle(arrivals: int) -> dict:
    """One c5.large held at its limit (min = max = 2 vCPUs, ready at t=0) and 2-vCPU jobs of
    600 s: one at t=0, then one every 10 s from t=10: all but the first wait."""
    data = base_scenario()
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(minvCpus=2, maxvCpus=2)
    data["computeEnvironments"][0]["simulation"]["minvCpusReadyAtStart"] = True
    data["workload"] = [
        {"name": "first", "submit": {"jobName": "f", "jobQueue": "q", "jobDefinition": "work"}},
        {
            "name": "trickle",
            "submit": {"jobName": "t", "jobQueue": "q", "jobDefinition": "work"},
            "arrivals": {"times": [10 * (i + 1) for i in range(arrivals)]},
        },
    ]
    return data


def test_arrivals_behind_a_waiting_job_on_a_full_pool_ask_for_no_pass():
    result, scheduler = counted(one_slot_then_a_trickle(20))
    # Passes: the first job at t=0, the first waiting arrival at t=10 (a new head), then one per
    # completion (20 of them free the slot for the next job). The 19 arrivals behind the head
    # at t=20…200 change nothing a pool at its limit could do: no pass for them.
    assert scheduler.passes == 1 + 1 + 20
    # Every job still runs back to back: job k of the trickle starts when job k−1 ends.
    # (pull 20 s once, start 5 s: the first job starts at 25, runs 600 s; each next one
    # starts 5 s after the previous ended.)
    ends = sorted(result.jobs["stoppedAt"].tolist())
    assert ends[0] == 625.0
    assert all(b - a == 605.0 for a, b in zip(ends, ends[1:], strict=False))
    assert job(result, "trickle-20")["startingAt"] == 625.0 + 19 * 605.0


def test_the_skip_gives_the_same_run_as_a_pass_per_arrival():
    skipping, _ = counted(one_slot_then_a_trickle(20))
    # Every arrival of the trickle (t = 10, 20, …, 200) also asks for a pass, as it would
    # without the skip (lifecycle.changes_nothing).
    arrivals = tuple(10.0 * (i + 1) for i in range(20))
    every, scheduler = counted(one_slot_then_a_trickle(20), arrivals)
    assert scheduler.passes == 1 + 20 + 20  # one at t=0, one per arrival and completion
    assert skipping.jobs.equals(every.jobs) and skipping.attempts.equals(every.attempts)
    assert skipping.summary == every.summary


def test_a_line_waiting_for_room_is_explained_once_per_change_of_the_pool():
    _, scheduler = counted(one_slot_then_a_trickle(20))
    # The waiting line is explained at the first pass that leaves it unplaced (t=10); no CE
    # changes afterwards (the floor instance neither launches nor terminates), so the passes
    # at each completion, which leave the line waiting, do not explain it again.
    assert scheduler.explanations == 1


def test_a_pool_that_can_grow_gets_a_pass_for_every_arrival():
    data = one_slot_then_a_trickle(5)
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 16
    result, scheduler = counted(data)
    # maxvCpus 16 leaves room for 7 more c5.large: each arrival is demand a CE may launch for,
    # so each gets a pass that launches an instance, and each instance's boot ends in a pass:
    # 1 (t=0) + 5 arrivals + 5 instances ready; completions find nothing waiting.
    assert scheduler.passes == 1 + 5 + 5
    assert result.summary["instances_launched"] == 6  # the floor instance + one per arrival
    # Arrival k at 10·k s boots its own instance for 100 s and starts on it at once.
    assert sorted(result.jobs["startingAt"].tolist()) == [0.0, 110.0, 120.0, 130.0, 140.0, 150.0]

"""A scheduling pass does work in proportion to what changed, never to what waits.

Each test counts the passes (and the wait explanations) of a tiny, hand-computable run, and
checks the run's outcome is what the same run gives when every arrival asks for a pass.
"""

from __future__ import annotations

import pytest
from conftest import base_scenario, job, run

from batchsim.engine import lifecycle as lifecycle_module
from batchsim.engine.compute import ComputeEnvironment
from batchsim.engine.scheduler import Scheduler


@pytest.fixture
def passes(monkeypatch):
    """Count Scheduler.run_pass calls, and the wait explanations worked out (each asks the
    queue's CE whether the line could ever be placed there)."""
    counts = {"pass": 0, "explain": 0}
    run_pass, explain = Scheduler.run_pass, ComputeEnvironment.could_place_later

    def counted_pass(self):
        counts["pass"] += 1
        run_pass(self)

    def counted_explain(self, shape):
        counts["explain"] += 1
        return explain(self, shape)

    monkeypatch.setattr(Scheduler, "run_pass", counted_pass)
    monkeypatch.setattr(ComputeEnvironment, "could_place_later", counted_explain)
    return counts


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


def test_arrivals_behind_a_waiting_job_on_a_full_pool_ask_for_no_pass(passes):
    result = run(one_slot_then_a_trickle(20))
    # Passes: the first job at t=0, the first waiting arrival at t=10 (a new head), then one per
    # completion (20 of them free the slot for the next job). The 19 arrivals behind the head
    # at t=20…200 change nothing a pool at its limit could do: no pass for them.
    assert passes["pass"] == 1 + 1 + 20
    # Every job still runs back to back: job k of the trickle starts when job k−1 ends.
    # (pull 20 s once, start 5 s: the first job starts at 25, runs 600 s; each next one
    # starts 5 s after the previous ended.)
    ends = sorted(result.jobs["stoppedAt"].tolist())
    assert ends[0] == 625.0
    assert all(b - a == 605.0 for a, b in zip(ends, ends[1:], strict=False))
    assert job(result, "trickle-20")["startingAt"] == 625.0 + 19 * 605.0


def test_the_skip_gives_the_same_run_as_a_pass_per_arrival(passes, monkeypatch):
    skipping = run(one_slot_then_a_trickle(20))
    skipped_passes = passes["pass"]
    monkeypatch.setattr(lifecycle_module, "changes_nothing", lambda queue, job: False)
    every = run(one_slot_then_a_trickle(20))
    assert passes["pass"] - skipped_passes == 1 + 20 + 20  # one per arrival and completion
    assert skipping.jobs.equals(every.jobs) and skipping.attempts.equals(every.attempts)
    assert skipping.summary == every.summary


def test_a_line_waiting_for_room_is_explained_once_per_change_of_the_pool(passes):
    run(one_slot_then_a_trickle(20))
    # The waiting line is explained at the first pass that leaves it unplaced (t=10); no CE
    # changes afterwards (the floor instance neither launches nor terminates), so the passes
    # at each completion, which leave the line waiting, do not explain it again.
    assert passes["explain"] == 1


def test_a_pool_that_can_grow_gets_a_pass_for_every_arrival(passes):
    data = one_slot_then_a_trickle(5)
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 16
    result = run(data)
    # maxvCpus 16 leaves room for 7 more c5.large: each arrival is demand a CE may launch for,
    # so each gets a pass that launches an instance, and each instance's boot ends in a pass:
    # 1 (t=0) + 5 arrivals + 5 instances ready; completions find nothing waiting.
    assert passes["pass"] == 1 + 5 + 5
    assert result.summary["instances_launched"] == 6  # the floor instance + one per arrival
    # Arrival k at 10·k s boots its own instance for 100 s and starts on it at once.
    assert sorted(result.jobs["startingAt"].tolist()) == [0.0, 110.0, 120.0, 130.0, 140.0, 150.0]

"""Spot compute environments, hand-computed: interruptions at known times, retries, checkpoints,
bills, the bid cap, allocation strategies, spill-over and capacity shortages.

The base scenario (conftest.base_scenario) boots in 100 s, pulls the image in 20 s, starts the
container in 5 s and scales in after the scale-down delay; c5.large is 2 vCPUs, on-demand
$0.085/h, Spot Advisor savings 59 % (bucket <5 %), so its Spot price is $0.03485/h.
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import base_scenario, job, run

from batchsim.catalog.spot import bucket_rate_per_s

SPOT_PRICE = 0.085 * (1 - 0.59)
HOST = "Host EC2 (instance {}) terminated."


def spot_scenario(
    spot: dict | None = None, runtime: str = "600s", scale_down: str = "100s", **job_sim
) -> dict:
    """A SPOT copy of the base scenario with the given ``simulation.spot`` block."""
    data = base_scenario()
    ce = data["computeEnvironments"][0]
    ce["computeResources"]["type"] = "SPOT"
    ce["simulation"] = {"bootTime": "100s", "scaleDownDelay": scale_down}
    if spot is not None:
        ce["simulation"]["spot"] = spot
    definition = data["jobDefinitions"][0]
    definition["simulation"] = {
        "runtime": runtime,
        "startTime": "5s",
        "imagePullTime": "20s",
        **job_sim,
    }
    return data


def test_interrupted_attempt_resumes_from_its_last_checkpoint_on_a_new_instance():
    data = spot_scenario(
        {"lifetime": "1000s"},
        runtime="1200s",
        checkpoint={"interval": "300s", "cost": "10s", "restartCost": "20s"},
    )
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    result = run(data)
    first, second = result.attempts.to_dict("records")
    # Attempt 1: RUNNING at 125; checkpoints done at 435 and 745; reclaimed at 1000 (launch + 1000 s).
    assert (first["startingAt"], first["startedAt"], first["stoppedAt"]) == (100, 125, 1000)
    assert first["outcome"] == "spot_interrupted" and pd_na(first["exitCode"])
    assert first["statusReason"] == HOST.format("i-00000000000000001")
    # 875 s into the work: 2 pieces saved (620 s incl. writes), 255 s of work lost, on 2 vCPUs.
    assert first["wastedVcpuHours"] == pytest.approx(2 * 255 / 3600)
    # Attempt 2 goes to a new instance launched at the reclaim: ready 1100, RUNNING 1125, then
    # restart 20 s + the last 600 s of work + one checkpoint of 10 s = 630 s.
    assert (second["runnableAt"], second["startingAt"], second["startedAt"]) == (1000, 1100, 1125)
    assert second["stoppedAt"] == 1755 and second["outcome"] == "succeeded"
    assert second["wastedVcpuHours"] == 0
    assert job(result, "a-1")["status"] == "SUCCEEDED"
    # Billing: EC2 does not charge a Spot instance it reclaims within its first hour; the second
    # ran 1000 → 1855 (idle 100 s after the job) at the Spot price.
    one, two = result.instances.to_dict("records")
    assert (one["endReason"], one["interruptionNoticeAt"], one["costUsd"]) == (
        "spot_interrupted",
        880,
        0,
    )
    assert two["costUsd"] == pytest.approx(855 * SPOT_PRICE / 3600)
    assert result.summary["interruptions"] == 1
    assert result.summary["wasted_vcpu_hours"] == pytest.approx(2 * 255 / 3600)


def pd_na(value) -> bool:
    return value is None or value != value or str(value) == "<NA>"


def test_reclaim_after_the_first_hour_is_billed_and_exhausted_attempts_fail():
    data = spot_scenario({"lifetime": "4000s"}, runtime="5000s")
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    result = run(data)
    first, second = result.attempts.to_dict("records")
    assert (first["startedAt"], first["stoppedAt"]) == (125, 4000)
    assert first["wastedVcpuHours"] == pytest.approx(2 * 3875 / 3600)  # no checkpoint: all lost
    assert (second["startingAt"], second["startedAt"], second["stoppedAt"]) == (4100, 4125, 8000)
    row = job(result, "a-1")
    assert row["status"] == "FAILED" and row["attempts"] == 2
    assert row["statusReason"] == HOST.format("i-00000000000000002")
    costs = result.instances["costUsd"].tolist()
    assert costs == pytest.approx([4000 * SPOT_PRICE / 3600] * 2)


def test_evaluate_on_exit_can_exit_on_host_reclaims():
    data = spot_scenario({"lifetime": "400s"})
    data["jobDefinitions"][0]["retryStrategy"] = {
        "attempts": 5,
        "evaluateOnExit": [{"onStatusReason": "Host EC2*", "action": "EXIT"}],
    }
    result = run(data)
    assert len(result.attempts) == 1
    assert job(result, "a-1")["status"] == "FAILED"


def test_checkpoint_on_notice_saves_the_work_done_before_the_reclaim():
    # Notice at 880, reclaim at 1000; the 10 s write fits, so the 255 s since the last
    # checkpoint plus nothing more are kept: work saved = 600 + 135 (work done by 880).
    data = spot_scenario(
        {"lifetime": "1000s"},
        runtime="1200s",
        checkpoint={"interval": "300s", "cost": "10s", "restartCost": "20s", "onNotice": True},
    )
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    first, second = run(data).attempts.to_dict("records")
    assert first["wastedVcpuHours"] == 0
    # Left after 735 s saved: 465 s = 2 pieces (300 + 165) and one write; plus the 20 s restart.
    assert second["stoppedAt"] == pytest.approx(1125 + 20 + 465 + 10)


def test_without_interruptions_a_spot_bill_is_the_on_demand_bill_times_one_minus_savings():
    on_demand = base_scenario()
    on_demand["workload"][0].update(count=7)
    spot = base_scenario()
    spot["workload"][0].update(count=7)
    spot["computeEnvironments"][0]["computeResources"]["type"] = "SPOT"
    spot["computeEnvironments"][0]["simulation"]["spot"] = {"interruptionRate": 0}
    od, sp = run(on_demand), run(spot)
    assert sp.summary["total_cost_usd"] == pytest.approx(
        od.summary["total_cost_usd"] * (1 - 0.59), rel=1e-12
    )
    assert sp.summary["total_cost_usd"] > 0 and sp.summary["interruptions"] == 0
    assert (sp.attempts["stoppedAt"] == od.attempts["stoppedAt"]).all()
    assert set(sp.instances["lifecycle"]) == {"spot"}


def strategy_scenario(strategy: str, types: list[str], bid: int | None = None) -> dict:
    data = spot_scenario({"interruptionRate": 0})
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(allocationStrategy=strategy, instanceTypes=types)
    if bid is not None:
        resources["bidPercentage"] = bid
    return data


# 2-vCPU jobs; Spot prices (on-demand × (1 − savings)) and Spot Advisor buckets:
# c5.large 0.03485 (<5 %), c6i.large 0.03145 (5-10 %), m5.large 0.03264 (15-20 %), c7i.large 0.030345 (>20 %).
LARGE = ["c5.large", "c6i.large", "m5.large", "c7i.large"]


@pytest.mark.parametrize(
    ("strategy", "chosen"),
    [
        ("BEST_FIT", "c7i.large"),  # cheapest
        ("BEST_FIT_PROGRESSIVE", "c7i.large"),  # cheapest per job
        ("SPOT_CAPACITY_OPTIMIZED", "c5.large"),  # least interrupted pool
        ("SPOT_PRICE_CAPACITY_OPTIMIZED", "c6i.large"),  # cheapest of the two safest buckets
    ],
)
def test_allocation_strategies_choose_spot_pools(strategy, chosen):
    result = run(strategy_scenario(strategy, LARGE))
    assert result.instances["instanceType"].tolist() == [chosen]


def test_bid_percentage_excludes_types_priced_above_the_cap():
    # Cap 35 % of on-demand: c5.large (41 %) is out, c7i.large (34 %) stays.
    result = run(strategy_scenario("SPOT_CAPACITY_OPTIMIZED", ["c5.large", "c7i.large"], bid=35))
    assert result.instances["instanceType"].tolist() == ["c7i.large"]


def test_a_price_above_the_cap_reclaims_the_instance_after_the_notice():
    data = spot_scenario({"instanceTypes": {"c5.large": {"priceSeries": [
        {"at": 0, "price": 0.03}, {"at": "300s", "price": 0.09}, {"at": "1000s", "price": 0.03},
    ]}}})  # fmt: skip
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    result = run(data)
    first, second = result.attempts.to_dict("records")
    # The price passes the on-demand cap at 300: notice then, reclaim 120 s later; no launch
    # until the price falls back at 1000.
    assert (first["stoppedAt"], first["outcome"]) == (420, "spot_interrupted")
    assert (second["startingAt"], second["stoppedAt"]) == (1100, 1725)
    assert result.instances["launchedAt"].tolist() == [0, 1000]


def test_price_series_is_billed_by_the_second():
    data = spot_scenario({"interruptionRate": 0, "instanceTypes": {"c5.large": {"priceSeries": [
        {"at": 0, "price": 0.036}, {"at": "500s", "price": 0.072},
    ]}}})  # fmt: skip
    result = run(data)
    # Instance 0 → 825 (job ends 725, idle 100 s): 500 s at 0.036 and 325 s at 0.072.
    assert result.summary["total_cost_usd"] == pytest.approx((500 * 0.036 + 325 * 0.072) / 3600)


def mixed_queue(spot_max: int = 2, shortage: list | None = None) -> dict:
    data = spot_scenario({"interruptionRate": 0})
    spot_ce = data["computeEnvironments"][0]
    spot_ce["computeEnvironmentName"] = "spot"
    spot_ce["computeResources"]["maxvCpus"] = spot_max
    if shortage is not None:
        spot_ce["simulation"]["capacityShortages"] = shortage
    on_demand = base_scenario()["computeEnvironments"][0]
    data["computeEnvironments"].append(on_demand)
    data["jobQueues"][0]["computeEnvironmentOrder"] = [
        {"order": 1, "computeEnvironment": "spot"},
        {"order": 2, "computeEnvironment": "od"},
    ]
    data["workload"][0]["count"] = 3
    return data


def test_jobs_spill_over_to_the_on_demand_ce_when_spot_is_at_its_maximum():
    result = run(mixed_queue(spot_max=2))
    placed = result.jobs.set_index("jobId")["computeEnvironment"].to_dict()
    assert placed == {"a-1": "spot", "a-2": "od", "a-3": "od"}
    assert result.summary["cost_by_lifecycle_usd"].keys() == {"spot", "on-demand"}


def test_jobs_spill_over_when_spot_capacity_is_short():
    result = run(mixed_queue(spot_max=16, shortage=[{"start": 0, "end": "1h"}]))
    assert set(result.jobs["computeEnvironment"]) == {"od"}


def test_a_capacity_shortage_leaves_jobs_runnable_with_aws_reason_until_it_ends():
    data = spot_scenario({"interruptionRate": 0})
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [
        {"start": 0, "end": "1000s"}
    ]
    waiting = run({**data, "simulation": {"stopAt": "500s"}})
    row = job(waiting, "a-1")
    assert row["status"] == "RUNNABLE"
    assert row["statusReason"] == (
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested "
        "for instance type [c5.large]"
    )
    done = job(run(data), "a-1")
    assert (done["startingAt"], done["status"]) == (1100, "SUCCEEDED")


def test_bucket_rates_follow_design():
    # DESIGN §4: p = bucket midpoint per month → λ = −ln(1 − p) / 720 h.
    assert bucket_rate_per_s(0) == pytest.approx(-math.log(0.975) / (720 * 3600))
    assert bucket_rate_per_s(4) == pytest.approx(-math.log(0.75) / (720 * 3600))
    assert bucket_rate_per_s(None) == bucket_rate_per_s(4)


def test_a_pending_reclaim_does_not_stretch_a_finished_run():
    result = run(spot_scenario({"meanTimeToInterruption": "1000d"}))
    assert result.summary["end_of_run_s"] == 825  # job ends 725, scale-in 100 s later


def test_the_notice_is_an_eventbridge_spot_warning_in_time_order(tmp_path):
    data = spot_scenario({"lifetime": "1000s"}, runtime="1200s")
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    run(data).write(tmp_path)
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    warnings = [e for e in events if e["detail-type"] == "EC2 Spot Instance Interruption Warning"]
    assert [w["detail"] for w in warnings] == [
        {"instance-id": "i-00000000000000001", "instance-action": "terminate"},
        {"instance-id": "i-00000000000000002", "instance-action": "terminate"},
    ]
    assert (
        warnings[0]["source"] == "aws.ec2" and warnings[0]["time"] == "2026-01-01T00:14:40Z"
    )  # 880 s
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)


@pytest.mark.parametrize(("kind", "instances"), [("EC2", 1), ("SPOT", 2)])
def test_best_fit_exceeds_max_vcpus_by_one_instance_on_spot_only(kind, instances):
    data = spot_scenario({"interruptionRate": 0})
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(type=kind, allocationStrategy="BEST_FIT", maxvCpus=3)
    if kind == "EC2":
        del data["computeEnvironments"][0]["simulation"]["spot"]
    data["workload"][0]["count"] = 2
    assert len(run(data).instances) == instances  # 2-vCPU c5.large: 2 + 2 > 3 only on Spot


# --------------------------------------------------------------------------- edge cases (review)
def test_a_reclaimed_attempt_does_not_keep_the_run_going():
    result = run(spot_scenario({"lifetime": "1000s"}, runtime="10h"))
    assert job(result, "a-1")["status"] == "FAILED"
    assert result.summary["end_of_run_s"] == 1000  # not the 10 h the lost attempt would have run


def test_the_floor_is_refilled_only_when_capacity_returns():
    data = spot_scenario({"lifetime": "1000s"}, runtime="10s")
    data["computeEnvironments"][0]["computeResources"]["minvCpus"] = 2
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [
        {"start": "900s", "end": "5000s"}
    ]
    data["workload"][0]["at"] = "6000s"
    launched = run(data).instances["launchedAt"].tolist()
    assert launched[:2] == [0, 5000]  # the floor reclaimed at 1000 comes back when the window ends


def test_a_wake_up_for_capacity_does_not_stretch_a_finished_run():
    data = spot_scenario({"interruptionRate": 0})
    data["computeEnvironments"][0]["computeResources"]["instanceTypes"] = ["c5.large", "c5.xlarge"]
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [
        {"instanceTypes": ["c5.large"], "start": 0, "end": "10000s"}
    ]
    result = run(data)
    assert result.instances["instanceType"].tolist() == ["c5.xlarge"]
    assert result.summary["end_of_run_s"] == 825  # job ends 725, idle 100 s


def test_the_capacity_reason_goes_when_capacity_returns():
    data = spot_scenario({"interruptionRate": 0})
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 2
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [
        {"start": 0, "end": "300s"}
    ]
    data["workload"][0]["count"] = 2
    result = run({**data, "simulation": {"stopAt": "1000s"}})
    first, second = job(result, "a-1"), job(result, "a-2")
    assert (first["status"], second["status"]) == ("RUNNING", "RUNNABLE")
    assert pd_na(first["statusReason"]) and pd_na(second["statusReason"])  # waits for room only


def test_a_zero_lifetime_cannot_hang_the_run():
    data = spot_scenario({"lifetime": "0s"})
    data["computeEnvironments"][0]["computeResources"]["minvCpus"] = 2
    data["computeEnvironments"][0]["simulation"]["bootTime"] = 0
    data["jobDefinitions"][0]["simulation"].update(startTime=0, imagePullTime=0)
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 3}
    result = run(data)  # no stopAt: the run must end by itself
    # Lifetimes count as at least 1 s: the job fails after three 1-second attempts, and the
    # refilled floor does not keep the finished run going.
    assert job(result, "a-1")["status"] == "FAILED"
    assert result.attempts["stoppedAt"].tolist() == [1, 2, 3]
    assert result.summary["end_of_run_s"] == 3


def test_a_notice_checkpoint_is_counted_once():
    # Attempt 1 saves 175 s by its notice checkpoint; attempt 2 is reclaimed while STARTING (the
    # price passes the cap); attempt 3 (on-demand) must do the 825 s left, not 650.
    data = mixed_queue(spot_max=16)
    data["workload"][0]["count"] = 1
    spot = data["computeEnvironments"][0]["simulation"]
    spot["spot"] = {"lifetime": "600s", "instanceTypes": {"c5.large": {"priceSeries": [
        {"at": 0, "price": 0.03}, {"at": "650s", "price": 1.0},
    ]}}}  # fmt: skip
    definition = data["jobDefinitions"][0]
    definition["simulation"].update(
        runtime="1000s", imagePullTime="200s", checkpoint={"interval": "100s", "onNotice": True}
    )
    definition["retryStrategy"] = {"attempts": 5}
    attempts = run(data).attempts.to_dict("records")
    last = attempts[-1]
    assert last["outcome"] == "succeeded" and last["computeEnvironment"] == "od"
    assert last["stoppedAt"] - last["startedAt"] == pytest.approx(825)

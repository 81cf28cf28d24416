"""Fair-share job queues (scheduling policies), hand-computed, and the proportion property.

Micro scenarios run on an UNMANAGED compute environment (fixed instances, ready at t=0) with
1-vCPU jobs of 100 s and no start or pull time, so every start is computable by hand from the
rule in engine/fair_share.py: usage = weightFactor × (vCPUs running + their decayed average).
"""

from __future__ import annotations

import pytest
import yaml
from conftest import base_scenario, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import batchsim
from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario


def fair_scenario(
    instance: str = "c5.large",
    policy: dict | None = None,
    runtime: str = "100s",
    count: int = 1,
) -> dict:
    """One fair-share queue on ``count`` fixed ``instance``s; 1-vCPU jobs of ``runtime``."""
    data = base_scenario()
    data["computeEnvironments"] = [
        {
            "computeEnvironmentName": "fixed",
            "type": "UNMANAGED",
            "simulation": {"instances": [{"instanceType": instance, "count": count}]},
        }
    ]
    data["jobQueues"][0]["computeEnvironmentOrder"] = [{"order": 1, "computeEnvironment": "fixed"}]
    data["jobQueues"][0]["schedulingPolicyArn"] = (
        "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair"
    )
    data["schedulingPolicies"] = [{"name": "fair", "fairsharePolicy": policy or {}}]
    definition = data["jobDefinitions"][0]
    definition["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "1024"},
    ]
    definition["simulation"] = {"runtime": runtime, "startTime": "0s", "imagePullTime": "0s"}
    data["workload"] = []
    return data


def submit(data: dict, name: str, share: str, count: int, at: str = "0s", **extra) -> None:
    """Append a workload entry of ``count`` jobs of ``share`` submitted at ``at``."""
    request = {
        "jobName": name,
        "jobQueue": "q",
        "jobDefinition": "work",
        "shareIdentifier": share,
        **extra,
    }
    data["workload"].append({"name": name, "at": at, "count": count, "submit": request})


def starts(result, entry: str) -> list[float]:
    """Return the start times of ``entry``'s jobs, in order."""
    jobs = result.jobs[result.jobs["workload"] == entry]
    return sorted(jobs["startingAt"].tolist())


def test_two_equal_shares_take_turns_where_fifo_runs_the_first_submitter_first():
    data = fair_scenario()
    submit(data, "a", "A", 4)
    submit(data, "b", "B", 4)
    result = run(data)
    # One c5.large (2 vCPUs): each pass gives one slot to A (earliest queued on a usage tie),
    # then one to B, whose usage is lower after A's placement.
    assert starts(result, "a") == [0, 100, 200, 300]
    assert starts(result, "b") == [0, 100, 200, 300]
    fifo = fair_scenario()
    del fifo["jobQueues"][0]["schedulingPolicyArn"]
    submit(fifo, "a", "A", 4)
    submit(fifo, "b", "B", 4)
    for entry in fifo["workload"]:
        del entry["submit"]["shareIdentifier"]
    result = run(fifo)
    assert starts(result, "a") == [0, 0, 100, 100]
    assert starts(result, "b") == [200, 200, 300, 300]


def test_a_lower_weight_gets_proportionally_more_slots():
    policy = {"shareDistribution": [{"shareIdentifier": "A", "weightFactor": 0.5}]}
    data = fair_scenario("c5.xlarge", policy)  # 4 vCPUs
    submit(data, "a", "A", 6)
    submit(data, "b", "B", 2)
    result = run(data)
    # t=0: A (0 ties 0, earlier) → A 0.5; B 0 → B 1; A 0.5 → A 1; tie 1-1 → A (earlier): 3 to 1.
    assert starts(result, "a") == [0, 0, 0, 100, 100, 100]
    assert starts(result, "b") == [0, 100]


def test_higher_scheduling_priority_runs_first_within_a_share():
    data = fair_scenario()
    submit(data, "low", "A", 4)
    submit(data, "high", "A", 1, at="10s", schedulingPriorityOverride=10)
    result = run(data)
    # Two lows start at 0; at 100 the high-priority job, submitted later, goes first; the
    # other slot takes low #3 and low #4 waits (FIFO order would start lows #3 and #4 at 100).
    assert starts(result, "high") == [100]
    assert starts(result, "low") == [0, 0, 100, 200]


def test_decayed_history_lets_a_new_share_catch_up():
    data = fair_scenario(runtime="1000s")
    submit(data, "a", "A", 4)
    submit(data, "b", "B", 2, at="10s")
    result = run(data)
    # At 1000 A has run 2 vCPUs for 1000 s (average 2·(1 − e^(−1000/600)) ≈ 1.62) and B none:
    # both free slots go to B, though A's jobs were queued first.
    assert starts(result, "b") == [1000, 1000]
    assert starts(result, "a") == [0, 0, 2000, 2000]


def test_compute_reservation_keeps_room_for_shares_not_yet_active():
    data = fair_scenario("c5.xlarge", {"computeReservation": 50})  # 4 vCPUs
    data["computeEnvironments"][0]["unmanagedvCpus"] = 4  # AWS reserves none without it
    submit(data, "a", "A", 4)
    submit(data, "b", "B", 2, at="150s")
    result = run(data)
    # One active share: 0.5^1 of 4 vCPUs is reserved, so A runs 2 at a time. At 150 B is
    # active: 0.5^2 reserved, 3 usable, 2 in use → one B job. At 200 A is done: 2 usable again.
    assert starts(result, "a") == [0, 0, 100, 100]
    assert starts(result, "b") == [150, 200]


def test_a_prefix_share_splits_its_weight_among_its_identifiers():
    policy = {"shareDistribution": [{"shareIdentifier": "team*", "weightFactor": 0.5}]}
    data = fair_scenario("c5.4xlarge", policy)  # 16 vCPUs
    for name in ("teamx", "teamy", "other"):
        submit(data, name, name, 8)
    result = run(data)
    # Two active identifiers under team*: each weighs 0.5 × 2 = 1, as much as "other", so the
    # 16 slots go round-robin x, y, other (x first on ties): 6, 5, 5. Were each weighed 0.5,
    # x and y would get twice other's slots (7, 6, 3).
    at_zero = {name: starts(result, name).count(0) for name in ("teamx", "teamy", "other")}
    assert at_zero == {"teamx": 6, "teamy": 5, "other": 5}


def test_loader_checks_fair_share_rules():
    data = fair_scenario()
    submit(data, "a", "A", 1)
    data["workload"][0]["submit"].pop("shareIdentifier")
    data["jobQueues"].append(
        {
            "jobQueueName": "fifo",
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "fixed"}],
        }
    )
    data["workload"].append(
        {
            "name": "f",
            "submit": {
                "jobName": "f",
                "jobQueue": "fifo",
                "jobDefinition": "work",
                "shareIdentifier": "A",
            },
        }
    )
    data["jobQueues"].append(
        {
            "jobQueueName": "q2",
            "schedulingPolicyArn": "fiar",
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "fixed"}],
        }
    )
    data["schedulingPolicies"][0]["fairsharePolicy"] = {
        "shareDistribution": [{"shareIdentifier": "ab*"}, {"shareIdentifier": "abc"}]
    }
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    problems = {p.path: p.message for p in caught.value.problems}
    assert "fair-share scheduling policy: give a shareIdentifier" in problems["workload[0].submit"]
    assert "is FIFO" in problems["workload[1].submit.shareIdentifier"]
    assert (
        problems["jobQueues[2].schedulingPolicyArn"]
        == "unknown scheduling policy 'fiar'; did you mean 'fair'?"
    )
    path = "schedulingPolicies[0].fairsharePolicy.shareDistribution[1].shareIdentifier"
    assert problems[path] == "'abc' overlaps 'ab*'; shareDistribution entries may not overlap"


def saturated(weight_a: float, weight_b: float, decay: int) -> tuple[float, float]:
    """Run two backlogged shares on 64 vCPUs; return each one's vCPU-seconds while both wait."""
    policy = {
        "shareDecaySeconds": decay,
        "shareDistribution": [
            {"shareIdentifier": "A", "weightFactor": weight_a},
            {"shareIdentifier": "B", "weightFactor": weight_b},
        ],
    }
    data = fair_scenario("m5.4xlarge", policy, runtime="60s", count=4)  # 4 × 16 vCPUs
    data["jobDefinitions"][0]["simulation"]["runtime"] = {"exponential": {"mean": "10m"}}
    submit(data, "a", "A", 3000)
    submit(data, "b", "B", 3000)
    result = run(data, seed=7)
    jobs = result.jobs
    # Both shares are backlogged until the first of them has started its last job.
    until = min(jobs[jobs["workload"] == e]["startingAt"].max() for e in ("a", "b"))
    used = []
    for entry in ("a", "b"):
        rows = jobs[jobs["workload"] == entry]
        start, stop = rows["startingAt"].clip(upper=until), rows["stoppedAt"].clip(upper=until)
        used.append(float((stop - start).sum()))
    return used[0], used[1]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    weight_a=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
    weight_b=st.sampled_from([0.25, 1.0, 3.0]),
    decay=st.sampled_from([0, 3600]),
)
def test_under_saturation_vcpu_time_follows_inverse_weights(weight_a, weight_b, decay):
    used_a, used_b = saturated(weight_a, weight_b, decay)
    # Stated tolerance: within 5 % of weight_b / weight_a (64 slots, 10-minute jobs).
    assert used_a / used_b == pytest.approx(weight_b / weight_a, rel=0.05)


def test_a_job_the_reservation_holds_back_neither_keeps_instances_nor_the_run_alive():
    data = fair_scenario("c5.4xlarge", {"computeReservation": 50})  # 16 vCPUs, 8 usable alone
    data["computeEnvironments"] = base_scenario()["computeEnvironments"]
    data["computeEnvironments"][0]["computeResources"].update(
        instanceTypes=["c5.4xlarge"], maxvCpus=16
    )
    data["jobQueues"][0]["computeEnvironmentOrder"] = [{"order": 1, "computeEnvironment": "od"}]
    data["jobDefinitions"].append(
        {
            "jobDefinitionName": "big",
            "containerProperties": {
                "resourceRequirements": [
                    {"type": "VCPU", "value": "10"},
                    {"type": "MEMORY", "value": "2048"},
                ]
            },
            "simulation": {"runtime": "100s", "startTime": "0s", "imagePullTime": "0s"},
        }
    )
    submit(data, "small", "A", 1)
    submit(data, "big", "A", 1, jobDefinition="big")
    result = run(data)
    # big needs 10 vCPUs of the 8 the reservation leaves while A is the only active share: it
    # waits, but the instance scales in after small (ready 100, done 200, +300 s idle).
    assert result.jobs.set_index("jobId")["status"].to_dict() == {
        "small-1": "SUCCEEDED",
        "big-1": "RUNNABLE",
    }
    assert result.instances["terminatedAt"].tolist() == [500]


def test_loader_explains_share_identifiers_and_does_not_blame_a_broken_policy_twice():
    data = fair_scenario()
    submit(data, "a", "team-a", 1)
    data["schedulingPolicies"][0]["fairsharePolicy"] = {"computeReservation": 100}
    problems = problems_of_data(data)
    assert problems["workload[0].submit.shareIdentifier"] == (
        "a share identifier is letters and digits only, got 'team-a'"
    )
    assert "schedulingPolicies[0].fairsharePolicy.computeReservation" in problems
    assert "jobQueues[0].schedulingPolicyArn" not in problems  # the policy exists, though broken


def problems_of_data(data: dict) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    return {p.path: p.message for p in caught.value.problems}


STARVE = """
name: starve
computeEnvironments:
- computeEnvironmentName: od
  computeResources: {type: EC2, allocationStrategy: BEST_FIT_PROGRESSIVE, maxvCpus: 16, instanceTypes: [c5.xlarge, m5.xlarge]}
  simulation: {bootTime: 100s, scaleDownDelay: 300s, capacityShortages: [{start: 0, instanceTypes: [m5.xlarge]}]}
schedulingPolicies: [{name: fair}]
jobQueues: [{jobQueueName: q, schedulingPolicyArn: fair, computeEnvironmentOrder: [{order: 1, computeEnvironment: od}]}]
jobDefinitions:
- {jobDefinitionName: big, containerProperties: {resourceRequirements: [{type: VCPU, value: '4'}, {type: MEMORY, value: '12000'}]}, simulation: {runtime: 600s}}
- {jobDefinitionName: small, containerProperties: {resourceRequirements: [{type: VCPU, value: '4'}, {type: MEMORY, value: '2048'}]}, simulation: {runtime: 600s}}
workload:
- {name: b, count: 4, submit: {jobName: b, jobQueue: q, jobDefinition: big, shareIdentifier: B}}
- {name: a, submit: {jobName: a, jobQueue: q, jobDefinition: small, shareIdentifier: A}}
"""


def test_a_share_that_cannot_launch_does_not_use_up_another_shares_room():
    result = batchsim.simulate(parse_scenario(STARVE))
    status = result.jobs.set_index("jobId")["status"].to_dict()
    # B's 12-GiB jobs need m5.xlarge, which EC2 never has; A's job launches a c5.xlarge.
    assert (
        status["a-1"] == "SUCCEEDED"
        and result.jobs.set_index("jobId").loc["a-1", "startingAt"] == 100
    )
    assert {status[f"b-{i}"] for i in range(1, 5)} == {"RUNNABLE"}

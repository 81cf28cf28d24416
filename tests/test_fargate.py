"""FARGATE and FARGATE_SPOT compute environments, hand-computed.

One task per job, sized to the job: provisioning 5 s (default), image pull 20 s and container
start 5 s on every task (no cache), billed per vCPU-hour and GB-hour from the end of
provisioning, per second with a one-minute minimum. us-east-1 x86_64: $0.04048 per vCPU-hour and
$0.004445 per GB-hour on FARGATE.
"""

from __future__ import annotations

import pytest
from conftest import job, run

from batchsim.catalog.fargate import load_fargate_rates

ON_DEMAND = load_fargate_rates()[("FARGATE", "x86_64")]
SPOT = load_fargate_rates()[("FARGATE_SPOT", "x86_64")]


def fargate_scenario(
    kind: str = "FARGATE",
    max_vcpus: float = 4,
    vcpus: str = "1",
    memory: str = "2048",
    count: int = 3,
) -> dict:
    """Jobs of ``vcpus``/``memory`` on one Fargate CE; 600 s of work each."""
    return {
        "name": "fargate",
        "computeEnvironments": [
            {
                "computeEnvironmentName": "fg",
                "computeResources": {"type": kind, "maxvCpus": max_vcpus},
            }
        ],
        "jobQueues": [
            {
                "jobQueueName": "q",
                "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "fg"}],
            }
        ],
        "jobDefinitions": [
            {
                "jobDefinitionName": "work",
                "platformCapabilities": ["FARGATE"],
                "containerProperties": {
                    "resourceRequirements": [
                        {"type": "VCPU", "value": vcpus},
                        {"type": "MEMORY", "value": memory},
                    ]
                },
                "simulation": {"runtime": "600s", "startTime": "5s", "imagePullTime": "20s"},
            }
        ],
        "workload": [
            {
                "name": "a",
                "count": count,
                "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"},
            }
        ],
    }


def per_hour(rates, vcpus: float, memory_mib: float) -> float:
    return vcpus * rates.usd_per_vcpu_hour + memory_mib / 1024 * rates.usd_per_gb_hour


def test_each_job_runs_in_its_own_task_billed_from_provisioned_to_stopped():
    result = run(fargate_scenario())
    assert result.attempts["startingAt"].tolist() == [5, 5, 5]
    assert result.attempts["startedAt"].tolist() == [
        30,
        30,
        30,
    ]  # pull 20 s + start 5 s, every task
    assert result.attempts["stoppedAt"].tolist() == [630, 630, 630]
    tasks = result.instances
    assert tasks["instanceId"].tolist() == [f"task-{n:017x}" for n in (1, 2, 3)]
    assert set(tasks["lifecycle"]) == {"fargate"} and set(tasks["endReason"]) == {"task_stopped"}
    assert tasks["terminatedAt"].tolist() == [630, 630, 630]
    assert result.summary["total_cost_usd"] == pytest.approx(
        3 * 625 * per_hour(ON_DEMAND, 1, 2048) / 3600
    )
    assert result.summary["end_of_run_s"] == 630  # no idle tail: tasks stop with their jobs


def test_max_vcpus_caps_the_tasks_alive_at_once():
    result = run(fargate_scenario(max_vcpus=2))
    third = job(result, "a-3")
    # Two tasks fit under 2 vCPUs; the third is provisioned when the first stops at 630.
    assert (third["startingAt"], third["startedAt"], third["stoppedAt"]) == (635, 660, 1260)


def test_fractional_vcpus_and_the_one_minute_minimum():
    data = fargate_scenario(vcpus="0.25", memory="512", count=1)
    data["jobDefinitions"][0]["simulation"]["runtime"] = "10s"
    result = run(data)
    assert result.jobs["vcpus"].tolist() == [0.25]
    # Ran 5 → 40 (35 s), billed the 60 s minimum.
    assert result.summary["total_cost_usd"] == pytest.approx(
        60 * per_hour(ON_DEMAND, 0.25, 512) / 3600
    )


def test_fargate_spot_reclaims_fail_the_job_with_aws_reason_and_are_retried():
    data = fargate_scenario(kind="FARGATE_SPOT", count=1)
    data["computeEnvironments"][0]["simulation"] = {"spot": {"lifetime": "300s"}}
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 3}
    result = run(data)
    first, second, third = result.attempts.to_dict("records")
    # Each task lives 300 s from its launch: 0 → 300, 300 → 600, ... a 600 s job never finishes.
    assert (first["stoppedAt"], first["outcome"]) == (300, "spot_interrupted")
    assert first["statusReason"] == "Your Spot Task was interrupted."
    assert (second["startingAt"], second["stoppedAt"]) == (305, 600)
    row = job(result, "a-1")
    assert row["status"] == "FAILED" and row["statusReason"] == "Your Spot Task was interrupted."
    # Interrupted Fargate Spot tasks are billed for the time they ran (295 s each).
    assert result.summary["total_cost_usd"] == pytest.approx(
        3 * 295 * per_hour(SPOT, 1, 2048) / 3600
    )
    assert result.summary["interruptions"] == 3
    assert set(result.instances["lifecycle"]) == {"fargate-spot"}


def test_a_task_runs_only_the_job_it_was_started_for():
    data = fargate_scenario(max_vcpus=8, count=1)
    data["jobQueues"].append(
        {
            "jobQueueName": "hi",
            "priority": 10,
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "fg"}],
        }
    )
    small = {"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}
    data["workload"].append({
        "name": "small", "at": "2s", "count": 2,
        "submit": {"jobName": "s", "jobQueue": "hi", "jobDefinition": "work",
                   "containerOverrides": {"resourceRequirements": list(small)}},
    })  # fmt: skip
    result = run(data)
    assert result.attempts["instanceId"].is_unique and len(result.instances) == 3
    assert (result.jobs["status"] == "SUCCEEDED").all()

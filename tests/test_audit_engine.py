"""Issue 10's engine audit items: strict FIFO ends, head-of-line blocking, the scale-down delay of
fresh instances, DISABLED compute environments, CancelJob on PENDING jobs. Every expected time
and dollar is worked out by hand in the test's docstring or comments."""

from __future__ import annotations

import pytest
from conftest import base_scenario, job, run

C5_LARGE = 0.085  # $/h, on-demand us-east-1 (the packaged catalog)
C5_4XLARGE = 0.68


def _definition(name: str, vcpus: int, mib: int, runtime: str) -> dict:
    """A job definition with image img:1, pull 20 s, start 5 s and the given shape."""
    requirements = [{"type": "VCPU", "value": str(vcpus)}, {"type": "MEMORY", "value": str(mib)}]
    return {
        "jobDefinitionName": name,
        "containerProperties": {"image": "img:1", "resourceRequirements": requirements},
        "simulation": {"runtime": runtime, "startTime": "5s", "imagePullTime": "20s"},
    }


def runaway_scenario(backfill: bool = False) -> dict:
    """The issue's strict-FIFO scenario: BEST_FIT on [c5.large, c5.4xlarge], maxvCpus 16; a
    2-vCPU 1 h job at 0, a 16-vCPU 10 min job at 100 s, a 1-vCPU 10 min job at 110 s. Boot
    90 s, scale-in after 300 s idle; a stopAt of 30 days that the run must never reach."""
    data = base_scenario(simulation={"stopAt": "30d"})
    ce = data["computeEnvironments"][0]
    ce["computeResources"].update(
        allocationStrategy="BEST_FIT", instanceTypes=["c5.large", "c5.4xlarge"]
    )
    ce["simulation"]["bootTime"] = "90s"
    data["jobQueues"][0]["simulation"] = {"backfill": backfill}
    data["jobDefinitions"] = [
        _definition("small", 2, 2048, "1h"),
        _definition("big", 16, 2048, "10m"),
        _definition("tiny", 1, 1024, "10m"),
    ]
    data["workload"] = [
        {"name": "a", "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "small"}},
        {
            "name": "b",
            "at": "100s",
            "submit": {"jobName": "b", "jobQueue": "q", "jobDefinition": "big"},
        },
        {
            "name": "c",
            "at": "110s",
            "submit": {"jobName": "c", "jobQueue": "q", "jobDefinition": "tiny"},
        },
    ]
    return data


def _times(result, job_id: str) -> tuple[float, float, float]:
    row = job(result, job_id)
    return row["startingAt"], row["startedAt"], row["stoppedAt"]


def test_strict_fifo_replaces_the_idle_small_instance_and_the_run_ends():
    """a: c5.large launched at 0, ready 90, RUNNING 115 (pull 20 + start 5), ends 3715. b (16
    vCPUs) cannot launch a c5.4xlarge beside the c5.large under maxvCpus 16 (BEST_FIT on-demand
    never overshoots), so it waits at the head; c waits behind it and asks for nothing. The
    c5.large idles from 3715 and scales in at 4015 (nothing ahead of b wants it); the c5.4xlarge
    launched then is ready at 4105: b runs 4130-4730, then c (image cached) 4735-5335, and the
    c5.4xlarge scales in at 5635. Two instances, not one idle c5.large every 90 s."""
    result = run(runaway_scenario())
    assert _times(result, "a-1") == (90, 115, 3715)
    assert _times(result, "b-1") == (4105, 4130, 4730)
    assert _times(result, "c-1") == (4730, 4735, 5335)
    instances = result.instances
    assert list(instances["instanceType"]) == ["c5.large", "c5.4xlarge"]
    assert list(instances["launchedAt"]) == [0, 4015]
    assert list(instances["terminatedAt"]) == [4015, 5635]
    assert list(instances["endReason"]) == ["scale_in", "scale_in"]
    assert result.summary["end_of_run_s"] == 5635
    expected = C5_LARGE * 4015 / 3600 + C5_4XLARGE * 1620 / 3600
    assert result.summary["total_cost_usd"] == pytest.approx(expected)


def test_with_backfill_the_small_job_runs_at_once_and_the_big_one_after_both_scale_in():
    """Backfill on (default): c gets its own c5.large (launched 110, ready 200, RUNNING 225,
    ends 825, scales in 1125); a's c5.large scales in at 4015 and b runs as above."""
    result = run(runaway_scenario(backfill=True))
    assert _times(result, "c-1") == (200, 225, 825)
    assert _times(result, "b-1") == (4105, 4130, 4730)
    assert list(result.instances["terminatedAt"]) == [4015, 1125, 5030]  # by launch time


def test_strict_fifo_behind_a_capacity_shortage_launches_nothing_for_the_jobs_behind():
    """maxvCpus 64, EC2 refuses c5.4xlarge until 2 h. b waits at the head with
    CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY; c behind it gets no instance, and a's c5.large
    scales in at 4015 (b does not fit it). At 7200 s the shortage ends: the pass launches a
    c5.4xlarge for b and, b being taken on, a c5.large for c (17 vCPUs do not fit one
    c5.4xlarge). Both are ready at 7290: b and c run 7315-7915."""
    data = runaway_scenario()
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 64
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [
        {"instanceTypes": ["c5.4xlarge"], "start": "0s", "end": "2h"}
    ]
    result = run(data)
    assert _times(result, "a-1") == (90, 115, 3715)
    assert _times(result, "b-1") == (7290, 7315, 7915)
    assert _times(result, "c-1") == (7290, 7315, 7915)
    launched = list(
        zip(result.instances["instanceType"], result.instances["launchedAt"], strict=True)
    )
    assert launched == [("c5.large", 0), ("c5.4xlarge", 7200), ("c5.large", 7200)]
    assert list(result.instances["terminatedAt"]) == [4015, 8215, 8215]


def test_strict_fifo_on_a_fair_share_queue_ends_like_the_fifo_one():
    data = runaway_scenario()
    data["schedulingPolicies"] = [
        {"name": "fs", "fairsharePolicy": {"shareDistribution": [{"shareIdentifier": "x"}]}}
    ]
    data["jobQueues"][0]["schedulingPolicyArn"] = "fs"
    for entry in data["workload"]:
        entry["submit"]["shareIdentifier"] = "x"
    result = run(data)
    assert _times(result, "b-1") == (4105, 4130, 4730)
    assert _times(result, "c-1") == (4730, 4735, 5335)
    assert len(result.instances) == 2


def _misconfigured_head(backfill: bool, limit: bool) -> dict:
    """A 128-vCPU job at 0 (no c5.large holds it: JOB_RESOURCE_REQUIREMENT), then a 2-vCPU
    600 s job at 10 s; optionally a 600 s time limit on that reason."""
    data = base_scenario()
    data["jobQueues"][0]["simulation"] = {"backfill": backfill}
    if limit:
        data["jobQueues"][0]["jobStateTimeLimitActions"] = [
            {"reason": "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", "maxTimeSeconds": 600}
        ]
    huge = {
        "resourceRequirements": [
            {"type": "VCPU", "value": "128"},
            {"type": "MEMORY", "value": "2048"},
        ]
    }
    data["workload"] = [
        {
            "name": "huge",
            "submit": {
                "jobName": "huge",
                "jobQueue": "q",
                "jobDefinition": "work",
                "containerOverrides": huge,
            },
        },
        {
            "name": "a",
            "at": "10s",
            "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"},
        },
    ]
    return data


def test_a_misconfigured_head_blocks_a_strict_fifo_queue_and_nothing_is_launched():
    result = run(_misconfigured_head(backfill=False, limit=False))
    assert job(result, "huge-1")["status"] == "RUNNABLE"
    assert job(result, "huge-1")["statusReason"].startswith(
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"
    )
    assert job(result, "a-1")["status"] == "RUNNABLE"
    assert len(result.instances) == 0
    assert result.summary["total_cost_usd"] == 0


def test_the_time_limit_cancels_the_misconfigured_head_and_the_next_job_runs():
    """Canceled at 600 s; a then launches a c5.large (ready 700), RUNNING 725, ends 1325."""
    result = run(_misconfigured_head(backfill=False, limit=True))
    huge = job(result, "huge-1")
    assert (huge["status"], huge["stoppedAt"]) == ("FAILED", 600)
    assert _times(result, "a-1") == (700, 725, 1325)


def test_with_backfill_a_misconfigured_head_does_not_hold_the_queue():
    """Today's behaviour, kept: a job that can never run is passed over (launched 10, ready 110)."""
    result = run(_misconfigured_head(backfill=True, limit=False))
    assert job(result, "huge-1")["status"] == "RUNNABLE"
    assert _times(result, "a-1") == (110, 135, 735)


def _one_job_one_idle_instance(scale_down_delay: str | None = None) -> dict:
    """Two 2-vCPU jobs at 0 under minScaleDownDelayMinutes 20; b is canceled at 50, so one of
    the two c5.large launched for them never runs a job."""
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["scalingPolicy"] = {
        "minScaleDownDelayMinutes": 20
    }
    if scale_down_delay is not None:
        data["computeEnvironments"][0]["simulation"]["scaleDownDelay"] = scale_down_delay
    submit = {"jobQueue": "q", "jobDefinition": "work"}
    data["workload"] = [
        {"name": "a", "submit": {**submit, "jobName": "a"}},
        {"name": "b", "submit": {**submit, "jobName": "b"}},
    ]
    data["actions"] = [{"at": "50s", "CancelJob": {"jobId": "b", "reason": "not needed"}}]
    return data


def test_min_scale_down_delay_does_not_keep_an_instance_that_never_ran_a_job():
    """Two 2-vCPU jobs at 0 launch two c5.large (ready 100); b is canceled at 50, so the second
    instance never runs a job and scales in after scaleDownDelay (300 s) at 400, not after the
    20 min of minScaleDownDelayMinutes. The first runs a (RUNNING 125, ends 725) and keeps the
    policy's delay: it scales in at 725 + 1200 = 1925."""
    result = run(_one_job_one_idle_instance())
    assert _times(result, "a-1") == (100, 125, 725)
    ended = dict(zip(result.instances["instanceId"], result.instances["terminatedAt"], strict=True))
    assert ended == {"i-00000000000000001": 1925, "i-00000000000000002": 400}
    expected = C5_LARGE * (1925 + 400) / 3600
    assert result.summary["total_cost_usd"] == pytest.approx(expected)


def test_a_long_scale_down_delay_waits_on_fresh_instances_only():
    """scaleDownDelay 2 h, minScaleDownDelayMinutes 20: as above, a runs on the first c5.large
    (ends 725) and b is canceled at 50. The first scales in 20 min after a ends, at 1925 (its
    idle timer from ready time, armed for a fresh instance, must not hold it to 100 + 7200); the
    second never runs a job and keeps the fresh delay: 100 + 7200 = 7300."""
    result = run(_one_job_one_idle_instance(scale_down_delay="2h"))
    assert _times(result, "a-1") == (100, 125, 725)
    ended = dict(zip(result.instances["instanceId"], result.instances["terminatedAt"], strict=True))
    assert ended == {"i-00000000000000001": 1925, "i-00000000000000002": 7300}
    assert result.summary["total_cost_usd"] == pytest.approx(C5_LARGE * (1925 + 7300) / 3600)


@pytest.mark.parametrize("limit", [False, True])
def test_a_job_waiting_for_a_disabled_compute_environment_has_no_blocked_reason(limit):
    """The only CE is DISABLED at 10 s and ENABLED again at 1000 s; a job submitted at 20 s
    waits without a statusReason (AWS documents none for a disabled CE), so a 600 s time limit
    on COMPUTE_ENVIRONMENT_MAX_RESOURCE does not cancel it. At 1000 s a c5.large launches
    (ready 1100): RUNNING 1125, ends 1725."""
    data = base_scenario()
    data["workload"][0]["at"] = "20s"
    update = {"computeEnvironment": "od"}
    data["actions"] = [
        {"at": "10s", "UpdateComputeEnvironment": {**update, "state": "DISABLED"}},
        {"at": "1000s", "UpdateComputeEnvironment": {**update, "state": "ENABLED"}},
    ]
    if limit:
        data["jobQueues"][0]["jobStateTimeLimitActions"] = [
            {"reason": "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", "maxTimeSeconds": 600}
        ]
    result = run(data)
    assert _times(result, "a-1") == (1100, 1125, 1725)
    assert len(result.blocked) == 0


def _pending_b(cancel: str) -> dict:
    """a (600 s) at 0; b depends on a, submitted at 10 s; ``cancel`` is canceled at 100 s."""
    data = base_scenario()
    submit = {"jobQueue": "q", "jobDefinition": "work"}
    data["workload"] = [
        {"name": "a", "submit": {**submit, "jobName": "a"}},
        {
            "name": "b",
            "at": "10s",
            "submit": {**submit, "jobName": "b", "dependsOn": [{"jobId": "a"}]},
        },
    ]
    data["actions"] = [{"at": "100s", "CancelJob": {"jobId": cancel, "reason": "stop it"}}]
    return data


def test_cancel_job_on_a_pending_job_takes_effect_when_its_dependencies_complete():
    """a runs 125-725 (launched 0, ready 100); b, canceled at 100 s while PENDING, stays PENDING
    until a succeeds at 725 and then fails with the cancel's reason, without an attempt."""
    result = run(_pending_b("b"))
    assert _times(result, "a-1")[2] == 725
    b = job(result, "b-1")
    assert (b["status"], b["stoppedAt"], b["statusReason"], b["attempts"]) == (
        "FAILED",
        725,
        "stop it",
        0,
    )


def test_a_pending_job_whose_dependency_fails_fails_as_before():
    """a is canceled at 100 s while RUNNABLE (its instance is ready only at 100, after the
    action): b fails at once with Dependent Job failed."""
    data = _pending_b("a")
    result = run(data)
    b = job(result, "b-1")
    assert (b["status"], b["stoppedAt"], b["statusReason"]) == (
        "FAILED",
        100,
        "Dependent Job failed",
    )

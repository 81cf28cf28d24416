"""Exact micro-scenarios: every timestamp and dollar computed by hand (DESIGN.md §6, level 1)."""

from __future__ import annotations

import pytest
from conftest import base_scenario, job, run

C5_LARGE = 0.085  # USD per hour, us-east-1 on-demand (packaged catalog)


def test_one_job_on_empty_ce_timestamps_and_bill():
    result = run(base_scenario())
    a = job(result, "a-1")
    # launch 0 → ready 100 → pull 20 + start 5 → RUNNING 125 → 600 s of work → 725
    assert (a["createdAt"], a["runnableAt"], a["startingAt"]) == (0.0, 0.0, 100.0)
    assert (a["startedAt"], a["stoppedAt"]) == (125.0, 725.0)
    assert a["status"] == "SUCCEEDED" and a["attempts"] == 1 and a["exitCode"] == 0
    assert a["statusReason"] == "Essential container in task exited"
    (inst,) = result.instances.itertuples()
    assert (inst.launchedAt, inst.readyAt, inst.terminatedAt) == (0.0, 100.0, 1025.0)  # idle 300 s
    assert inst.endReason == "scale_in"
    assert result.summary["total_cost_usd"] == pytest.approx(C5_LARGE * 1025 / 3600, abs=1e-12)
    assert result.summary["makespan_s"] == 725.0
    assert result.summary["queue_wait_s"]["max"] == 100.0
    assert result.summary["first_start_s"] == 125.0  # boot 100 + pull 20 + start 5
    assert result.summary["instances_by_type"] == {"c5.large": 1}


def test_bill_has_sixty_second_minimum():
    data = base_scenario()
    data["computeEnvironments"][0]["simulation"] = {"bootTime": "5s", "scaleDownDelay": "10s"}
    data["jobDefinitions"][0]["simulation"] = {
        "runtime": "1s",
        "startTime": "0s",
        "imagePullTime": "0s",
    }
    result = run(data)
    (inst,) = result.instances.itertuples()
    assert inst.terminatedAt - inst.launchedAt == 16.0  # boot 5 + run 1 + idle 10
    assert result.summary["total_cost_usd"] == pytest.approx(C5_LARGE * 60 / 3600, abs=1e-12)


def test_image_is_pulled_once_per_instance():
    data = base_scenario()
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(instanceTypes=["c5.xlarge"], maxvCpus=4)  # one 4-vCPU instance: two jobs
    data["workload"] = [
        {
            "name": "a",
            "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"},
            "count": 2,
        },
        {
            "name": "late",
            "submit": {"jobName": "late", "jobQueue": "q", "jobDefinition": "work"},
            "at": "700s",
        },
    ]
    result = run(data)
    # Both first jobs share one pull: ready 100 + pull 20 + start 5.
    assert [job(result, f"a-{i}")["startedAt"] for i in (1, 2)] == [125.0, 125.0]
    # The late job lands on the same instance at 725 (when a slot frees): cached image, start 5 s only.
    late = job(result, "late-1")
    assert (late["startingAt"], late["startedAt"]) == (725.0, 730.0)
    assert len(result.instances) == 1


def test_scale_in_after_delay_keeps_minvcpus_floor():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["minvCpus"] = 2
    data["workload"][0]["count"] = 2
    result = run(data)
    inst = result.instances.sort_values("launchedAt").reset_index(drop=True)
    warm, launched = inst.iloc[0], inst.iloc[1]
    assert (warm.launchedAt, warm.readyAt) == (0.0, 0.0)  # the minvCpus floor is ready at t=0
    assert (launched.launchedAt, launched.readyAt) == (0.0, 100.0)
    first = job(result, "a-1")
    assert (first["startingAt"], first["startedAt"], first["stoppedAt"]) == (0.0, 25.0, 625.0)
    second = job(result, "a-2")
    assert (second["startingAt"], second["stoppedAt"]) == (100.0, 725.0)
    # The first instance to idle (the warm one, from 625) goes at 925; the other one is now the
    # minvCpus floor: its idle timer at 1025 keeps it, and the run ends there.
    assert (warm.terminatedAt, warm.endReason) == (925.0, "scale_in")
    assert (launched.terminatedAt, launched.endReason) == (1025.0, "end_of_run")
    assert result.summary["end_of_run_s"] == 1025.0


def test_scaling_policy_delay_wins_over_scale_down_delay():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["scalingPolicy"] = {
        "minScaleDownDelayMinutes": 20
    }
    result = run(data)
    assert result.instances.iloc[0].terminatedAt == 725.0 + 1200.0


def test_higher_priority_queue_served_first_when_capacity_frees():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(minvCpus=2, maxvCpus=2)
    data["jobQueues"].append(
        {
            "jobQueueName": "high",
            "priority": 10,
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "od"}],
        }
    )
    submit = {"jobQueue": "q", "jobDefinition": "work"}
    data["workload"] = [
        {"name": "first", "submit": {"jobName": "first", **submit}},
        {"name": "low", "submit": {"jobName": "low", **submit}, "at": "5s"},
        {"name": "high", "submit": {"jobName": "high", **submit, "jobQueue": "high"}, "at": "10s"},
    ]
    result = run(data)
    assert job(result, "first-1")["stoppedAt"] == 625.0  # warm instance: pull 20 + start 5 + 600
    assert (
        job(result, "high-1")["startingAt"] == 625.0
    )  # no preemption, but first when room appears
    assert job(result, "low-1")["startingAt"] == 1230.0  # after high: 625 + start 5 + 600
    by_entry = result.summary["queue_wait_by_workload_s"]
    assert (by_entry["first"]["max"], by_entry["high"]["max"], by_entry["low"]["max"]) == (
        0.0,
        615.0,
        1225.0,
    )


def test_job_asking_nominal_memory_stays_runnable_with_reason():
    data = base_scenario()
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "2"},
        {"type": "MEMORY", "value": "4096"},  # c5.large nominal: registers 4096×0.975−32 = 3961.6
    ]
    result = run(data)
    a = job(result, "a-1")
    assert a["status"] == "RUNNABLE"
    assert a["statusReason"].startswith("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")
    assert result.instances.empty and result.summary["makespan_s"] is None
    assert result.summary["jobs_by_status"]["RUNNABLE"] == 1


def test_job_wider_than_every_ce_max_stays_runnable_with_reason():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(maxvCpus=4, instanceTypes=["c5"])
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"][0]["value"] = "8"
    a = job(run(data), "a-1")
    assert a["status"] == "RUNNABLE"
    assert a["statusReason"].startswith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE")


def _failing(data: dict, rules: list[dict], attempts: int = 3) -> dict:
    definition = data["jobDefinitions"][0]
    definition["simulation"]["failure"] = {"probability": 1.0, "exitCode": 3}
    definition["retryStrategy"] = {"attempts": attempts, "evaluateOnExit": rules}
    return data


def test_evaluate_on_exit_exit_stops_after_first_attempt():
    result = run(_failing(base_scenario(), [{"onExitCode": "3", "action": "EXIT"}]))
    a = job(result, "a-1")
    assert (a["status"], a["attempts"], a["exitCode"], a["stoppedAt"]) == ("FAILED", 1, 3, 725.0)


def test_evaluate_on_exit_retry_uses_every_attempt_back_to_back():
    result = run(
        _failing(
            base_scenario(),
            [{"onExitCode": "3*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}],
        )
    )
    a = job(result, "a-1")
    assert (a["status"], a["attempts"]) == ("FAILED", 3)
    # Same instance, image cached: each retry is start 5 s + 600 s.
    stops = result.attempts.sort_values("attempt")["stoppedAt"].tolist()
    assert stops == [725.0, 1330.0, 1935.0]
    assert result.attempts["outcome"].tolist() == ["failed"] * 3


def test_no_matching_rule_means_retry():
    result = run(
        _failing(base_scenario(), [{"onStatusReason": "Host EC2*", "action": "EXIT"}], attempts=2)
    )
    assert job(result, "a-1")["attempts"] == 2


def test_timeout_fails_attempt_and_is_not_retried():
    data = base_scenario()
    data["jobDefinitions"][0]["timeout"] = {"attemptDurationSeconds": 60}
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 3}
    result = run(data)
    a = job(result, "a-1")
    assert (a["status"], a["attempts"], a["stoppedAt"]) == ("FAILED", 1, 185.0)  # started 125 + 60
    assert a["statusReason"] == "Job attempt duration exceeded timeout"
    assert result.attempts["outcome"].tolist() == ["timed_out"]


def test_retried_job_goes_to_front_of_queue():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(minvCpus=2, maxvCpus=2)
    data["jobDefinitions"].append(
        {
            "jobDefinitionName": "flaky",
            "containerProperties": data["jobDefinitions"][0]["containerProperties"],
            "retryStrategy": {"attempts": 2},
            "simulation": {
                "runtime": "100s",
                "startTime": "0s",
                "imagePullTime": "0s",
                "failure": {"probability": 1.0},
            },
        }
    )
    data["jobDefinitions"][0]["simulation"].update(imagePullTime="0s", startTime="0s")
    data["workload"] = [
        {
            "name": "flaky",
            "submit": {"jobName": "flaky", "jobQueue": "q", "jobDefinition": "flaky"},
        },
        {
            "name": "later",
            "submit": {"jobName": "later", "jobQueue": "q", "jobDefinition": "work"},
            "at": "1s",
        },
    ]
    result = run(data)
    assert (
        job(result, "flaky-1")["startingAt"] == 100.0
    )  # retry ahead of 'later', waiting since 1 s
    assert job(result, "later-1")["startingAt"] == 200.0


def test_array_children_and_parent_rollup():
    data = base_scenario()
    data["workload"][0]["submit"]["arrayProperties"] = {"size": 3}
    result = run(data)
    ids = sorted(result.jobs["jobId"])
    assert ids == ["a-1", "a-1:0", "a-1:1", "a-1:2"]
    parent = job(result, "a-1")
    assert (parent["status"], parent["arraySize"], parent["stoppedAt"]) == ("SUCCEEDED", 3, 725.0)
    assert result.summary["jobs_by_status"]["SUCCEEDED"] == 3  # parents are counted apart
    assert len(result.instances) == 3  # BEST_FIT_PROGRESSIVE: one c5.large per 2-vCPU child


def test_array_parent_fails_when_any_child_fails():
    data = _failing(base_scenario(), [], attempts=1)
    data["workload"][0]["submit"]["arrayProperties"] = {"size": 2}
    parent = job(run(data), "a-1")
    assert parent["status"] == "FAILED"


def test_stop_at_cuts_the_run_and_closes_open_attempts():
    data = base_scenario(simulation={"stopAt": "200s"})
    result = run(data)
    a = job(result, "a-1")
    assert a["status"] == "RUNNING"
    assert result.attempts["outcome"].tolist() == ["unfinished"]
    assert result.instances.iloc[0].terminatedAt == 200.0
    assert result.summary["total_cost_usd"] == pytest.approx(C5_LARGE * 200 / 3600)


def _array_of(data: dict, size: int) -> dict:
    data["workload"][0]["submit"]["arrayProperties"] = {"size": size}
    return data


def test_best_fit_launches_one_cheapest_type_and_never_exceeds_max():
    data = _array_of(base_scenario(), 5)  # 5 × 2 vCPU = 10 vCPUs of demand
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(allocationStrategy="BEST_FIT", maxvCpus=7, instanceTypes=["c5"])
    result = run(data)
    # cheapest single type that fits a 2-vCPU/2-GiB job is c5.large (2 vCPU); 7 // 2 = 3 instances
    assert result.instances["instanceType"].tolist() == ["c5.large"] * 3
    assert result.capacity["desiredvCpus"].max() == 6


def test_best_fit_progressive_overshoots_max_by_at_most_one_instance():
    data = _array_of(base_scenario(), 5)
    data["computeEnvironments"][0]["computeResources"].update(
        maxvCpus=7, instanceTypes=["c5.xlarge"]
    )
    result = run(data)
    # c5.xlarge holds two jobs: 4 + 4 = 8 > 7 (one instance over), then no more launches.
    assert result.instances["instanceType"].tolist() == ["c5.xlarge"] * 2
    assert result.capacity["desiredvCpus"].max() == 8
    assert job(result, "a-1:4")["startingAt"] == 725.0  # the fifth job waits for a free slot


def test_best_fit_progressive_takes_the_largest_type_the_jobs_fill():
    data = _array_of(base_scenario(), 10)  # 10 two-vCPU jobs, c5 prices are linear in vCPUs
    data["computeEnvironments"][0]["computeResources"].update(maxvCpus=64, instanceTypes=["c5"])
    result = run(data)
    # 20 vCPUs of jobs: c5.4xlarge (16 vCPU, 8 jobs), then c5.xlarge (4 vCPU, the last 2)
    assert sorted(result.instances["instanceType"]) == ["c5.4xlarge", "c5.xlarge"]


def test_custom_instance_type_is_launched_and_billed_at_its_price():
    data = base_scenario(
        customInstanceTypes=[
            {
                "instanceType": "onprem.big",
                "vcpus": 8,
                "memory": "32GiB",
                "onDemandPricePerHour": 0.36,
            }
        ]
    )
    data["computeEnvironments"][0]["computeResources"]["instanceTypes"] = ["onprem.big"]
    result = run(data)
    (inst,) = result.instances.itertuples()
    assert (inst.instanceType, inst.vcpus, inst.memory) == ("onprem.big", 8, 32768)
    assert result.summary["total_cost_usd"] == pytest.approx(0.36 * 1025 / 3600)


def test_scheduler_interval_delays_placement_to_the_next_cycle():
    data = base_scenario(simulation={"schedulerInterval": "30s"})
    data["computeEnvironments"][0]["computeResources"].update(minvCpus=2)
    data["workload"][0]["at"] = "10s"
    a = job(run(data), "a-1")
    assert (a["runnableAt"], a["startingAt"]) == (10.0, 30.0)  # next pass at t = 30 s


def test_fifo_holds_across_job_shapes():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(
        minvCpus=8, maxvCpus=8, instanceTypes=["c5.2xlarge"]
    )
    base = data["jobDefinitions"][0]
    data["jobDefinitions"] = [
        {**base, "jobDefinitionName": f"d{v}x{m}",
         "containerProperties": {"image": "img:1", "resourceRequirements": [
             {"type": "VCPU", "value": str(v)}, {"type": "MEMORY", "value": str(m)}]}}
        for v, m in ((8, 2048), (4, 2048), (4, 1024))
    ]  # fmt: skip
    submit = {"jobQueue": "q"}
    data["workload"] = [
        {"name": "blocker", "submit": {"jobName": "b", "jobDefinition": "d8x2048", **submit}},
        {
            "name": "A",
            "submit": {"jobName": "A", "jobDefinition": "d4x2048", **submit},
            "at": "10s",
        },
        {
            "name": "B",
            "submit": {"jobName": "B", "jobDefinition": "d4x1024", **submit},
            "at": "20s",
        },
        {
            "name": "C",
            "submit": {"jobName": "C", "jobDefinition": "d4x2048", **submit},
            "at": "30s",
        },
    ]
    result = run(data)
    # The blocker holds all 8 vCPUs until 625; then A and B (queue order), C only after them.
    assert job(result, "A-1")["startingAt"] == 625.0
    assert job(result, "B-1")["startingAt"] == 625.0
    assert job(result, "C-1")["startingAt"] == 1230.0


def test_overshoot_is_the_smallest_instance_that_takes_a_job():
    data = _array_of(base_scenario(), 50)
    data["computeEnvironments"][0]["computeResources"].update(maxvCpus=18, instanceTypes=["c5"])
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"][0]["value"] = "4"
    peak = run(data).capacity["desiredvCpus"].max()
    # 16 vCPUs fit the budget (c5.4xlarge); the one instance over the limit is a c5.xlarge.
    assert peak == 16 + 4


def test_stop_at_never_extends_a_run_that_went_quiet():
    data = base_scenario(simulation={"stopAt": "7d"})
    data["computeEnvironments"][0]["computeResources"]["minvCpus"] = 2
    result = run(data)
    assert result.summary["end_of_run_s"] == 925.0  # job on the warm instance ends 625, idle 300
    assert result.summary["total_cost_usd"] == pytest.approx(C5_LARGE * 925 / 3600)


@pytest.mark.parametrize(
    ("backfill", "c_times"), [(True, (2, 25, 625)), (False, (1230, 1235, 1835))]
)
def test_backfill_lets_a_later_small_job_pass_a_blocked_head(backfill, c_times):
    """One warm c5.xlarge (4 vCPUs): a (2 vCPUs) runs 0-625; b (4 vCPUs, at 1 s) must wait for it;
    c (2 vCPUs, at 2 s) fits beside a at once — unless the queue is strict FIFO."""
    data = base_scenario()
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(minvCpus=4, maxvCpus=4, instanceTypes=["c5.xlarge"])
    data["jobQueues"][0]["simulation"] = {"backfill": backfill}
    big = {
        "resourceRequirements": [
            {"type": "VCPU", "value": "4"},
            {"type": "MEMORY", "value": "4096"},
        ]
    }
    submit = {"jobQueue": "q", "jobDefinition": "work"}
    data["workload"] = [
        {"name": "a", "submit": {**submit, "jobName": "a"}},
        {"name": "b", "at": "1s", "submit": {**submit, "jobName": "b", "containerOverrides": big}},
        {"name": "c", "at": "2s", "submit": {**submit, "jobName": "c"}},
    ]
    result = run(data)
    b = job(result, "b-1")
    assert (b["startingAt"], b["startedAt"], b["stoppedAt"]) == (625, 630, 1230)
    c = job(result, "c-1")
    assert (c["startingAt"], c["startedAt"], c["stoppedAt"]) == c_times


def test_array_children_take_their_runtime_by_index():
    data = base_scenario()
    data["workload"][0]["submit"]["arrayProperties"] = {"size": 4}
    data["workload"][0]["runtimeByIndex"] = [
        {"indexes": "0-1", "runtime": "100s"},
        {"indexes": 3, "runtime": "900s"},
    ]
    result = run(data)
    # Four c5.large at once: every child RUNNING at 125; child 2 keeps the definition's 600 s.
    stopped = [job(result, f"a-1:{i}")["stoppedAt"] for i in range(4)]
    assert stopped == [225, 225, 725, 1025]


def test_a_submit_job_rate_limit_spreads_a_fan_out():
    data = base_scenario(simulation={"submitJobRate": "50/s"})
    data["workload"][0]["count"] = 100
    created = sorted(run(data).jobs["createdAt"])
    # 50 calls per second: call k is accepted at k / 50 s.
    assert created == pytest.approx([k / 50 for k in range(100)])


def test_an_unmanaged_ce_runs_on_its_fixed_instances_and_never_scales():
    data = base_scenario()
    data["computeEnvironments"][0] = {
        "computeEnvironmentName": "od",
        "type": "UNMANAGED",
        "simulation": {
            "instances": [{"instanceType": "c5.large", "count": 2}],
            "scaleDownDelay": "300s",
        },
    }
    data["workload"][0]["count"] = 3
    result = run(data)
    started = sorted(result.attempts["startedAt"])
    assert started == [20 + 5, 20 + 5, 625 + 5]  # ready at 0: pull 20 s, start 5 s; the third waits
    instances = result.instances
    assert len(instances) == 2 and set(instances["lifecycle"]) == {"unmanaged"}
    assert (instances["launchedAt"] == 0).all() and set(instances["endReason"]) == {"end_of_run"}
    end = result.summary["end_of_run_s"]
    assert end == 1230 + 300  # the last job ends at 1230; the idle check follows
    assert result.summary["total_cost_usd"] == pytest.approx(2 * 0.085 * end / 3600)


def test_first_start_counts_the_first_attempt_of_a_retried_job():
    # The only job RUNS at 125 and fails at 725; its retry runs 730 → 1330 on the same instance.
    # jobs.csv keeps the last attempt's startedAt (730); the cold-start wait is still 125 s.
    data = base_scenario()
    data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 1, "exitCode": 3}
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    result = run(data)
    assert result.attempts["startedAt"].tolist() == [125, 730]
    assert job(result, "a-1")["startedAt"] == 730
    assert result.summary["first_start_s"] == 125

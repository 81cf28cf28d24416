"""The modelled surface of issue 10, each number computed by hand: allocation sized to the
waiting demand, the ordered strategies, jobStateTimeLimitActions' TERMINATE, unmanagedvCpus and
the infrastructure updates of UpdateComputeEnvironment.

Timings of :func:`conftest.base_scenario`: boot 100 s, image pull 20 s, container start 5 s,
runtime 600 s, scale-in 300 s after the last job. A lone job launched at t ends at t + 725 and its
instance terminates at t + 1,025. Catalog prices (us-east-1 on-demand): c5.large $0.085,
c5.xlarge $0.17, c5.24xlarge $4.08, m5.large $0.096.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import base_scenario, cli, run

from batchsim.catalog import load_catalog
from batchsim.catalog.spot import advisor_price
from batchsim.engine.compute.allocation import STRATEGIES, options_for
from batchsim.errors import ScenarioError
from batchsim.results.report import summary_table
from batchsim.scenario.loader import parse_scenario
from batchsim.scenario.schema import SimulationSettings
from batchsim.scenario.shapes import Shape

CATALOG = load_catalog()
SETTINGS = SimulationSettings()
LIFE_S = 1025.0  # one lone job's instance: launch → terminate
SHAPE = Shape(2, 1024.0)  # memory never binds: one job per 2 vCPUs on c5, m5


def plan(strategy: str, entries: list[str], jobs: int, budget: float) -> list[str]:
    """Return the types ``strategy`` launches for ``jobs`` jobs of SHAPE, at on-demand prices,
    with ``instanceTypes: entries``."""
    options = options_for(
        CATALOG.resolve(entries),
        SHAPE,
        lambda t: SETTINGS.allocatable_mib(t.memory_mib),
        lambda t: t.on_demand_price_per_hour,
        CATALOG.priorities(entries),
    )
    entry = STRATEGIES[strategy]
    picked = entry.plan(options, jobs, budget, entry.on_demand_overshoot, lambda t: False)
    return [t.name for t in picked]


def problems_of(data: dict) -> dict[str, str]:
    """Return the loader's problems with ``data``, by YAML path."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    return {p.path: p.message for p in caught.value.problems}


def ten_lone_jobs(ctype: str, strategy: str, types: list[str]) -> dict:
    """Ten 1-vCPU / 3,900 MiB jobs, one every 30 min (each alone in the CE), as in the audit."""
    data = base_scenario()
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(type=ctype, allocationStrategy=strategy, instanceTypes=types, maxvCpus=256)
    if ctype == "SPOT":
        data["computeEnvironments"][0]["simulation"]["spot"] = {"interruptionRate": "0/h"}
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "3900"},
    ]
    submit = {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"}
    data["workload"] = [{"name": f"a{i}", "submit": submit, "at": f"{30 * i}m"} for i in range(10)]
    return data


# ----------------------------------------------------------------------------- audit item 2
@pytest.mark.parametrize("strategy", ["BEST_FIT", "BEST_FIT_PROGRESSIVE"])
def test_ten_lone_small_jobs_cost_ten_c5_large_lifetimes_on_demand(strategy):
    # Each job alone gets a c5.large (1 job at $0.085 beats a c5.24xlarge's $4.08 for it):
    # 10 × 1,025 s × $0.085/h = $0.242014 (was $11.62 on c5.24xlarge with BEST_FIT_PROGRESSIVE).
    result = run(ten_lone_jobs("EC2", strategy, ["c5"]))
    assert list(result.instances["instanceType"]) == ["c5.large"] * 10
    assert result.summary["total_cost_usd"] == pytest.approx(10 * LIFE_S * 0.085 / 3600, rel=1e-9)


@pytest.mark.parametrize("strategy", ["SPOT_PRICE_CAPACITY_OPTIMIZED", "SPOT_CAPACITY_OPTIMIZED"])
def test_ten_lone_small_jobs_on_spot_take_the_cheapest_small_pool(strategy):
    # Buckets: c5 sizes 0 or 1, m5.large 3. Both strategies keep c5 pools (PCO: buckets 0 and
    # 1, CO: bucket 0) and one job costs least on a c5.large at its Spot price.
    result = run(ten_lone_jobs("SPOT", strategy, ["c5", "m5"]))
    assert list(result.instances["instanceType"]) == ["c5.large"] * 10
    price = advisor_price(CATALOG.get("c5.large"))
    assert price is not None
    assert result.summary["total_cost_usd"] == pytest.approx(10 * LIFE_S * price / 3600, rel=1e-9)


# ----------------------------------------------------------------------------- ordered strategies
def test_an_exact_type_keeps_its_listed_position_and_leaves_its_family():
    ranks = CATALOG.priorities(["c5", "c5.4xlarge", "m5.large"])
    assert (ranks["c5.large"], ranks["c5.24xlarge"], ranks["c5.4xlarge"], ranks["m5.large"]) == (
        0,
        0,
        1,
        2,
    )


def test_ordered_progressive_tries_the_list_in_order_where_progressive_takes_the_cheapest():
    # One job: c5.large ($0.085) is cheapest, but [m5, c5] in order puts m5 first: m5.large.
    assert plan("BEST_FIT_PROGRESSIVE", ["m5", "c5"], 1, 100) == ["c5.large"]
    assert plan("BEST_FIT_PROGRESSIVE_ORDERED", ["m5", "c5"], 1, 100) == ["m5.large"]
    # Eight jobs: within the family, BEST_FIT_PROGRESSIVE's sizing (every m5 size $0.096 a job;
    # the largest that eight jobs fill is m5.4xlarge, 8 jobs on 16 vCPUs).
    assert plan("BEST_FIT_PROGRESSIVE_ORDERED", ["m5", "c5"], 8, 100) == ["m5.4xlarge"]
    assert plan("BEST_FIT_PROGRESSIVE", ["m5", "c5"], 8, 100) == ["c5.4xlarge"]


def test_ordered_progressive_over_provisions_when_told_and_skips_what_the_budget_rules_out():
    # AWS's warning: a large type at the top serves one small job (c5.4xlarge, $0.68).
    assert plan("BEST_FIT_PROGRESSIVE_ORDERED", ["c5.4xlarge", "c5"], 1, 100) == ["c5.4xlarge"]
    # 8 vCPUs under maxvCpus: the 16-vCPU first entry does not fit the budget; the c5 family
    # (without the 4xlarge) sizes the rest: 3 jobs → c5.xlarge (2 jobs) + c5.large (1 job).
    assert plan("BEST_FIT_PROGRESSIVE_ORDERED", ["c5.4xlarge", "c5"], 3, 8) == [
        "c5.xlarge",
        "c5.large",
    ]
    # Nothing under the budget: one instance over it, the smallest of the first entry.
    assert plan("BEST_FIT_PROGRESSIVE_ORDERED", ["c5.4xlarge", "c5"], 1, 1) == ["c5.4xlarge"]


def test_capacity_optimized_prioritized_keeps_capacity_first_then_the_list_order():
    # Spot Advisor buckets: m5.large 3, c5.xlarge 0, c5.large 0. Capacity first drops m5.large
    # although it is listed first; among the bucket-0 pools the list order wins (c5.xlarge)
    # where SPOT_CAPACITY_OPTIMIZED takes the cheapest for one job (c5.large).
    entries = ["m5.large", "c5.xlarge", "c5.large"]
    assert plan("SPOT_CAPACITY_OPTIMIZED", entries, 1, 100) == ["c5.large"]
    assert plan("SPOT_CAPACITY_OPTIMIZED_PRIORITIZED", entries, 1, 100) == ["c5.xlarge"]


def test_an_ordered_compute_environment_bills_its_first_listed_family():
    # One 2-vCPU job on [m5, c5]: an m5.large for 1,025 s at $0.096/h = $0.027333.
    data = base_scenario()
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(allocationStrategy="BEST_FIT_PROGRESSIVE_ORDERED", instanceTypes=["m5", "c5"])
    result = run(data)
    assert list(result.instances["instanceType"]) == ["m5.large"]
    assert result.summary["total_cost_usd"] == pytest.approx(LIFE_S * 0.096 / 3600, rel=1e-9)


@pytest.mark.parametrize(
    ("kind", "strategy", "says"),
    [
        (
            "SPOT",
            "BEST_FIT_PROGRESSIVE_ORDERED",
            "is for on-demand (EC2) compute environments only",
        ),
        ("EC2", "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED", "is for SPOT compute environments only"),
    ],
)
def test_ordered_strategies_belong_to_their_kind(kind, strategy, says):
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(
        type=kind, allocationStrategy=strategy
    )
    problem = problems_of(data)["computeEnvironments[0].computeResources.allocationStrategy"]
    assert says in problem


# ----------------------------------------------------------------------------- TERMINATE
def test_terminate_time_limit_action_is_refused_with_what_aws_takes_here(tmp_path):
    # AWS: TERMINATE only on SAGEMAKER_TRAINING service-environment queues; CANCEL on queues of
    # ECS, Fargate or EKS compute environments (and on a RUNNABLE job they do the same).
    data = base_scenario()
    data["jobQueues"][0]["jobStateTimeLimitActions"] = [
        {
            "reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
            "state": "RUNNABLE",
            "maxTimeSeconds": 600,
            "action": "TERMINATE",
        }
    ]
    path = "jobQueues[0].jobStateTimeLimitActions[0].action"
    assert "SAGEMAKER_TRAINING service environment" in problems_of(data)[path]
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    status, _out, err = cli("validate", str(scenario))
    assert status == 2 and path in err and "line" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- unmanagedvCpus
def reserved_fair_scenario(unmanaged_vcpus: int | None) -> dict:
    """A fair-share queue (computeReservation 50) on one fixed c5.xlarge (4 vCPUs): share A
    submits four 1-vCPU jobs of 100 s at 0, share B two at 150 s (no pull, no start time)."""
    data = base_scenario()
    ce = {"computeEnvironmentName": "fixed", "type": "UNMANAGED"}
    ce["simulation"] = {"instances": [{"instanceType": "c5.xlarge"}]}
    if unmanaged_vcpus is not None:
        ce["unmanagedvCpus"] = unmanaged_vcpus
    data["computeEnvironments"] = [ce]
    queue = data["jobQueues"][0]
    queue["computeEnvironmentOrder"] = [{"order": 1, "computeEnvironment": "fixed"}]
    queue["schedulingPolicyArn"] = "fair"
    data["schedulingPolicies"] = [{"name": "fair", "fairsharePolicy": {"computeReservation": 50}}]
    definition = data["jobDefinitions"][0]
    definition["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "1024"},
    ]
    definition["simulation"] = {"runtime": "100s", "startTime": "0s", "imagePullTime": "0s"}
    submit = {"jobQueue": "q", "jobDefinition": "work"}
    data["workload"] = [
        {"name": "a", "count": 4, "submit": {**submit, "jobName": "a", "shareIdentifier": "A"}},
        {
            "name": "b",
            "at": "150s",
            "count": 2,
            "submit": {**submit, "jobName": "b", "shareIdentifier": "B"},
        },
    ]
    return data


def starts(result, entry: str) -> list[float]:
    """Return the sorted start times of ``entry``'s jobs."""
    return sorted(result.jobs[result.jobs["workload"] == entry]["startingAt"].tolist())


@pytest.mark.parametrize(
    ("unmanaged_vcpus", "a_starts", "b_starts"),
    [
        # AWS: without unmanagedvCpus "no vCPU capacity is reserved": A takes all 4 vCPUs.
        (None, [0, 0, 0, 0], [150, 150]),
        # 2: A alone leaves 0.5 × 2 = 1 vCPU reserved → 3 run, the 4th at 100. At 150 B is
        # active: 0.25 × 2 = 0.5 reserved, 4 − 0.5 − 1 running = 2.5 → both B jobs start.
        (2, [0, 0, 0, 100], [150, 150]),
        # 4 (all of it): 2 reserved for A alone → 2 at 0, 2 at 100; at 150 B is active: 1
        # reserved, A's two hold 2 → one B job; the other when they end at 200.
        (4, [0, 0, 100, 100], [150, 200]),
    ],
)
def test_unmanaged_vcpus_is_what_the_reservation_is_a_share_of(unmanaged_vcpus, a_starts, b_starts):
    result = run(reserved_fair_scenario(unmanaged_vcpus))
    assert (starts(result, "a"), starts(result, "b")) == (a_starts, b_starts)


def test_an_update_changes_unmanaged_vcpus_and_managed_ones_refuse_it():
    # unmanagedvCpus 4 → 2 at t=50: A alone had 2 of 4 reserved (two jobs at 0); from 50 only
    # 0.5 × 2 = 1 is: 4 − 1 − 2 running = 1 → a third A job at 50, the last at 100.
    data = reserved_fair_scenario(4)
    data["actions"] = [
        {
            "at": "50s",
            "UpdateComputeEnvironment": {"computeEnvironment": "fixed", "unmanagedvCpus": 2},
        }
    ]
    result = run(data)
    assert starts(result, "a") == [0, 0, 50, 100]
    data = base_scenario()
    data["computeEnvironments"][0]["unmanagedvCpus"] = 4
    data["actions"] = [
        {"at": "50s", "UpdateComputeEnvironment": {"computeEnvironment": "od", "unmanagedvCpus": 2}}
    ]
    problems = problems_of(data)
    assert (
        "UNMANAGED compute environments only" in problems["computeEnvironments[0].unmanagedvCpus"]
    )
    path = "actions[0].UpdateComputeEnvironment.unmanagedvCpus"
    assert "UNMANAGED compute environments only" in problems[path]


# ----------------------------------------------------------------------------- infrastructure updates
def one_hour_job_then_update(policy: dict | None, attempts: int = 2) -> dict:
    """One 2-vCPU job of 3,600 s on a c5.large (launched 0, ready 100, RUNNING 125 → 3,725;
    retryStrategy ``attempts``); at 200 s the CE's instanceTypes become [m5.large]."""
    data = base_scenario()
    definition = data["jobDefinitions"][0]
    definition["simulation"]["runtime"] = "3600s"
    definition["retryStrategy"] = {"attempts": attempts}
    update = {"computeEnvironment": "od", "computeResources": {"instanceTypes": ["m5.large"]}}
    if policy is not None:
        update["updatePolicy"] = policy
    data["actions"] = [{"at": "200s", "UpdateComputeEnvironment": update}]
    return data


def lifetimes(result) -> list[tuple]:
    """(type, launchedAt, terminatedAt, endReason) of every instance."""
    columns = ["instanceType", "launchedAt", "terminatedAt", "endReason"]
    return [tuple(row) for row in result.instances[columns].itertuples(index=False)]


HOST = "Host EC2 (instance i-00000000000000001) terminated."


@pytest.mark.parametrize(
    ("policy", "ended_at"),
    [
        # Default policy: 30 min for the job to finish on the old instance; it cannot (3,725),
        # so it is ended at 200 + 1,800 = 2,000 and retried on a new m5.large.
        (None, 2000),
        ({"jobExecutionTimeoutMinutes": 10}, 800),  # 200 + 600
        ({"terminateJobsOnUpdate": True}, 200),  # ended at the update
    ],
)
def test_an_infrastructure_update_replaces_the_instance_under_its_update_policy(policy, ended_at):
    result = run(one_hour_job_then_update(policy))
    # The retry launches an m5.large at ended_at: ready +100, runs +25 +3,600, idle +300.
    assert lifetimes(result) == [
        ("c5.large", 0, ended_at, "infrastructure_update"),
        ("m5.large", ended_at, ended_at + 4025, "scale_in"),
    ]
    first, second = result.attempts.to_dict("records")
    assert (first["stoppedAt"], first["outcome"], first["statusReason"]) == (
        ended_at,
        "host_replaced",
        HOST,
    )
    assert (second["startingAt"], second["stoppedAt"], second["outcome"]) == (
        ended_at + 100,
        ended_at + 3725,
        "succeeded",
    )
    cost = (ended_at * 0.085 + 4025 * 0.096) / 3600
    assert result.summary["total_cost_usd"] == pytest.approx(cost, rel=1e-9)


def test_work_lost_to_a_replaced_host_is_wasted_but_no_spot_interruption():
    # terminateJobsOnUpdate ends a-1's first attempt at 200, RUNNING since 125: 75 s × 2 vCPUs
    # lost, with no checkpoint. summary.json counts it in wasted_vcpu_hours (work lost to any
    # host taken away), not in interruptions (Spot reclaims only), and the report says so.
    result = run(one_hour_job_then_update({"terminateJobsOnUpdate": True}))
    assert result.summary["interruptions"] == 0
    assert result.summary["wasted_vcpu_hours"] == pytest.approx(2 * 75 / 3600, rel=1e-12)
    table = summary_table(result.summary)
    assert "Spot interruptions (attempts)         0" in table
    assert "Work lost (reclaims, replaced hosts)  0.04 vCPU-h" in table


def test_a_job_ended_by_an_update_fails_without_attempts_left():
    result = run(one_hour_job_then_update({"terminateJobsOnUpdate": True}, attempts=1))
    assert result.jobs.set_index("jobId").loc["a-1", "status"] == "FAILED"
    assert lifetimes(result) == [("c5.large", 0, 200, "infrastructure_update")]


def test_new_jobs_go_to_the_new_settings_and_the_old_instance_ends_with_its_last_job():
    # [m5, c5] with BEST_FIT_PROGRESSIVE: job a (t=0) gets the cheapest, a c5.large. At 200 the
    # strategy becomes BEST_FIT_PROGRESSIVE_ORDERED: b (t=300) gets an m5.large (listed first),
    # launched at 300; the c5.large takes no new job and terminates when a ends at 725 (no
    # scale-in delay). b: ready 400, ends 1,025, its m5.large scales in at 1,325.
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["instanceTypes"] = ["m5", "c5"]
    data["workload"].append(
        {
            "name": "b",
            "at": "300s",
            "submit": {"jobName": "b", "jobQueue": "q", "jobDefinition": "work"},
        }
    )
    update = {"allocationStrategy": "BEST_FIT_PROGRESSIVE_ORDERED"}
    data["actions"] = [
        {
            "at": "200s",
            "UpdateComputeEnvironment": {"computeEnvironment": "od", "computeResources": update},
        }
    ]
    result = run(data)
    assert lifetimes(result) == [
        ("c5.large", 0, 725, "infrastructure_update"),
        ("m5.large", 300, 1325, "scale_in"),
    ]
    assert result.attempts["outcome"].tolist() == ["succeeded", "succeeded"]


def test_an_update_on_an_idle_instance_terminates_it_and_the_floor_comes_back_new():
    # minvCpus 2: a c5.large ready at t=0 and idle; the update at 50 replaces it by an m5.large
    # (booting 100 s) which the floor keeps to the end of the run; job a waits for it: starts at
    # 150, ends 775; the run ends at its idle check, 775 + 300 = 1,075, which the floor refuses.
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["minvCpus"] = 2
    data["workload"][0]["at"] = "60s"
    update = {"instanceTypes": ["m5.large"]}
    data["actions"] = [
        {
            "at": "50s",
            "UpdateComputeEnvironment": {"computeEnvironment": "od", "computeResources": update},
        }
    ]
    result = run(data)
    assert lifetimes(result) == [
        ("c5.large", 0, 50, "infrastructure_update"),
        ("m5.large", 50, 1075, "end_of_run"),
    ]
    assert result.attempts["startingAt"].tolist() == [150]


def test_an_update_raising_the_floor_with_new_types_launches_only_the_new_type():
    # minvCpus 0 → 2 and instanceTypes → [m5.large] in one call at 50: the floor is filled with
    # an m5.large (launched 50, ready 150), and no c5.large of the old settings is launched and
    # terminated at once (it used to be, and billed its 60 s minimum). a (at 60) runs 150 → 775;
    # the run ends at its idle check, 1,075, which the floor refuses.
    data = base_scenario()
    data["workload"][0]["at"] = "60s"
    update = {"minvCpus": 2, "instanceTypes": ["m5.large"]}
    data["actions"] = [
        {
            "at": "50s",
            "UpdateComputeEnvironment": {"computeEnvironment": "od", "computeResources": update},
        }
    ]
    result = run(data)
    assert lifetimes(result) == [("m5.large", 50, 1075, "end_of_run")]
    assert result.attempts[["startingAt", "stoppedAt"]].values.tolist() == [[150, 775]]
    assert result.summary["total_cost_usd"] == pytest.approx(1025 * 0.096 / 3600, rel=1e-9)


REQUIREMENT = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"


def four_vcpu_job_then_update(first: str, update: dict, at: str) -> dict:
    """One 4-vCPU job at 0 on a CE of ``[first]``, a 600 s time limit on JOB_RESOURCE_REQUIREMENT,
    and ``update`` (its computeResources) at ``at``."""
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["instanceTypes"] = [first]
    requirements = [{"type": "VCPU", "value": "4"}, {"type": "MEMORY", "value": "4096"}]
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"] = requirements
    data["jobQueues"][0]["jobStateTimeLimitActions"] = [
        {"reason": REQUIREMENT, "maxTimeSeconds": 600, "state": "RUNNABLE", "action": "CANCEL"}
    ]
    update = {"computeEnvironment": "od", "computeResources": update}
    data["actions"] = [{"at": at, "UpdateComputeEnvironment": update}]
    return data


def test_new_instance_types_lift_a_job_resource_requirement_block():
    # [c5.large] cannot run 4 vCPUs: blocked at 0. At 500 instanceTypes become [c5.xlarge]: the
    # block lifts (and its time-limit clock, which would cancel at 600), a c5.xlarge launches at
    # 500 (ready 600): RUNNING 625 → 1,225, scale-in 1,525.
    result = run(four_vcpu_job_then_update("c5.large", {"instanceTypes": ["c5.xlarge"]}, "500s"))
    assert lifetimes(result) == [("c5.xlarge", 500, 1525, "scale_in")]
    row = result.jobs.set_index("jobId").loc["a-1"]
    assert (row["status"], row["startingAt"], row["stoppedAt"]) == ("SUCCEEDED", 600, 1225)
    assert [(t, j) for t, j, _, _ in result.blocked.values.tolist()] == [(0, "a-1")]
    assert result.summary["total_cost_usd"] == pytest.approx(1025 * 0.17 / 3600, rel=1e-9)


def test_instance_types_too_small_block_a_waiting_job_from_the_update():
    # The c5.xlarge launched for the job at 0 is replaced at 50 (billed its 60 s minimum) by
    # [c5.large], which can never run it: the job gets JOB_RESOURCE_REQUIREMENT at 50, is
    # reported blocked then, and the 600 s time limit cancels it at 650.
    result = run(four_vcpu_job_then_update("c5.xlarge", {"instanceTypes": ["c5.large"]}, "50s"))
    assert lifetimes(result) == [("c5.xlarge", 0, 50, "infrastructure_update")]
    row = result.jobs.set_index("jobId").loc["a-1"]
    reason = f"Canceled by JobStateTimeLimit action due to reason: {REQUIREMENT}"
    assert (row["status"], row["statusReason"], row["stoppedAt"]) == ("FAILED", reason, 650)
    blocked = result.blocked.values.tolist()
    assert [(t, j) for t, j, _, _ in blocked] == [(50, "a-1")]
    assert blocked[0][3].startswith(REQUIREMENT)
    assert result.summary["total_cost_usd"] == pytest.approx(60 * 0.17 / 3600, rel=1e-9)


def test_a_lower_maxvcpus_leaves_a_job_to_the_instance_that_fits_it():
    # maxvCpus 16 → 2 at 50 while the job's c5.xlarge boots: no new one could run it, but the
    # live one does (ready 100, RUNNING 125 → 725) and scales in at 1,025; no block reported.
    result = run(four_vcpu_job_then_update("c5.xlarge", {"maxvCpus": 2}, "50s"))
    assert lifetimes(result) == [("c5.xlarge", 0, 1025, "scale_in")]
    assert result.attempts[["startingAt", "stoppedAt"]].values.tolist() == [[100, 725]]
    assert result.blocked.empty


def test_loader_holds_infrastructure_updates_to_aws_rules():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["allocationStrategy"] = "BEST_FIT"
    update = {
        "instanceTypes": ["c5.larg"],
        "allocationStrategy": "SPOT_CAPACITY_OPTIMIZED",
        "bidPercentage": 50,
    }
    data["actions"] = [
        {
            "at": "50s",
            "UpdateComputeEnvironment": {"computeEnvironment": "od", "computeResources": update},
        }
    ]
    problems = problems_of(data)
    base = "actions[0].UpdateComputeEnvironment.computeResources"
    assert "refuses on a BEST_FIT compute environment" in problems[f"{base}.instanceTypes"]
    assert "does not apply to a EC2" in problems[f"{base}.allocationStrategy"]
    assert "SPOT compute environments only" in problems[f"{base}.bidPercentage"]
    assert "c5.larg" in problems[f"{base}.instanceTypes[0]"]


def test_raising_min_vcpus_on_an_on_demand_ce_launches_the_floor():
    # Was an internal error (a refill's daemon idle check on an on-demand run). minvCpus 0 → 2
    # at 50: a c5.large launched at 50 (ready 150) takes job a (t=60) at 150: ends 775; the
    # floor keeps the instance to the end of the run, its idle check at 775 + 300 = 1,075.
    data = base_scenario()
    data["workload"][0]["at"] = "60s"
    update = {"computeEnvironment": "od", "computeResources": {"minvCpus": 2}}
    data["actions"] = [{"at": "50s", "UpdateComputeEnvironment": update}]
    result = run(data)
    assert lifetimes(result) == [("c5.large", 50, 1075, "end_of_run")]
    assert result.attempts["startingAt"].tolist() == [150]


def test_a_lower_bid_keeps_the_replacement_from_launching():
    # Spot c5.large at the Advisor price ($0.085 × 0.41 = $0.03485/h), never reclaimed. At 200
    # bidPercentage 40 caps it at $0.034: the job, ended by the update and retried, finds no
    # type under the cap and waits RUNNABLE to stopAt.
    data = one_hour_job_then_update({"terminateJobsOnUpdate": True})
    ce = data["computeEnvironments"][0]
    ce["computeResources"].update(type="SPOT", allocationStrategy="SPOT_CAPACITY_OPTIMIZED")
    ce["simulation"]["spot"] = {"interruptionRate": "0/h"}
    data["actions"][0]["UpdateComputeEnvironment"]["computeResources"] = {"bidPercentage": 40}
    data["simulation"] = {"stopAt": "1h"}
    result = run(data)
    assert lifetimes(result) == [("c5.large", 0, 200, "infrastructure_update")]
    assert result.jobs.set_index("jobId").loc["a-1", "status"] == "RUNNABLE"

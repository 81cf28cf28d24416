"""Consumable resources (AWS resource-aware scheduling), hand-computed.

Unless a test says otherwise: one fixed c5.xlarge (4 vCPUs, ready at t=0), 1-vCPU jobs of
100 s with no image pull or start time, so a job's STARTING, RUNNING and end times are exact.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO, base_scenario, cli, job, run
from test_multinode import mpi_scenario
from test_surface import lifetimes, one_hour_job_then_update

import batchsim
from batchsim.engine.consumables import WAITING_FOR_RESOURCES
from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario

LICENCE = {"consumableResourceList": [{"consumableResource": "licence", "quantity": 1}]}


def scenario(total: int = 1, kind: str = "REPLENISHABLE", count: int = 3) -> dict:
    """``count`` licence-holding jobs (entry ``a``) on one fixed c5.xlarge, ``total`` licences."""
    data = base_scenario()
    data["consumableResources"] = [
        {"consumableResourceName": "licence", "totalQuantity": total, "resourceType": kind}
    ]
    data["computeEnvironments"] = [
        {
            "computeEnvironmentName": "fixed",
            "type": "UNMANAGED",
            "simulation": {"instances": [{"instanceType": "c5.xlarge"}]},
        }
    ]
    data["jobQueues"][0]["computeEnvironmentOrder"] = [{"order": 1, "computeEnvironment": "fixed"}]
    definition = data["jobDefinitions"][0]
    definition["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "1024"},
    ]
    definition["consumableResourceProperties"] = LICENCE
    definition["simulation"] = {"runtime": "100s", "startTime": "0s", "imagePullTime": "0s"}
    data["workload"][0]["count"] = count
    return data


def starts(result, entry: str) -> list[float]:
    """Return the STARTING times of ``entry``'s jobs, in order."""
    return sorted(result.jobs[result.jobs["workload"] == entry]["startingAt"].tolist())


def levels(result) -> list[tuple]:
    """Return consumables.csv's rows as (time, inUse, available, total)."""
    frame = result.consumables
    return list(
        zip(
            frame["time"],
            frame["inUseQuantity"],
            frame["availableQuantity"],
            frame["totalQuantity"],
            strict=True,
        )
    )


def test_the_head_waits_in_runnable_until_its_licence_comes_back():
    data = scenario(total=1)
    # A 2-vCPU job needing no licence, submitted behind them: another line, so it backfills.
    data["jobDefinitions"].append(
        {
            "jobDefinitionName": "free",
            "containerProperties": {
                "resourceRequirements": [
                    {"type": "VCPU", "value": "2"},
                    {"type": "MEMORY", "value": "2048"},
                ]
            },
            "simulation": {"runtime": "100s", "startTime": "0s", "imagePullTime": "0s"},
        }
    )
    data["workload"].append(
        {"name": "b", "submit": {"jobName": "b", "jobQueue": "q", "jobDefinition": "free"}}
    )
    result = run(data)
    # One licence: a-1 at 0, a-2 when a-1 ends at 100, a-3 at 200; 3 vCPUs were free all along.
    assert starts(result, "a") == [0.0, 100.0, 200.0]
    assert starts(result, "b") == [0.0]
    assert result.summary["makespan_s"] == 300.0
    blocked = result.blocked
    assert list(zip(blocked["time"], blocked["jobId"], blocked["statusReason"], strict=True)) == [
        (0.0, "a-2", WAITING_FOR_RESOURCES),
        (100.0, "a-3", WAITING_FOR_RESOURCES),
    ]
    assert levels(result) == [
        (0.0, 0, 1, 1), (0.0, 1, 0, 1),
        (100.0, 0, 1, 1), (100.0, 1, 0, 1),
        (200.0, 0, 1, 1), (200.0, 1, 0, 1),
        (300.0, 0, 1, 1),
    ]  # fmt: skip
    assert result.summary["consumables_peak_in_use"] == {"licence": 1}


def test_a_non_replenishable_resource_is_used_up():
    replenishable = run(scenario(total=2))
    assert starts(replenishable, "a") == [0.0, 0.0, 100.0]
    result = run(scenario(total=2, kind="NON_REPLENISHABLE"))
    # Two jobs use up both units; the third waits for ever and the run ends when nothing is left
    # to happen (no timer keeps it alive), with the job RUNNABLE and AWS-style reason.
    assert starts(result, "a")[:2] == [0.0, 0.0]
    third = job(result, "a-3")
    assert (third["status"], third["statusReason"]) == ("RUNNABLE", WAITING_FOR_RESOURCES)
    assert result.summary["jobs_unfinished"] == 1 and result.summary["makespan_s"] is None
    assert levels(result)[-2:] == [(100.0, 1, 0, 1), (100.0, 0, 0, 0)]
    assert result.summary["consumables_peak_in_use"] == {"licence": 2}


def test_the_submit_override_replaces_the_definitions_quantity():
    data = scenario(total=2, count=2)
    data["workload"].append(
        {
            "name": "big",
            "at": "300s",
            "count": 2,
            "submit": {
                "jobName": "big",
                "jobQueue": "q",
                "jobDefinition": "work",
                "consumableResourcePropertiesOverride": {
                    "consumableResourceList": [{"consumableResource": "licence", "quantity": 2}]
                },
            },
        }
    )
    data["workload"].append(
        {
            "name": "none",
            "at": "600s",
            "count": 3,
            "submit": {
                "jobName": "none",
                "jobQueue": "q",
                "jobDefinition": "work",
                "consumableResourcePropertiesOverride": {
                    "consumableResourceList": [{"consumableResource": "licence", "quantity": 0}]
                },
            },
        }
    )
    result = run(data)
    assert starts(result, "a") == [0.0, 0.0]  # one licence each: both at once
    assert starts(result, "big") == [300.0, 400.0]  # two licences each: one at a time
    assert starts(result, "none") == [600.0, 600.0, 600.0]  # quantity 0: no licence needed
    assert result.summary["consumables_peak_in_use"] == {"licence": 2}


def test_a_multinode_job_needs_its_node_ranges_quantity_per_node():
    data = mpi_scenario(nodes=3)
    data["consumableResources"] = [{"consumableResourceName": "licence", "totalQuantity": 4}]
    data["jobDefinitions"][1]["nodeProperties"]["nodeRangeProperties"][0][
        "consumableResourceProperties"
    ] = LICENCE
    data["workload"][0]["count"] = 2
    result = run(data)
    # Each job locks 3 licences (3 nodes × 1) of 4: one job at a time. Scale-out asks for what
    # the licences allow (one job: three c5.large), ready at 100; m-1 runs 100 → 725; m-2
    # takes the same three instances at 725 (image cached: start 5 s) and ends at 1330.
    first, second = job(result, "m-1"), job(result, "m-2")
    assert (first["startingAt"], first["stoppedAt"]) == (100.0, 725.0)
    assert (second["startingAt"], second["startedAt"], second["stoppedAt"]) == (
        725.0,
        730.0,
        1330.0,
    )
    assert len(result.instances) == 3
    assert result.summary["consumables_peak_in_use"] == {"licence": 3}


def test_a_multinode_jobs_needs_count_the_nodes_of_its_node_overrides():
    # The definition has 3 nodes ("0:" open-ended); each SubmitJob overrides numNodes to 2, so a
    # job locks 2 licences of 4, not 3: both jobs start together on four c5.large (ready 100,
    # STARTING 100, end 725), as the engine counts two nodes each.
    data = mpi_scenario(nodes=3)
    data["consumableResources"] = [{"consumableResourceName": "licence", "totalQuantity": 4}]
    data["jobDefinitions"][1]["nodeProperties"]["nodeRangeProperties"][0][
        "consumableResourceProperties"
    ] = LICENCE
    data["workload"][0]["count"] = 2
    data["workload"][0]["submit"]["nodeOverrides"] = {"numNodes": 2}
    result = run(data)
    assert [
        (job(result, j)["startingAt"], job(result, j)["stoppedAt"]) for j in ("m-1", "m-2")
    ] == [(100.0, 725.0)] * 2
    assert len(result.instances) == 4
    assert result.summary["consumables_peak_in_use"] == {"licence": 4}


def test_loader_sums_a_multinode_jobs_needs_over_its_overridden_node_count():
    data = mpi_scenario(nodes=3)
    data["consumableResources"] = [{"consumableResourceName": "licence", "totalQuantity": 4}]
    data["jobDefinitions"][1]["nodeProperties"]["nodeRangeProperties"][0][
        "consumableResourceProperties"
    ] = LICENCE
    data["workload"][0]["submit"]["nodeOverrides"] = {"numNodes": 5}  # 5 licences of 4
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    assert {p.path: p.message for p in caught.value.problems} == {
        "workload[0].submit": "one job needs 5 of consumable resource 'licence' (its nodes and overrides "
        "summed) but its totalQuantity is 4: the job could never start"
    }
    data["workload"][0]["submit"]["nodeOverrides"] = {"numNodes": 2}
    data["consumableResources"][0]["totalQuantity"] = 2  # 2 of 2: fine, though the definition has 3
    parse_scenario(yaml.safe_dump(data))


def fair(data: dict) -> dict:
    """Put ``data``'s queue under a fair-share policy with entries a (share A) and b (B)."""
    data["jobQueues"][0]["schedulingPolicyArn"] = "fair"
    data["schedulingPolicies"] = [{"name": "fair"}]
    data["workload"][0]["count"] = 2
    data["workload"][0]["submit"]["shareIdentifier"] = "A"
    b = {
        "name": "b",
        "count": 2,
        "submit": {
            "jobName": "b",
            "jobQueue": "q",
            "jobDefinition": "work",
            "shareIdentifier": "B",
        },
    }
    data["workload"].append(b)
    return data


def test_on_a_fair_share_queue_the_licence_goes_to_the_share_with_less_usage():
    result = run(fair(scenario(total=1)))
    # A's first job wins the usage tie (earliest queued); when it ends B has used less, then A
    # (its usage is older, so more decayed), then B. FIFO would run a, a, b, b.
    assert starts(result, "a") == [0.0, 200.0]
    assert starts(result, "b") == [100.0, 300.0]


def test_a_retried_job_keeps_its_licence_until_it_succeeds_or_fails():
    data = scenario(total=1, count=1)
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 1.0, "exitCode": 3}
    data["workload"].append(
        {"name": "g", "submit": {"jobName": "g", "jobQueue": "q", "jobDefinition": "work"}}
    )
    result = run(data)
    # a-1 fails at 100, is retried at once (still holding the licence), fails at 200: only then
    # is the licence unlocked, and g (which fails twice too) takes it from 200 to 400.
    attempts = result.attempts
    assert list(zip(attempts["jobId"], attempts["startingAt"], attempts["stoppedAt"], strict=True)) == [
        ("a-1", 0.0, 100.0), ("a-1", 100.0, 200.0), ("g-1", 200.0, 300.0), ("g-1", 300.0, 400.0),
    ]  # fmt: skip
    assert levels(result) == [
        (0.0, 0, 1, 1),
        (0.0, 1, 0, 1),
        (200.0, 0, 1, 1),
        (200.0, 1, 0, 1),
        (400.0, 0, 1, 1),
    ]


def test_a_job_retried_off_a_replaced_host_keeps_its_licence_and_gets_an_instance():
    # base_scenario timings (boot 100, pull 20, start 5), a 3,600 s job, two of them, one licence.
    # a-1 locks it at 100 on a c5.large; at 200 instanceTypes become [m5.large] and
    # terminateJobsOnUpdate ends a-1, which is retried holding the licence: scale-out must still
    # ask for it (one m5.large at 200, not one for a-2, which waits for the licence). a-1 runs
    # 300 → 3,925; a-2 takes the licence and the idle m5.large (image cached) 3,925 → 7,530;
    # scale-in at 7,830.
    data = one_hour_job_then_update({"terminateJobsOnUpdate": True})
    data["workload"][0]["count"] = 2
    data["consumableResources"] = [{"consumableResourceName": "licence", "totalQuantity": 1}]
    data["jobDefinitions"][0]["consumableResourceProperties"] = LICENCE
    result = run(data)
    assert lifetimes(result) == [
        ("c5.large", 0, 200, "infrastructure_update"),
        ("m5.large", 200, 7830, "scale_in"),
    ]
    attempts = result.attempts
    assert list(zip(attempts["jobId"], attempts["startingAt"], attempts["stoppedAt"], attempts["outcome"], strict=True)) == [
        ("a-1", 100.0, 200.0, "host_replaced"), ("a-1", 300.0, 3925.0, "succeeded"), ("a-2", 3925.0, 7530.0, "succeeded"),
    ]  # fmt: skip
    assert levels(result) == [
        (0.0, 0, 1, 1),
        (100.0, 1, 0, 1),
        (3925.0, 0, 1, 1),
        (3925.0, 1, 0, 1),
        (7530.0, 0, 1, 1),
    ]


def test_consumables_file_and_summary_key_only_with_consumable_resources(tmp_path):
    with_resources = run(scenario())
    with_resources.write(tmp_path / "with")
    assert (tmp_path / "with" / "consumables.csv").read_text().splitlines()[:2] == [
        "time,consumableResource,inUseQuantity,availableQuantity,totalQuantity",
        "0.0,licence,0,1,1",
    ]
    plain = run(base_scenario())
    plain.write(tmp_path / "plain")
    assert not (tmp_path / "plain" / "consumables.csv").exists()
    assert "consumables_peak_in_use" not in plain.summary


def test_loader_reports_names_and_quantities_with_their_paths():
    data = scenario(total=2)
    data["consumableResources"].append({"consumableResourceName": "licence", "totalQuantity": 1})
    data["jobDefinitions"][0]["consumableResourceProperties"] = {
        "consumableResourceList": [
            {"consumableResource": "licnce", "quantity": 1},
            {
                "consumableResource": "arn:aws:batch:us-east-1:123456789012:consumable-resource/licence",
                "quantity": 3,
            },
        ]
    }
    mpi = mpi_scenario(nodes=3)["jobDefinitions"][1]
    mpi["nodeProperties"]["nodeRangeProperties"][0]["consumableResourceProperties"] = LICENCE
    data["jobDefinitions"].append(mpi)
    data["workload"].append(
        {"name": "m", "submit": {"jobName": "m", "jobQueue": "q", "jobDefinition": "mpi"}}
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    problems = {p.path: p.message for p in caught.value.problems}
    assert problems["consumableResources[1].consumableResourceName"] == (
        "duplicate consumable resource name 'licence' (also used by consumableResources[0])"
    )
    base = "jobDefinitions[0].consumableResourceProperties.consumableResourceList"
    assert (
        problems[f"{base}[0].consumableResource"]
        == "unknown consumable resource 'licnce'; did you mean 'licence'?"
    )
    assert problems[f"{base}[1].quantity"] == (
        "quantity 3 is more than the totalQuantity 2 of consumable resource 'licence': the job could never start"
    )
    assert problems["workload[1].submit"] == (
        "one job needs 3 of consumable resource 'licence' (its nodes and overrides summed) but its "
        "totalQuantity is 2: the job could never start"
    )


def test_cli_refuses_an_unknown_resource_with_its_line_and_status_2(tmp_path):
    data = scenario()
    del data["consumableResources"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    status, _, err = cli("validate", str(path))
    line = next(
        n
        for n, text in enumerate(path.read_text().splitlines(), 1)
        if "consumableResource: licence" in text
    )
    assert status == 2
    assert (
        f"jobDefinitions[0].consumableResourceProperties.consumableResourceList[0].consumableResource (line {line}): "
        "unknown consumable resource 'licence': the scenario has no consumableResources"
    ) in err
    assert "Traceback" not in err


def test_nightly_licences_scenario_meets_its_window_with_twenty_licences():
    result = batchsim.simulate(batchsim.load_scenario(REPO / "scenarios" / "nightly-licences.yaml"))
    summary = result.summary
    assert summary["consumables_peak_in_use"] == {"solver": 20}
    # 20 licences: at most 20 children RUNNING at once, so the makespan is at least their summed
    # running time over 20; the window is 5 h.
    attempts = result.attempts
    running_s = float((attempts["stoppedAt"] - attempts["startedAt"]).sum())
    assert running_s / 20 <= summary["makespan_s"] < 5 * 3600
    assert (
        f"| makespan | 7.19 h | 5.51 h | 5.22 h | 4.93 h | 4.69 h | {summary['makespan_s'] / 3600:.2f} h |"
        in (REPO / "README.md").read_text()
    )

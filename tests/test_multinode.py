"""Multi-node parallel jobs, hand-computed, and the loader's rules for them.

Base scenario (conftest.base_scenario): c5.large nodes (2 vCPUs), boot 100 s, image pull 20 s,
container start 5 s, main-node runtime 600 s, scale-in after 300 s idle.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import base_scenario, job, run

from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario

MPI = {
    "jobDefinitionName": "mpi",
    "type": "multinode",
    "nodeProperties": {
        "numNodes": 3,
        "mainNode": 0,
        "nodeRangeProperties": [
            {
                "targetNodes": "0:",
                "container": {
                    "image": "img:1",
                    "instanceType": "c5.large",
                    "resourceRequirements": [
                        {"type": "VCPU", "value": "2"},
                        {"type": "MEMORY", "value": "2048"},
                    ],
                },
            }
        ],
    },
    "simulation": {"runtime": "600s", "startTime": "5s", "imagePullTime": "20s"},
}


def mpi_scenario(nodes: int = 3, **ce_changes) -> dict:
    data = base_scenario()
    definition = copy.deepcopy(MPI)
    definition["nodeProperties"]["numNodes"] = nodes
    data["jobDefinitions"].append(definition)
    data["workload"] = [
        {"name": "m", "submit": {"jobName": "m", "jobQueue": "q", "jobDefinition": "mpi"}}
    ]
    data["computeEnvironments"][0]["computeResources"].update(ce_changes)
    return data


def test_all_nodes_are_provisioned_then_the_job_runs_for_the_main_node():
    result = run(mpi_scenario())
    row = job(result, "m-1")
    # Three c5.large launched at 0 for the three single-tenant nodes, ready at 100: STARTING
    # 100, image pulled + container started at 125, the main node exits at 725.
    assert (row["status"], row["startingAt"], row["startedAt"], row["stoppedAt"]) == (
        "SUCCEEDED",
        100,
        125,
        725,
    )
    instances = result.instances
    assert len(instances) == 3 and set(instances["instanceType"]) == {"c5.large"}
    # Every node is released when the main node exits, and scales in 300 s later.
    assert instances["terminatedAt"].tolist() == [1025, 1025, 1025]
    assert len(result.attempts) == 1  # one attempt, on the main node


def test_the_main_node_waits_until_every_node_is_free():
    data = mpi_scenario(nodes=2, allocationStrategy="BEST_FIT", maxvCpus=4)  # room for 2 nodes
    data["workload"].insert(
        0, {"name": "a", "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"}}
    )
    result = run(data)
    # a takes one c5.large (ready 100, done 725); the MNP job has the other from 100 but needs
    # both: it starts when a ends, at 725, on the first instance (image cached: RUNNING 730).
    assert job(result, "a-1")["stoppedAt"] == 725
    row = job(result, "m-1")
    assert (row["startingAt"], row["startedAt"], row["stoppedAt"]) == (725, 730, 1330)
    assert len(result.instances) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"maxvCpus": 4}, "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"),
        (
            {"type": "SPOT"},
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - Multi-node parallel jobs run on on-demand EC2",
        ),
    ],
)
def test_a_job_that_cannot_get_its_nodes_stays_runnable_with_a_reason(change, reason):
    data = mpi_scenario(**change)
    data["simulation"] = {"stopAt": "1h"}
    result = run(data)
    row = job(result, "m-1")
    assert row["status"] == "RUNNABLE" and row["statusReason"].startswith(reason)
    assert result.instances.empty


def test_an_unmanaged_ce_does_not_run_multinode_jobs():
    data = mpi_scenario()
    data["computeEnvironments"] = [
        {
            "computeEnvironmentName": "od",
            "type": "UNMANAGED",
            "simulation": {"instances": [{"instanceType": "c5.large", "count": 3}]},
        }
    ]
    data["simulation"] = {"stopAt": "1h"}
    row = job(run(data), "m-1")
    assert row["status"] == "RUNNABLE" and "on-demand EC2" in row["statusReason"]


def problems_of(data: dict) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    return {p.path: p.message for p in caught.value.problems}


def test_loader_checks_node_ranges_main_node_and_instance_type():
    data = mpi_scenario()
    nodes = data["jobDefinitions"][1]["nodeProperties"]
    nodes["mainNode"] = 3
    first = nodes["nodeRangeProperties"][0]
    first["targetNodes"] = "0:1"
    nodes["nodeRangeProperties"].append(
        {
            **first,
            "targetNodes": "1",
            "container": {**first["container"], "instanceType": "c5.xlarge"},
        }
    )
    problems = problems_of(data)
    base = "jobDefinitions[1].nodeProperties"
    assert problems[f"{base}.mainNode"] == "mainNode 3 is not one of the 3 nodes (0–2)"
    assert (
        problems[f"{base}.nodeRangeProperties[1].targetNodes"]
        == "node 1 is also in nodeRangeProperties[0]"
    )
    assert "c5.large, c5.xlarge" in problems[f"{base}.nodeRangeProperties"]


def test_loader_checks_nodes_fit_their_instance_type_and_need_one():
    data = mpi_scenario()
    container = data["jobDefinitions"][1]["nodeProperties"]["nodeRangeProperties"][0]["container"]
    container["resourceRequirements"][1]["value"] = "4096"  # c5.large registers ~3,962 MiB
    path = "jobDefinitions[1].nodeProperties.nodeRangeProperties[0].container.resourceRequirements"
    assert "c5.large has 2 vCPUs and 3962 MiB allocatable" in problems_of(data)[path]
    del container["instanceType"]
    assert (
        "name the node instance type"
        in problems_of(data)["jobDefinitions[1].nodeProperties.nodeRangeProperties"]
    )
    data["jobDefinitions"][1]["type"] = "container"
    assert (
        problems_of(data)["jobDefinitions[1].nodeProperties"]
        == "nodeProperties belong to type: multinode"
    )


def test_nodes_ready_early_count_towards_the_gang_and_no_extra_instance_is_launched():
    data = mpi_scenario(nodes=4)
    data["computeEnvironments"][0]["simulation"]["bootTime"] = {
        "uniform": {"low": "50s", "high": "150s"}
    }
    result = run(data)
    instances = result.instances
    assert len(instances) == 4  # an early-ready node waits for the others; it is not re-ordered
    assert job(result, "m-1")["startingAt"] == instances["readyAt"].max()


def test_nodes_are_never_split_across_compute_environments():
    data = mpi_scenario(allocationStrategy="BEST_FIT", maxvCpus=5)  # room for 2 of the 3 nodes
    second = copy.deepcopy(data["computeEnvironments"][0])
    second["computeEnvironmentName"] = "od2"
    second["computeResources"]["maxvCpus"] = 16
    data["computeEnvironments"].append(second)
    data["jobQueues"][0]["computeEnvironmentOrder"].append(
        {"order": 2, "computeEnvironment": "od2"}
    )
    result = run(data)
    # The first CE can never hold the whole job: every node comes from the second.
    assert set(result.instances["computeEnvironment"]) == {"od2"} and len(result.instances) == 3
    assert job(result, "m-1")["startingAt"] == 100


def test_a_booting_instance_of_another_type_is_not_counted_as_a_node():
    data = mpi_scenario(nodes=2, instanceTypes=["c5.large", "c5.2xlarge"])
    data["workload"].insert(
        0,
        {
            "name": "x",
            "submit": {
                "jobName": "x",
                "jobQueue": "q",
                "jobDefinition": "work",
                "containerOverrides": {"resourceRequirements": [{"type": "VCPU", "value": "6"}]},
            },
        },
    )
    result = run(data)
    # x gets a c5.2xlarge; the MNP job gets two c5.large of its own, ready at 100 like x's.
    assert job(result, "m-1")["startingAt"] == 100
    assert sorted(result.instances["instanceType"]) == ["c5.2xlarge", "c5.large", "c5.large"]


def test_results_count_every_node():
    result = run(mpi_scenario())
    assert job(result, "m-1")["numNodes"] == 3
    timeline = result.timeline.set_index("time")
    assert timeline.loc[100, "vcpusInUse"] == 6  # three c5.large nodes, 2 vCPUs each
    cut = mpi_scenario()
    cut["simulation"] = {"stopAt": "400s"}
    # Cut while RUNNING: each node was busy from 100 to 400 with its 2 vCPUs.
    assert run(cut).instances["busyVcpuSeconds"].tolist() == [600, 600, 600]


def test_loader_rejects_container_parts_on_a_multinode_job():
    data = mpi_scenario()
    data["jobDefinitions"][1]["containerProperties"] = {"image": "x"}
    data["workload"][0]["submit"]["containerOverrides"] = {"vcpus": 2}
    problems = problems_of(data)
    assert "nodeRangeProperties[].container" in problems["jobDefinitions[1].containerProperties"]
    assert "takes nodeOverrides" in problems["workload[0].submit.containerOverrides"]


def test_a_job_the_floor_leaves_too_few_nodes_for_is_explained_and_the_run_ends():
    data = mpi_scenario(minvCpus=12, maxvCpus=12, instanceTypes=["c5.xlarge", "c5.2xlarge"])
    data["jobDefinitions"][1]["nodeProperties"]["nodeRangeProperties"][0]["container"][
        "instanceType"
    ] = "c5.xlarge"
    data["computeEnvironments"][0]["simulation"]["bootTime"] = "0s"
    result = run(data)
    # The floor holds a c5.2xlarge and a c5.xlarge (12 vCPUs, never scaled in): three
    # c5.xlarge nodes can never be alive at once.
    row = job(result, "m-1")
    assert row["status"] == "RUNNABLE"
    assert row["statusReason"].startswith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE")

"""Multi-container jobs (ecsProperties), their SubmitJob overrides and nodeOverrides,
hand-computed, and the loader's rules for them.

Base scenario (conftest.base_scenario): boot 100 s, image pull 20 s, container start 5 s,
runtime 600 s, scale-in after 300 s idle. c5.large: 2 vCPUs, 4096 MiB (3961.6 allocatable),
$0.085/h; c5.xlarge: 4 vCPUs, 8192 MiB, $0.17/h.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import base_scenario, job, run
from test_multinode import MPI

from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario


def container(name: str, vcpus: str, memory: str, **more) -> dict:
    requirements = [{"type": "VCPU", "value": vcpus}, {"type": "MEMORY", "value": memory}]
    return {"name": name, "image": f"img:{name}", "resourceRequirements": requirements, **more}


def ecs_scenario(*containers: dict, submit: dict | None = None, **definition) -> dict:
    """One job of a multi-container definition 'duo' on a CE of c5.large and c5.xlarge."""
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["instanceTypes"] = ["c5.large", "c5.xlarge"]
    data["jobDefinitions"].append(
        {
            "jobDefinitionName": "duo",
            "ecsProperties": {"taskProperties": [{"containers": list(containers)}]},
            "simulation": {"runtime": "600s", "startTime": "5s", "imagePullTime": "20s"},
            **definition,
        }
    )
    request = {"jobName": "e", "jobQueue": "q", "jobDefinition": "duo", **(submit or {})}
    data["workload"] = [{"name": "e", "submit": request}]
    return data


def test_a_task_reserves_the_sum_of_its_containers():
    data = ecs_scenario(
        container("main", "2", "2048"), container("side", "1", "512", essential=False)
    )
    result = run(data)
    row = job(result, "e-1")
    # 2 + 1 vCPUs and 2048 + 512 MiB: more than a c5.large's 2 vCPUs, so one c5.xlarge is
    # launched at 0, ready at 100; pull 20 s + start 5 s → RUNNING at 125, ends at 725.
    assert (row["vcpus"], row["memory"], row["instanceType"]) == (3, 2560, "c5.xlarge")
    assert (row["status"], row["startingAt"], row["startedAt"], row["stoppedAt"]) == (
        "SUCCEEDED",
        100,
        125,
        725,
    )
    (instance,) = result.instances.to_dict("records")
    # Billed from launch to scale-in 300 s after the job: 1025 s at $0.17/h.
    assert instance["terminatedAt"] == 1025
    assert instance["costUsd"] == pytest.approx(0.17 * 1025 / 3600, abs=1e-12)


def test_a_container_may_leave_a_resource_to_the_others():
    sidecar = {
        "name": "log",
        "image": "img:log",
        "resourceRequirements": [{"type": "VCPU", "value": "1"}],
    }
    row = job(run(ecs_scenario(container("main", "1", "1024"), sidecar)), "e-1")
    assert (row["vcpus"], row["memory"], row["instanceType"]) == (2, 1024, "c5.large")


def test_ecs_properties_override_replaces_one_containers_resources():
    containers = (container("main", "1", "1024"), container("side", "1", "1024"))
    assert job(run(ecs_scenario(*containers)), "e-1")["instanceType"] == "c5.large"
    # side's MEMORY 1024 → 3000: 4024 MiB in all, above a c5.large's 3961.6 allocatable.
    override = {
        "taskProperties": [
            {
                "containers": [
                    {"name": "side", "resourceRequirements": [{"type": "MEMORY", "value": "3000"}]}
                ]
            }
        ]
    }
    row = job(run(ecs_scenario(*containers, submit={"ecsPropertiesOverride": override})), "e-1")
    assert (row["vcpus"], row["memory"], row["instanceType"]) == (2, 4024, "c5.xlarge")


def test_an_unnamed_override_applies_to_the_only_container():
    override = {
        "taskProperties": [
            {"containers": [{"resourceRequirements": [{"type": "VCPU", "value": "3"}]}]}
        ]
    }
    row = job(
        run(
            ecs_scenario(container("main", "1", "1024"), submit={"ecsPropertiesOverride": override})
        ),
        "e-1",
    )
    assert (row["vcpus"], row["memory"], row["instanceType"]) == (3, 1024, "c5.xlarge")


def failing(after: str | None, exit_code: int) -> dict:
    failure: dict = {"probability": 1.0, "exitCode": exit_code}
    if after is not None:
        failure["after"] = after
    return {"failure": failure}


def test_the_first_essential_container_to_fail_ends_the_job():
    data = ecs_scenario(
        container("a", "1", "512", simulation=failing("300s", 4)),
        container("b", "1", "512", simulation=failing("200s", 5)),
    )
    row = job(run(data), "e-1")
    # b fails 200 s into RUNNING (125): ECS stops the task, the job fails with b's exit code.
    assert (row["status"], row["exitCode"], row["stoppedAt"]) == ("FAILED", 5, 325)


def test_an_essential_failure_without_after_comes_at_the_end_and_ties_go_to_the_job_model():
    data = ecs_scenario(
        container("a", "1", "512", simulation=failing(None, 9)),
        simulation={
            "runtime": "600s",
            "startTime": "5s",
            "imagePullTime": "20s",
            "failure": failing(None, 1)["failure"],
        },
    )
    row = job(run(data), "e-1")
    assert (row["status"], row["exitCode"], row["stoppedAt"]) == ("FAILED", 1, 725)
    data["jobDefinitions"][1]["simulation"].pop("failure")
    row = job(run(data), "e-1")
    assert (row["status"], row["exitCode"], row["stoppedAt"]) == ("FAILED", 9, 725)


def test_an_essential_failure_is_retried_like_a_container_failure():
    data = ecs_scenario(
        container("a", "2", "512", simulation=failing("100s", 3)), retryStrategy={"attempts": 2}
    )
    result = run(data)
    row = job(result, "e-1")
    # Attempt 1: RUNNING 125, fails at 225; attempt 2 on the same instance (image cached):
    # STARTING 225, start 5 s → RUNNING 230, fails at 330.
    assert (row["status"], row["attempts"], row["exitCode"], row["stoppedAt"]) == (
        "FAILED",
        2,
        3,
        330,
    )
    assert result.attempts["stoppedAt"].tolist() == [225, 330]


def test_a_tasks_images_are_pulled_once_per_instance():
    data = ecs_scenario(
        container("main", "1", "1024"), container("side", "1", "512", essential=False)
    )
    data["computeEnvironments"][0]["computeResources"].update(
        maxvCpus=2, instanceTypes=["c5.large"]
    )
    data["workload"][0]["count"] = 2
    first, second = (job(run(data), f"e-{n}") for n in (1, 2))
    # One c5.large runs one 2-vCPU task at a time. The first pulls both images (20 s): RUNNING
    # 125, ends 725. The second starts on the same instance at 725 with the images cached:
    # start 5 s → RUNNING 730, ends 1330.
    assert (first["startedAt"], first["stoppedAt"]) == (125, 725)
    assert (second["startingAt"], second["startedAt"], second["stoppedAt"]) == (725, 730, 1330)


# ----------------------------------------------------------------------------- nodeOverrides
def mpi_scenario(node_overrides: dict | None = None, **range_changes) -> dict:
    data = base_scenario()
    definition = copy.deepcopy(MPI)
    definition["nodeProperties"]["nodeRangeProperties"][0].update(range_changes)
    data["jobDefinitions"].append(definition)
    submit = {"jobName": "m", "jobQueue": "q", "jobDefinition": "mpi"}
    if node_overrides is not None:
        submit["nodeOverrides"] = node_overrides
    data["workload"] = [{"name": "m", "submit": submit}]
    return data


def test_node_overrides_num_nodes_sets_how_many_instances_the_job_holds():
    result = run(mpi_scenario({"numNodes": 2}))
    row = job(result, "m-1")
    # Two c5.large nodes instead of the definition's three, same timing as three would have.
    assert (row["numNodes"], row["startingAt"], row["startedAt"], row["stoppedAt"]) == (
        2,
        100,
        125,
        725,
    )
    assert len(result.instances) == 2
    assert result.instances["terminatedAt"].tolist() == [1025, 1025]


def test_node_override_resources_that_fit_the_node_type_run():
    overrides = {
        "nodePropertyOverrides": [
            {
                "targetNodes": "1:",
                "containerOverrides": {
                    "resourceRequirements": [{"type": "MEMORY", "value": "3900"}]
                },
            }
        ]
    }
    row = job(run(mpi_scenario(overrides)), "m-1")
    assert (row["numNodes"], row["status"], row["stoppedAt"]) == (3, "SUCCEEDED", 725)


def test_a_node_range_may_be_a_multi_container_task():
    task = {
        "taskProperties": [
            {"containers": [container("mpi", "1", "1024"), container("agent", "1", "1024")]}
        ]
    }
    data = mpi_scenario(ecsProperties=task, instanceTypes=["c5.large"])
    data["jobDefinitions"][1]["nodeProperties"]["nodeRangeProperties"][0].pop("container")
    parse_scenario(yaml.safe_dump(data))  # valid for the loader
    row = job(run(data), "m-1")
    assert (row["numNodes"], row["startedAt"], row["stoppedAt"]) == (3, 125, 725)


# ----------------------------------------------------------------------------- the loader
def problems(data: dict) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    return {p.path: p.message for p in caught.value.problems}


def test_ecs_properties_excludes_container_and_node_properties():
    data = ecs_scenario(container("main", "1", "1024"), containerProperties={"image": "x"})
    assert problems(data) == {
        "jobDefinitions[1].ecsProperties": "give ecsProperties or containerProperties, not both (AWS)"
    }
    data = mpi_scenario()
    data["jobDefinitions"][1]["ecsProperties"] = {
        "taskProperties": [{"containers": [container("main", "1", "1024")]}]
    }
    assert "per node range" in problems(data)["jobDefinitions[1].ecsProperties"]


def test_task_rules_names_essential_and_depends_on():
    data = ecs_scenario(
        container(
            "a",
            "1",
            "512",
            essential=False,
            dependsOn=[{"containerName": "b", "condition": "COMPLETE"}],
        ),
        container("a", "1", "512", essential=False, dependsOn=[{"containerName": "zz"}]),
        container("b", "1", "512", essential=False, simulation=failing(None, 2)),
    )
    found = problems(data)
    base = "jobDefinitions[1].ecsProperties.taskProperties[0].containers"
    assert found[f"{base}[1].name"] == "container name 'a' is also containers[0]"
    assert found[base].startswith("at least one container must be essential (AWS)")
    assert (
        found[f"{base}[1].dependsOn[0].containerName"]
        == "no container named 'zz' in this task (a, b)"
    )
    assert found[f"{base}[2].simulation.failure"].startswith(
        "a non-essential container's failure does not affect the job"
    )
    assert f"{base}[0].dependsOn[0].containerName" not in found  # b is not essential: allowed
    data["jobDefinitions"][1]["ecsProperties"]["taskProperties"][0]["containers"][2][
        "essential"
    ] = True
    data["jobDefinitions"][1]["ecsProperties"]["taskProperties"][0]["containers"][2].pop(
        "simulation"
    )
    message = problems(data)[f"{base}[0].dependsOn[0].containerName"]
    assert message.startswith("condition COMPLETE cannot be set on an essential container ('b')")


def test_task_must_give_vcpu_and_memory_somewhere():
    data = ecs_scenario(
        {"name": "a", "image": "i", "resourceRequirements": [{"type": "VCPU", "value": "1"}]}
    )
    message = problems(data)["jobDefinitions[1].ecsProperties.taskProperties[0].containers"]
    assert message.startswith("no container gives a MEMORY requirement")


def test_overrides_must_fit_the_definition():
    containers = (container("main", "1", "1024"), container("side", "1", "1024"))
    unknown = {"taskProperties": [{"containers": [{"name": "nope"}, {"resourceRequirements": []}]}]}
    found = problems(
        ecs_scenario(
            *containers,
            submit={"ecsPropertiesOverride": unknown, "containerOverrides": {"vcpus": 2}},
        )
    )
    base = "workload[0].submit.ecsPropertiesOverride.taskProperties[0].containers"
    assert found[f"{base}[0].name"] == "no container named 'nope' in the task (main, side)"
    assert found[f"{base}[1].name"] == "name the container to override (the task has 2)"
    assert found["workload[0].submit.containerOverrides"].startswith(
        "job definition 'duo' has ecsProperties"
    )
    data = base_scenario()
    data["workload"][0]["submit"]["ecsPropertiesOverride"] = {"taskProperties": []}
    data["workload"][0]["submit"]["nodeOverrides"] = {"numNodes": 2}
    found = problems(data)
    assert (
        found["workload[0].submit.ecsPropertiesOverride"]
        == "job definition 'work' has no ecsProperties: override it with containerOverrides"
    )
    assert found["workload[0].submit.nodeOverrides"].startswith(
        "nodeOverrides apply to multi-node parallel jobs"
    )


def test_fargate_task_sums_must_be_a_fargate_pair():
    data = ecs_scenario(
        container("a", "0.25", "512"),
        container("b", "0.5", "512"),
        platformCapabilities=["FARGATE"],
    )
    data["computeEnvironments"][0]["computeResources"] = {"type": "FARGATE", "maxvCpus": 16}
    message = problems(data)["workload[0].submit.jobDefinition"]
    assert message.startswith("Fargate does not offer 0.75 vCPU")


def test_num_nodes_override_follows_aws_rules():
    data = mpi_scenario({"numNodes": 2}, targetNodes="0:2")
    data["jobDefinitions"][1]["nodeProperties"]["mainNode"] = 2
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    assert [p.message for p in caught.value.problems] == [
        "numNodes can be overridden only when a node range of the job definition is open-ended ('n:')",
        "mainNode 2 is not one of the 2 nodes (0–1)",
        "node range '0:2' reaches beyond the 2 nodes (0–1)",
    ]
    data = mpi_scenario({"numNodes": 2})
    data["jobDefinitions"][1]["nodeProperties"]["mainNode"] = 2
    assert problems(data) == {
        "workload[0].submit.nodeOverrides.numNodes": "mainNode 2 is not one of the 2 nodes (0–1)"
    }


def test_node_override_targets_and_resources_are_checked():
    too_big = {"resourceRequirements": [{"type": "VCPU", "value": "4"}]}
    overrides = {
        "numNodes": 4,
        "nodePropertyOverrides": [
            {"targetNodes": "3", "containerOverrides": too_big},
            {"targetNodes": "4:5", "containerOverrides": {"vcpus": 1}},
            {"targetNodes": "0", "instanceTypes": ["c5.xlarge"]},
        ],
    }
    found = problems(mpi_scenario(overrides))
    base = "workload[0].submit.nodeOverrides.nodePropertyOverrides"
    assert found[f"{base}[0].containerOverrides"] == (
        "on the nodes of nodeRangeProperties[0]: a node needs 4 vCPUs and 2048 MiB; "
        "c5.large has 2 vCPUs and 3962 MiB allocatable"
    )
    assert found[f"{base}[1].targetNodes"] == "'4:5' is not a range of nodes 0–3"
    assert found[f"{base}[2]"].startswith("overriding the node instance type is not supported yet")


def test_node_overrides_of_a_multi_container_range():
    task = {
        "taskProperties": [
            {"containers": [container("mpi", "1", "1024"), container("agent", "1", "1024")]}
        ]
    }
    data = mpi_scenario(ecsProperties=task, instanceTypes=["c5.large"])
    data["jobDefinitions"][1]["nodeProperties"]["nodeRangeProperties"][0].pop("container")
    grow = {
        "taskProperties": [
            {
                "containers": [
                    {"name": "agent", "resourceRequirements": [{"type": "MEMORY", "value": "3000"}]}
                ]
            }
        ]
    }
    data["workload"][0]["submit"]["nodeOverrides"] = {
        "nodePropertyOverrides": [
            {"targetNodes": "0", "ecsPropertiesOverride": grow},
            {"targetNodes": "1", "containerOverrides": {"vcpus": 1}},
            {"targetNodes": "2", "consumableResourcePropertiesOverride": {}},
        ]
    }
    found = problems(data)
    base = "workload[0].submit.nodeOverrides.nodePropertyOverrides"
    # 1024 + 3000 = 4024 MiB, above a c5.large's 3961.6 allocatable.
    assert found[f"{base}[0].ecsPropertiesOverride"] == (
        "on the nodes of nodeRangeProperties[0]: a node needs 2 vCPUs and 4024 MiB; "
        "c5.large has 2 vCPUs and 3962 MiB allocatable"
    )
    assert (
        found[f"{base}[1].containerOverrides"]
        == "nodeRangeProperties[0] has ecsProperties: use ecsPropertiesOverride"
    )
    assert found[f"{base}[2].consumableResourcePropertiesOverride"].endswith(
        "not supported yet in this release"
    )
    assert len(found) == 3

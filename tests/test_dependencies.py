"""Job dependencies (dependsOn), hand-computed on the base scenario.

The base scenario (conftest.base_scenario): c5.large (2 vCPUs) instances boot in 100 s; a 2-vCPU
job pulls its image in 20 s (once per instance), starts in 5 s and runs 600 s. So a job placed on
a new instance at t=0 is STARTING at 100, RUNNING at 125 and SUCCEEDED at 725; a job placed at t
on an idle instance that has the image runs from t + 5 to t + 605.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import base_scenario, job, run

from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario

DEFINITION = {"jobName": "x", "jobQueue": "q", "jobDefinition": "work"}


def entry(name: str, depends: list | None = None, size: int | None = None, **more) -> dict:
    submit = {**DEFINITION, "jobName": name}
    if depends is not None:
        submit["dependsOn"] = depends
    if size is not None:
        submit["arrayProperties"] = {"size": size}
    return {"name": name, "submit": submit, **more}


def times(result, job_id: str) -> tuple:
    row = job(result, job_id)
    return row["runnableAt"], row["startingAt"], row["startedAt"], row["stoppedAt"], row["status"]


def test_a_job_waits_in_pending_until_its_dependency_succeeds():
    result = run(base_scenario(workload=[entry("a"), entry("b", [{"jobId": "a"}])]))
    assert times(result, "a-1") == (0, 100, 125, 725, "SUCCEEDED")
    b = job(result, "b-1")
    assert (b["pendingAt"], b["createdAt"]) == (0, 0)
    # RUNNABLE when a succeeds; a's instance is idle and has the image: 5 s to RUNNING.
    assert times(result, "b-1") == (725, 725, 730, 1330, "SUCCEEDED")


def test_fan_out_one_job_then_an_array():
    result = run(
        base_scenario(workload=[entry("prep"), entry("work", [{"jobId": "prep"}], size=3)])
    )
    children = [times(result, f"work-1:{i}") for i in range(3)]
    # Child 0 takes prep's idle instance; children 1 and 2 need new ones (ready 825, pull 20 s).
    assert children == [
        (725, 725, 730, 1330, "SUCCEEDED"),
        (725, 825, 850, 1450, "SUCCEEDED"),
        (725, 825, 850, 1450, "SUCCEEDED"),
    ]
    parent = job(result, "work-1")
    assert (parent["status"], parent["stoppedAt"]) == ("SUCCEEDED", 1450)


def test_fan_in_an_array_then_one_reduce_job():
    result = run(
        base_scenario(workload=[entry("map", size=3), entry("reduce", [{"jobId": "map"}])])
    )
    assert [times(result, f"map-1:{i}")[3] for i in range(3)] == [725, 725, 725]
    assert times(result, "reduce-1") == (725, 725, 730, 1330, "SUCCEEDED")


@pytest.mark.parametrize(("kind", "runnable"), [("N_TO_N", [725, 1330]), (None, [1330, 1330])])
def test_n_to_n_pairs_children_a_plain_dependency_waits_for_the_whole_array(kind, runnable):
    # One instance (maxvCpus 2): first's children run 100-725 and 725-1330.
    data = base_scenario(
        workload=[
            entry("first", size=2),
            entry("second", [{"jobId": "first", "type": kind}], size=2),
        ]
    )
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 2
    result = run(data)
    assert [times(result, f"first-1:{i}")[3] for i in range(2)] == [725, 1330]
    assert [job(result, f"second-1:{i}")["runnableAt"] for i in range(2)] == runnable


def test_sequential_children_run_one_after_another():
    result = run(base_scenario(workload=[entry("steps", [{"type": "SEQUENTIAL"}], size=3)]))
    assert [times(result, f"steps-1:{i}") for i in range(3)] == [
        (0, 100, 125, 725, "SUCCEEDED"),
        (725, 725, 730, 1330, "SUCCEEDED"),
        (1330, 1330, 1335, 1935, "SUCCEEDED"),
    ]
    assert len(result.instances) == 1


def test_a_failed_dependency_fails_its_dependents_down_the_graph():
    workload = [
        entry("a", failure={"probability": 1.0, "exitCode": 3}),
        entry("b", [{"jobId": "a"}]),
        entry("c", [{"jobId": "b"}], size=2),
        entry("d", [{"jobId": "c"}]),
    ]
    result = run(base_scenario(workload=workload))
    assert job(result, "a-1")["status"] == "FAILED"
    for job_id in ("b-1", "c-1:0", "c-1:1", "c-1", "d-1"):
        row = job(result, job_id)
        assert (row["status"], row["stoppedAt"]) == ("FAILED", 725), job_id
    for job_id in ("b-1", "c-1:0", "d-1"):
        assert job(result, job_id)["statusReason"] == "Dependent Job failed"
    assert set(result.attempts["jobId"]) == {"a-1"}  # dependents never ran


def test_a_dependency_already_done_releases_the_job_at_once():
    result = run(base_scenario(workload=[entry("a"), entry("b", [{"jobId": "a"}], at="2000s")]))
    assert times(result, "b-1")[:2] == (2000, 2100)  # a's instance scaled in at 1025: boot again


def test_a_sequential_array_of_10000_failing_children_cascades_without_recursion():
    data = base_scenario(workload=[entry("many", [{"type": "SEQUENTIAL"}], size=10000)])
    data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 1.0}
    result = run(data)
    assert (result.jobs["status"] == "FAILED").all() and len(result.attempts) == 1


@pytest.mark.parametrize(
    ("depends", "message"),
    [
        ([{"jobId": "nope"}], "unknown workload entry 'nope'"),
        ([{"jobId": "later"}], "'later' must be submitted before this entry"),
        ([{"jobId": "stream"}], "'stream' submits more than one job"),
        (
            [{"jobId": "a", "type": "N_TO_N"}],
            "N_TO_N pairs two arrays of the same size (no array here, no array in 'a')",
        ),
        ([{"type": "SEQUENTIAL"}], "SEQUENTIAL applies to array jobs"),
    ],
)
def test_dependency_rules_are_checked(depends, message):
    workload = [
        entry("a"),
        entry("stream", arrivals={"poisson": {"rate": "1/m"}, "until": "1h"}),
        entry("b", depends, at="10s"),
        entry("later", at="1h"),
    ]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(base_scenario(workload=workload)))
    (problem,) = caught.value.problems
    assert problem.path == "workload[2].submit.dependsOn[0]" and problem.message.startswith(message)


@pytest.mark.parametrize("fails", [False, True])
def test_n_to_n_on_an_array_that_ended_long_before_reads_each_childs_outcome(fails):
    # 'a' (two children) ends at 725; 'b' is submitted at 3000, long after: once an array has
    # ended its children are kept only as their final states, and each child of 'b' reads its
    # partner's. Both new instances boot again (a's idled out at 1025).
    data = base_scenario(
        workload=[
            entry("a", size=2),
            entry("b", [{"jobId": "a", "type": "N_TO_N"}], size=2, arrivals={"times": [3000]}),
        ]
    )
    if fails:
        data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 1, "exitCode": 3}
    result = run(data)
    for i in range(2):
        assert job(result, f"a-1:{i}")["status"] == ("FAILED" if fails else "SUCCEEDED")
        b = job(result, f"b-1:{i}")
        if fails:
            assert (b["status"], b["statusReason"], b["stoppedAt"]) == (
                "FAILED",
                "Dependent Job failed",
                3000,
            )
        else:
            assert times(result, f"b-1:{i}") == (3000, 3100, 3125, 3725, "SUCCEEDED")

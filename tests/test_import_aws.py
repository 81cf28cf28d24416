"""Pasted AWS objects and ``batchsim import-aws``, against shapes no one here wrote.

Two sources: botocore's own Batch examples (``examples-1.json``: the documented request and
response of each operation) and resources created through boto3 against moto's mocked Batch
and read back with ``describe_*``. Both are test dependencies.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import base_scenario, cli, run

import batchsim
from batchsim.aws_import import writer
from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario, parse_scenario_notes
from batchsim.scenario.pasted import arn_name

botocore = pytest.importorskip("botocore")
EXAMPLES = json.loads(
    (Path(botocore.__file__).parent / "data/batch/2016-08-10/examples-1.json").read_text()
)["examples"]
ARN = "arn:aws:batch:us-east-1:012345678910"


def example(operation: str, part: str = "output", index: int = 0) -> dict:
    """The ``part`` (input or output) of botocore's ``index``-th example of ``operation``."""
    return copy.deepcopy(EXAMPLES[operation][index][part])


def write_json(path: Path, value: object) -> str:
    path.write_text(json.dumps(value, indent=2))
    return str(path)


def imported(
    tmp_path: Path, *inputs: str, extra: tuple[str, ...] = ()
) -> tuple[int, str, str, str]:
    """Run import-aws on ``inputs`` into tmp_path/imported.yaml: (status, out, err, the text)."""
    target = tmp_path / "imported.yaml"
    status, out, err = cli("import-aws", *inputs, "-o", str(target), *extra)
    return status, out, err, target.read_text() if target.exists() else ""


def scenario_data(text: str) -> dict:
    return yaml.safe_load(text)


# ----------------------------------------------------------------------------- pasted objects
PASTED = f"""\
name: micro
computeEnvironments:
  - computeEnvironmentName: od
    computeEnvironmentArn: {ARN}:compute-environment/od
    ecsClusterArn: arn:aws:ecs:us-east-1:012345678910:cluster/od_Batch_1
    type: MANAGED
    state: ENABLED
    status: VALID
    statusReason: ComputeEnvironment Healthy
    uuid: 0b4a1c2e
    containerOrchestrationType: ECS
    updatePolicy: {{terminateJobsOnUpdate: false, jobExecutionTimeoutMinutes: 30}}
    computeResources: {{type: EC2, allocationStrategy: BEST_FIT_PROGRESSIVE, minvCpus: 0, maxvCpus: 16, instanceTypes: [c5.large]}}
    simulation: {{bootTime: 100s, scaleDownDelay: 300s}}
jobQueues:
  - jobQueueName: q
    jobQueueArn: {ARN}:job-queue/q
    priority: 1
    status: VALID
    statusReason: JobQueue Healthy
    computeEnvironmentOrder:
      - {{order: 1, computeEnvironment: "{ARN}:compute-environment/od"}}
jobDefinitions:
  - jobDefinitionName: work
    jobDefinitionArn: {ARN}:job-definition/work:4
    revision: 4
    status: ACTIVE
    containerOrchestrationType: ECS
    containerProperties:
      image: img:1
      resourceRequirements: [{{type: VCPU, value: "2"}}, {{type: MEMORY, value: "2048"}}]
    simulation: {{runtime: 600s, startTime: 5s, imagePullTime: 20s}}
workload:
  - name: a
    submit:
      jobName: a
      jobQueue: {ARN}:job-queue/q
      jobDefinition: {ARN}:job-definition/work:4
"""
"""base_scenario() as describe output shows it: read-only fields, ARNs, revision 4."""


def test_pasted_describe_output_validates_with_notes_and_runs_as_the_hand_written_scenario(
    tmp_path,
):
    path = tmp_path / "pasted.yaml"
    path.write_text(PASTED)
    status, out, err = cli("validate", str(path))
    assert status == 0 and out.startswith(f"{path}: valid scenario 'micro'")
    ignored = "(AWS returns them from {}; a create request does not take them)"
    notes = [line for line in err.splitlines() if line.startswith(f"{path}: note: ")]
    assert notes == [
        f"{path}: note: computeEnvironments[0].computeEnvironmentArn (line 4): ignored read-only fields "
        "computeEnvironmentArn, ecsClusterArn, status, statusReason, uuid, containerOrchestrationType, updatePolicy "
        + ignored.format("DescribeComputeEnvironments"),
        f"{path}: note: jobQueues[0].jobQueueArn (line 17): ignored read-only fields jobQueueArn, status, statusReason "
        + ignored.format("DescribeJobQueues"),
        f"{path}: note: jobQueues[0].computeEnvironmentOrder[0].computeEnvironment (line 22): ARN resolved to 'od'",
        f"{path}: note: jobDefinitions[0].jobDefinitionArn (line 25): ignored read-only fields "
        "jobDefinitionArn, revision, status, containerOrchestrationType " + ignored.format("DescribeJobDefinitions"),
        f"{path}: note: workload[0].submit.jobQueue (line 37): ARN resolved to 'q'",
        f"{path}: note: workload[0].submit.jobDefinition (line 38): ARN resolved to 'work:4'",
    ]  # fmt: skip
    pasted = parse_scenario(PASTED)
    assert pasted == parse_scenario(yaml.safe_dump(base_scenario()))
    assert run(pasted.model_dump()).summary == run(base_scenario()).summary


def test_run_prints_the_same_notes(tmp_path):
    path = tmp_path / "pasted.yaml"
    path.write_text(PASTED)
    status, _, err = cli("run", str(path), "-o", str(tmp_path / "out"), "-q", "--no-events")
    assert status == 0
    notes = [line for line in cli("validate", str(path))[2].splitlines() if ": note: " in line]
    assert err.splitlines() == notes and len(notes) == 6  # validate adds the doctor's warnings


def test_doctor_and_explain_print_the_same_notes(tmp_path):
    path = tmp_path / "pasted.yaml"
    path.write_text(PASTED)
    notes = [line for line in cli("validate", str(path))[2].splitlines() if ": note: " in line]
    for command in (["doctor", str(path)], ["explain", str(path)]):
        status, _, err = cli(*command)
        assert status == 0 and err.splitlines() == notes


def test_compare_sweep_and_plan_print_the_notes_once(tmp_path):
    path = tmp_path / "pasted.yaml"
    path.write_text(PASTED)
    notes = [line for line in cli("validate", str(path))[2].splitlines() if ": note: " in line]
    out = str(tmp_path / "out")
    commands = [
        ["compare", str(path), "--replications", "2", "-o", out, "-q"],
        ["sweep", str(path), "--vary", "computeEnvironments[0].computeResources.maxvCpus=16,32",
         "--replications", "2", "--workers", "1", "-o", out, "-q", "--replace"],
        ["plan", str(path), "--deadline", "10h", "--confidence", "0.5", "--vary",
         "computeEnvironments[0].computeResources.maxvCpus=16,32", "--workers", "1", "-o", out,
         "-q", "--replace"],
    ]  # fmt: skip
    for command in commands:
        _, _, err = cli(*command)
        assert [line for line in err.splitlines() if ": note: " in line] == notes, command[0]


def test_a_revision_the_pasted_definition_is_not_is_an_error_with_its_line():
    text = PASTED.replace(
        "jobDefinition: " + ARN + ":job-definition/work:4", "jobDefinition: work:1"
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("workload[0].submit.jobDefinition", 38)
    assert problem.message == (
        "job definition 'work' is revision 4 here (its pasted revision), so 'work:1' does not exist; "
        "use 'work' or 'work:4'"
    )


def test_actions_name_their_queue_and_compute_environment_by_arn_too():
    by_name = [
        {"at": "10s", "UpdateJobQueue": {"jobQueue": "q", "priority": 5}},
        {"at": "20s", "UpdateComputeEnvironment": {"computeEnvironment": "od", "state": "ENABLED"}},
    ]
    by_arn = copy.deepcopy(by_name)
    by_arn[0]["UpdateJobQueue"]["jobQueue"] = f"{ARN}:job-queue/q"
    by_arn[1]["UpdateComputeEnvironment"]["computeEnvironment"] = f"{ARN}:compute-environment/od"
    scenario, notes = parse_scenario_notes(yaml.safe_dump(base_scenario(actions=by_arn)))
    assert scenario == parse_scenario(yaml.safe_dump(base_scenario(actions=by_name)))
    assert [(note.path, note.message) for note in notes] == [
        ("actions[0].UpdateJobQueue.jobQueue", "ARN resolved to 'q'"),
        ("actions[1].UpdateComputeEnvironment.computeEnvironment", "ARN resolved to 'od'"),
    ]


def test_a_hand_typed_status_is_ignored_with_a_hint_at_state(tmp_path):
    data = base_scenario()
    data["computeEnvironments"][0]["status"] = "DISABLED"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    status, _, err = cli("validate", str(path))
    assert status == 0
    notes = [line for line in err.splitlines() if ": note: " in line]
    assert len(notes) == 1 and notes[0].endswith("'state' is what enables or disables it")


@pytest.mark.parametrize(
    ("value", "kind", "name"),
    [
        (f"{ARN}:compute-environment/C4OnDemand", "compute-environment", "C4OnDemand"),
        ("arn:aws-us-gov:batch:us-gov-west-1:012345678910:job-queue/q", "job-queue", "q"),
        (f"{ARN}:job-definition/sleep60:1", "job-definition", "sleep60:1"),
        (f"{ARN}:job-queue/q", "compute-environment", None),  # another resource type
        ("C4OnDemand", "compute-environment", None),
    ],
)
def test_arn_names(value, kind, name):
    assert arn_name(value, kind) == name


# ----------------------------------------------------------------------------- botocore's examples
def test_botocore_examples_import_verbatim_validate_and_run(tmp_path):
    """C4OnDemand (CreateComputeEnvironment's example), the HighPriority queue that names it by
    ARN (DescribeJobQueues) and sleep60 (DescribeJobDefinitions): the queue's ARN becomes the
    name, every AWS field is kept, and 10 one-vCPU jobs run on the c4 family."""
    create = example("CreateComputeEnvironment", "input")
    inputs = [
        write_json(tmp_path / "ce.json", create),
        write_json(tmp_path / "queues.json", example("DescribeJobQueues")),
        write_json(tmp_path / "definitions.json", example("DescribeJobDefinitions")),
    ]
    status, out, err, text = imported(tmp_path, *inputs)
    assert (status, err) == (0, "")
    assert out == (
        f"{tmp_path / 'imported.yaml'} written (1 compute environment, 1 job queue, 1 job definition, "
        "1 workload entry); edit the lines marked CHECK\n"
    )
    data = scenario_data(text)
    (ce,) = data["computeEnvironments"]
    assert {k: v for k, v in ce.items() if k != "simulation"} == create
    queue = example("DescribeJobQueues")["jobQueues"][0]
    for key in ("jobQueueArn", "status", "statusReason"):
        del queue[key]
    queue["computeEnvironmentOrder"][0]["computeEnvironment"] = "C4OnDemand"
    assert data["jobQueues"] == [queue]
    (definition,) = data["jobDefinitions"]
    described = example("DescribeJobDefinitions")["jobDefinitions"][0]
    assert definition["containerProperties"] == described["containerProperties"]
    assert set(definition) == {"jobDefinitionName", "type", "containerProperties", "simulation"}
    assert "  # read-only fields dropped: jobQueueArn, status VALID, statusReason\n" in text
    assert "  # read-only fields dropped: jobDefinitionArn, revision 1, status ACTIVE\n" in text
    assert "  # compute environment ARNs resolved to names: C4OnDemand\n" in text
    result = batchsim.simulate(parse_scenario(text))
    assert (result.summary["jobs_total"], result.summary["jobs_by_status"]["SUCCEEDED"]) == (10, 10)
    # the placeholder runtime (10m) is what each job ran
    assert set(result.jobs["stoppedAt"] - result.jobs["startedAt"]) == {600.0}


def test_the_whole_botocore_example_set_is_written_and_what_is_left_to_fix_is_listed(tmp_path):
    """DescribeComputeEnvironments' P2OnDemand asks for p2 (retired, not in the catalog) and
    CreateComputeEnvironment's M4Spot bids 20 % (below every m4 Spot price): the file is
    written, and both problems come with their lines in it."""
    documents = {
        "a": example("DescribeComputeEnvironments"),
        "b": [example("CreateComputeEnvironment", "input", i) for i in (0, 1)],
        "c": example("DescribeJobQueues"),
        "d": [example("RegisterJobDefinition", "input", i) for i in (0, 1)],
    }
    for name, document in documents.items():
        write_json(tmp_path / f"{name}.json", document)
    status, _, err, text = imported(tmp_path, str(tmp_path))  # the folder: its *.json in name order
    assert status == 2
    lines = text.splitlines()
    p2 = lines.index("      - p2") + 1
    bid = lines.index("      bidPercentage: 20") + 1
    target = tmp_path / "imported.yaml"
    assert err.splitlines() == [
        f"{target}: 2 problems in scenario:",
        f"  - computeEnvironments[0].computeResources.instanceTypes[0] (line {p2}): unknown instance type or family 'p2'",
        f"  - computeEnvironments[2].computeResources.bidPercentage (line {bid}): bidPercentage 20 is below the Spot "
        "price of every type (the cheapest is 33% of on-demand): nothing would ever launch",
    ]  # fmt: skip
    names = [d["jobDefinitionName"] for d in scenario_data(text)["jobDefinitions"]]
    assert names == ["sleep10", "sleep30"]


# ----------------------------------------------------------------------------- moto
def moto_account(tmp_path: Path) -> Path:
    """Create a set-up through boto3 against moto's mocked Batch, read it back with describe_*,
    and save the four outputs in tmp_path/aws: on-demand, Spot (both c5) and Fargate CEs, a
    queue naming the first two by ARN and a fair-share one the third, ``work`` registered three times with revision 3 deregistered, and
    ``small``, a Fargate definition."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    folder = tmp_path / "aws"
    folder.mkdir()
    with moto.mock_aws():
        ec2, iam = (
            boto3.client("ec2", region_name="us-east-1"),
            boto3.client("iam", region_name="us-east-1"),
        )
        batch = boto3.client("batch", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
        role = iam.create_role(RoleName="batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        profile = iam.create_instance_profile(InstanceProfileName="ecs")["InstanceProfile"]["Arn"]
        network = {"subnets": [subnet], "securityGroupIds": [group]}
        ondemand = batch.create_compute_environment(
            computeEnvironmentName="ondemand", type="MANAGED", state="ENABLED", serviceRole=role,
            computeResources={"type": "EC2", "minvCpus": 0, "maxvCpus": 16, "instanceTypes": ["c5"],
                              "instanceRole": profile, **network},
        )  # fmt: skip
        spot = batch.create_compute_environment(
            computeEnvironmentName="spot", type="MANAGED", state="ENABLED", serviceRole=role,
            computeResources={"type": "SPOT", "minvCpus": 0, "maxvCpus": 16, "instanceTypes": ["c5"],
                              "bidPercentage": 100, "allocationStrategy": "SPOT_CAPACITY_OPTIMIZED",
                              "instanceRole": profile, **network},
        )  # fmt: skip
        fargate = batch.create_compute_environment(
            computeEnvironmentName="fargate", type="MANAGED", state="ENABLED", serviceRole=role,
            computeResources={"type": "FARGATE", "maxvCpus": 8, **network},
        )  # fmt: skip
        batch.create_job_queue(jobQueueName="main", state="ENABLED", priority=10, computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": ondemand["computeEnvironmentArn"]},
            {"order": 2, "computeEnvironment": spot["computeEnvironmentArn"]}])  # fmt: skip
        fair = batch.create_scheduling_policy(name="fair", fairsharePolicy={
            "shareDecaySeconds": 3600, "shareDistribution": [{"shareIdentifier": "team*", "weightFactor": 0.5}]})  # fmt: skip
        batch.create_job_queue(jobQueueName="serverless", state="ENABLED", priority=1, schedulingPolicyArn=fair["arn"],
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": fargate["computeEnvironmentArn"]}])  # fmt: skip
        for vcpus in ("1", "2", "4"):
            requirements = [{"type": "VCPU", "value": vcpus}, {"type": "MEMORY", "value": "2048"}]
            arn = batch.register_job_definition(jobDefinitionName="work", type="container",
                containerProperties={"image": "busybox", "resourceRequirements": requirements})["jobDefinitionArn"]  # fmt: skip
        batch.deregister_job_definition(jobDefinition=arn)
        batch.register_job_definition(
            jobDefinitionName="small", type="container", platformCapabilities=["FARGATE"],
            containerProperties={"image": "busybox", "resourceRequirements": [
                {"type": "VCPU", "value": "0.5"}, {"type": "MEMORY", "value": "1024"}],
                "networkConfiguration": {"assignPublicIp": "ENABLED"}, "executionRoleArn": role},
        )  # fmt: skip
        for name, call in (("ces", batch.describe_compute_environments), ("queues", batch.describe_job_queues),
                           ("definitions", batch.describe_job_definitions),
                           ("policies", lambda: batch.describe_scheduling_policies(arns=[fair["arn"]]))):  # fmt: skip
            response = call()
            response.pop("ResponseMetadata")
            write_json(folder / f"{name}.json", response)
    return folder


def test_a_moto_account_imports_validates_and_runs(tmp_path):
    folder = moto_account(tmp_path)
    status, _, err, text = imported(tmp_path, str(folder))
    assert (status, err) == (0, "")
    data = scenario_data(text)
    assert [q["computeEnvironmentOrder"] for q in data["jobQueues"]] == [
        [
            {"order": 1, "computeEnvironment": "ondemand"},
            {"order": 2, "computeEnvironment": "spot"},
        ],
        [{"order": 1, "computeEnvironment": "fargate"}],
    ]
    # revision 2 of work is the latest ACTIVE one (3 was deregistered): 2 vCPUs
    definitions = {d["jobDefinitionName"]: d for d in data["jobDefinitions"]}
    assert sorted(definitions) == ["small", "work"]
    assert definitions["work"]["containerProperties"]["resourceRequirements"][0] == {
        "type": "VCPU",
        "value": "2",
    }
    assert "  # not imported: work revision 1 (ACTIVE) (--all-revisions keeps it)\n" in text
    assert "  # not imported: work revision 3 (INACTIVE) (--all-revisions keeps it)\n" in text
    # work goes to the highest-priority queue running EC2 jobs, small (Fargate) to serverless,
    # a fair-share queue: its policy's first share prefix, team*, gives the identifier
    assert data["workload"][1]["submit"]["shareIdentifier"] == "team"
    assert data["schedulingPolicies"] == [{"name": "fair", "fairsharePolicy": {
        "shareDecaySeconds": 3600, "computeReservation": 0,  # moto's describe adds the default
        "shareDistribution": [{"shareIdentifier": "team*", "weightFactor": 0.5}]}, "tags": {}}]  # fmt: skip
    assert "  # read-only fields dropped: arn\n" in text
    assert (
        data["jobQueues"][1]["schedulingPolicyArn"]
        == "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair"
    )
    queues = {entry["name"]: entry["submit"]["jobQueue"] for entry in data["workload"]}
    assert queues == {"work": "main", "small": "serverless"}
    result = batchsim.simulate(parse_scenario(text))
    # 10 jobs of 2 vCPUs at t=0: ondemand (maxvCpus 16) takes 8, the queue's next CE (spot) 2
    placed = result.jobs.groupby(["workload", "computeEnvironment"]).size().to_dict()
    assert placed == {("small", "fargate"): 10, ("work", "ondemand"): 8, ("work", "spot"): 2}
    assert (result.summary["jobs_total"], result.summary["jobs_by_status"]["SUCCEEDED"]) == (20, 20)


def test_all_revisions_keeps_the_older_ones_renamed(tmp_path):
    folder = moto_account(tmp_path)
    status, _, _, text = imported(
        tmp_path, str(folder), extra=("--all-revisions", "--name", "every")
    )
    assert status == 0
    data = scenario_data(text)
    assert data["name"] == "every"
    names = [d["jobDefinitionName"] for d in data["jobDefinitions"]]
    assert names == ["work-r1", "work", "work-r3", "small"]
    assert (
        "  # revision 3 (INACTIVE) of 'work', renamed (a scenario holds one definition per name)\n"
        in text
    )
    assert [entry["name"] for entry in data["workload"]] == ["work", "small"]


def test_an_import_is_the_same_bytes_every_time(tmp_path):
    folder = moto_account(tmp_path)
    first = imported(tmp_path, str(folder))[3]
    again = imported(tmp_path, str(folder), extra=("--replace",))[3]
    assert first == again


def test_an_unmanaged_compute_environment_gets_instances_to_check(tmp_path):
    """unmanagedvCpus 5 → ⌈5 / 2⌉ = 3 m5.large (2 vCPUs each), marked CHECK; 10 one-vCPU jobs
    of 600 s (the placeholder runtime) on 6 vCPUs run in two waves."""
    ce = {
        "computeEnvironmentName": "onprem",
        "type": "UNMANAGED",
        "unmanagedvCpus": 5,
        "state": "ENABLED",
    }
    queue = {
        "jobQueueName": "q",
        "priority": 1,
        "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "onprem"}],
    }
    inputs = [
        write_json(tmp_path / "ce.json", ce),
        write_json(tmp_path / "q.json", queue),
        write_json(tmp_path / "d.json", example("DescribeJobDefinitions")),
    ]  # fmt: skip
    status, _, err, text = imported(tmp_path, *inputs)
    assert (status, err) == (0, "")
    (written,) = scenario_data(text)["computeEnvironments"]
    assert written["simulation"]["instances"] == [{"instanceType": "m5.large", "count": 3}]
    assert (
        "    simulation:  # CHECK: not from AWS; the instances you register (type, count)\n" in text
    )
    # six start at 0 (image pull 20 s + start 5 s: running 25 → 625); four at 625 (image cached:
    # 630 → 1,230)
    jobs = batchsim.simulate(parse_scenario(text)).jobs
    assert sorted(zip(jobs["startingAt"], jobs["startedAt"], jobs["stoppedAt"], strict=True)) == (
        [(0.0, 25.0, 625.0)] * 6 + [(625.0, 630.0, 1230.0)] * 4
    )


def test_malformed_objects_are_problems_in_the_written_file_not_crashes(tmp_path):
    garbage = {
        "computeEnvironments": [{"computeEnvironmentName": ["x"], "computeResources": "EC2", "revision": "2"}],
        "jobQueues": [{"jobQueueName": "q", "priority": "high", "computeEnvironmentOrder": [1, {"computeEnvironment": {}}]}],
        "jobDefinitions": [{"jobDefinitionName": "d", "revision": "two", "platformCapabilities": 3}],
    }  # fmt: skip
    status, _, err, text = imported(tmp_path, write_json(tmp_path / "g.json", garbage))
    assert status == 2 and "internal error" not in err and text
    assert err.startswith(f"{tmp_path / 'imported.yaml'}: ")


def test_libyaml_writes_what_the_python_emitter_writes():
    """The writer uses libyaml's emitter when present (faster); its text must be the same."""
    fast = getattr(yaml, "CSafeDumper", None)
    if fast is None:
        pytest.skip("PyYAML without libyaml")
    definition = example("RegisterJobDefinition", "input", 1)
    definition["tags"]["Note"] = "ünïcode, a: colon, 'quotes' and a long line " + "x" * 120
    definition["parameters"] = {"empty": "", "number-like": "0128", "bool-like": "yes"}
    documents = [definition, example("DescribeComputeEnvironments"), example("DescribeJobQueues")]
    for document in documents:
        assert writer._dump(document, fast) == writer._dump(document, yaml.SafeDumper)


# ----------------------------------------------------------------------------- bad input
def test_bad_json_names_the_file_and_line(tmp_path):
    bad = tmp_path / "ces.json"
    bad.write_text('{\n  "computeEnvironments": [\n    {"computeEnvironmentName": "a",}\n  ]\n}\n')
    status, out, err, text = imported(tmp_path, str(bad))
    assert (status, out, text) == (2, "", "")
    assert err == (
        f"batchsim: {bad} (line 3, column 36): not valid JSON: Expecting property name enclosed in double quotes\n"
    )


def test_every_input_problem_is_reported_at_once(tmp_path):
    jobs = write_json(tmp_path / "jobs.json", {"jobs": []})
    odd = write_json(tmp_path / "odd.json", [{"name": "x"}])
    status, _, err, _ = imported(tmp_path, jobs, odd, str(tmp_path / "absent.json"))
    assert status == 2
    assert err.splitlines() == [f"batchsim: {tmp_path / 'absent.json'}: no such file or folder"]
    status, _, err, _ = imported(tmp_path, jobs, odd)
    assert err.splitlines() == [
        f"batchsim: {jobs}: unknown key 'jobs'; describe output has computeEnvironments, jobQueues, "
        "jobDefinitions, schedulingPolicies",
        f"{odd}: an object without computeEnvironmentName, jobQueueName or jobDefinitionName is not "
        "AWS Batch describe output",
    ]


def test_an_object_given_twice_is_refused(tmp_path):
    queues = example("DescribeJobQueues")
    first = write_json(tmp_path / "one.json", queues)
    second = write_json(tmp_path / "two.json", queues)
    status, _, err, _ = imported(tmp_path, first, second)
    assert status == 2
    assert err == f"batchsim: {second}: jobQueues 'HighPriority' is also in {first}; give it once\n"


def test_an_existing_file_is_kept_without_replace(tmp_path):
    (tmp_path / "imported.yaml").write_text("mine\n")
    queues = write_json(tmp_path / "q.json", example("DescribeJobQueues"))
    status, _, err, text = imported(tmp_path, queues)
    assert (status, text) == (2, "mine\n")
    assert err == f"batchsim: {tmp_path / 'imported.yaml'} exists; pass --replace to overwrite it\n"


def test_an_output_that_cannot_be_written_is_a_user_error(tmp_path):
    queues = write_json(tmp_path / "q.json", example("DescribeJobQueues"))
    target = tmp_path / "absent" / "imported.yaml"
    status, _, err = cli("import-aws", queues, "-o", str(target))
    assert (status, err) == (
        2,
        f"batchsim: {target}: cannot be written (No such file or directory)\n",
    )

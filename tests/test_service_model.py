"""The AWS Batch service model (botocore's service-2.json) is the checklist of the scenario format.

Every input member and enum value of the operations a scenario speaks must have one entry in
``batchsim.scenario.aws_fields.FIELDS``; the schema must accept exactly what the table accepts,
spelt as the model spells it; a modelled entry's test must exist; the docs show the table. The
last tests show, hand-computed, fields no other test file shows.
"""

from __future__ import annotations

import ast
import re
import typing
from types import UnionType

import pytest
import yaml
from conftest import REPO, base_scenario, cli, job, run
from pydantic import BaseModel

from batchsim.errors import ScenarioError
from batchsim.scenario import aws_fields, schema
from batchsim.scenario.aws_fields import FIELDS, OPERATIONS, SCHEMA_SHAPES, Support
from batchsim.scenario.loader import parse_scenario
from batchsim.scenario.shapes import resolve_shape

loaders = pytest.importorskip("botocore.loaders")
SHAPES = loaders.Loader().load_service_model("batch", "service-2")["shapes"]
OWN_KEYS = {
    "ComputeEnvironment": {"simulation"},
    "JobQueue": {"simulation"},
    "JobDefinition": {"simulation"},
    "TaskContainerProperties": {"simulation"},
}
"""Keys of batchsim's own on a model that mirrors an AWS shape (what AWS does not have)."""
CASE_INSENSITIVE = {"EvaluateOnExit.action"}  # AWS: "The values aren't case sensitive."


def _inner(name: str) -> str:
    shape = SHAPES[name]
    if shape["type"] == "list":
        return _inner(shape["member"]["shape"])
    return _inner(shape["value"]["shape"]) if shape["type"] == "map" else name


def model_paths() -> list[str]:
    """Every member and enum value the table must classify, walked from each operation's
    request: enum values of members the scenario accepts, structures of modelled members."""
    paths: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for member, ref in SHAPES[name]["members"].items():
            path, target = f"{name}.{member}", _inner(ref["shape"])
            paths.append(path)
            entry = FIELDS.get(path)
            if entry is None or entry.support is Support.NOT_SUPPORTED:
                continue
            paths.extend(f"{path}={value}" for value in SHAPES[target].get("enum", []))
            if entry.support is Support.MODELLED and SHAPES[target]["type"] == "structure":
                visit(target)

    for request, _, _ in OPERATIONS.values():
        visit(request)
    return paths


def test_every_field_and_enum_value_of_the_model_is_classified_once():
    paths = model_paths()
    missing = [path for path in paths if path not in FIELDS]
    assert not missing, f"classify these in batchsim/scenario/aws_fields.py: {missing}"
    stale = set(FIELDS) - set(paths)
    assert not stale, f"no longer in the service model (or not reachable): {sorted(stale)}"
    assert len(paths) == len(FIELDS) == 289  # botocore 1.44.18


def test_read_only_fields_are_the_described_members_the_request_lacks():
    """What describe-* returns beyond what the create request takes is read-only: the loader
    and import-aws drop exactly these members, and the list each scenario list takes them from
    is the one whose request the output shape answers."""
    service = loaders.Loader().load_service_model("batch", "service-2")
    requests = {where.removesuffix("[]"): request for request, where, _ in OPERATIONS.values()}
    for list_key, read_only in aws_fields.READ_ONLY.items():
        response = service["operations"][read_only.operation]["output"]["shape"]
        assert _inner(SHAPES[response]["members"][list_key]["shape"]) == read_only.shape
        output, request = SHAPES[read_only.shape]["members"], SHAPES[requests[list_key]]["members"]
        assert set(read_only.fields) == set(output) - set(request), list_key
        assert set(request) <= set(
            output
        )  # nothing a request takes is missing from describe output


def test_the_scenario_docs_list_the_read_only_fields():
    text = (REPO / "docs" / "scenario-format.md").read_text()
    for list_key, read_only in aws_fields.READ_ONLY.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{list_key}[]` |"))
        assert [f for f in read_only.fields if f"`{f}`" not in row] == [], list_key
        assert f"(`{read_only.shape}`)" in row


def test_the_operations_are_the_ones_a_scenario_speaks():
    operations = loaders.Loader().load_service_model("batch", "service-2")["operations"]
    for name, (request, _, _) in OPERATIONS.items():
        assert operations[name]["input"]["shape"] == request


def _test_functions() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (REPO / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        found[f"tests/{path.name}"] = names
    return found


def test_each_modelled_entry_names_a_test_that_exists():
    functions = _test_functions()
    entries = [*FIELDS.values(), *(entry for _, _, entry in OPERATIONS.values())]
    named = [entry.detail for entry in entries if entry.support is Support.MODELLED]
    absent = [
        test
        for test in named
        if test.partition("::")[2] not in functions.get(test.partition("::")[0], ())
    ]
    assert not absent, f"no such test: {absent}"


def _members(annotation: typing.Any) -> list[typing.Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, UnionType, list, dict):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _models() -> dict[str, type[BaseModel]]:
    return {name: getattr(schema, name) for name in SCHEMA_SHAPES}


@pytest.mark.parametrize("model_name", sorted(SCHEMA_SHAPES))
def test_schema_keys_are_the_model_s_members_and_accept_what_the_table_accepts(model_name):
    model = _models()[model_name]
    for shape in SCHEMA_SHAPES[model_name]:
        members = set(SHAPES[shape]["members"])
        foreign = set(model.model_fields) - members - OWN_KEYS.get(model_name, set())
        assert not foreign, f"{model_name} keys not spelt as {shape}'s members: {foreign}"
        for member in members:
            taken = FIELDS[f"{shape}.{member}"].support is not Support.NOT_SUPPORTED
            assert (member in model.model_fields) == taken, f"{shape}.{member}"


def _enum_fields() -> list[tuple[str, str, list[str], set[str]]]:
    """(model, path, the model's enum, the schema's literals) for each accepted enum member."""
    found = []
    for name, model in _models().items():
        for shape in SCHEMA_SHAPES[name]:
            for member, ref in SHAPES[shape]["members"].items():
                enum = SHAPES[_inner(ref["shape"])].get("enum")
                if enum and member in model.model_fields:
                    kinds = _members(model.model_fields[member].annotation)
                    literals = {
                        v
                        for k in kinds
                        if typing.get_origin(k) is typing.Literal
                        for v in typing.get_args(k)
                    }
                    found.append((name, f"{shape}.{member}", enum, literals))
    return found


@pytest.mark.parametrize(
    ("model", "path", "enum", "literals"), _enum_fields(), ids=lambda v: str(v)[:40]
)
def test_schema_enums_are_the_model_s_values_the_table_accepts(model, path, enum, literals):
    spelt = {value.upper() for value in literals} if path in CASE_INSENSITIVE else literals
    taken = {v for v in enum if FIELDS[f"{path}={v}"].support is not Support.NOT_SUPPORTED}
    assert spelt == taken


def test_refusals_come_from_the_table():
    for path, entry in FIELDS.items():
        shape, _, rest = path.partition(".")
        member, _, value = rest.partition("=")
        models = [name for name, shapes in SCHEMA_SHAPES.items() if shape in shapes]
        for model in models:
            message = aws_fields.refusal(model, member, value or None)
            if entry.support is Support.NOT_SUPPORTED:
                assert message is not None and message.endswith(entry.detail), path
            else:
                assert message is None, path


REFUSED = """\
name: refused
computeEnvironments:
  - computeEnvironmentName: od
    context: pasted
    ecsSettings: {containerInsights: ENABLED}
    eksConfiguration: {eksClusterArn: arn}
    computeResources: {type: ECS_MANAGED_INSTANCES, maxvCpus: 8, capacityTags: {team: a}}
jobQueues:
  - jobQueueName: q
    jobQueueType: SAGEMAKER_TRAINING
    computeEnvironmentOrder: [{order: 1, computeEnvironment: od}]
    jobStateTimeLimitActions:
      - {reason: "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", maxTimeSeconds: 600, action: TERMINATE}
jobDefinitions:
  - jobDefinitionName: work
    platformCapabilities: [MANAGED_INSTANCES]
    containerProperties:
      resourceRequirements: [{type: VCPU, value: "2"}, {type: MEMORY, value: "2048"}]
    simulation: {runtime: 600s}
workload:
  - name: a
    submit: {jobName: a, jobQueue: q, jobDefinition: work, eksPropertiesOverride: {}}
"""


def test_the_loader_refuses_what_the_table_does_not_support_with_path_and_line(tmp_path):
    path = tmp_path / "refused.yaml"
    path.write_text(REFUSED)
    status, _, err = cli("validate", str(path))
    assert status == 2 and "Traceback" not in err
    managed = FIELDS["ComputeResource.type=ECS_MANAGED_INSTANCES"].detail
    expected = [
        f"computeEnvironments[0].eksConfiguration (line 6): 'eksConfiguration' is not supported by batchsim: {aws_fields._EKS}",
        f"computeEnvironments[0].computeResources.type (line 7): 'ECS_MANAGED_INSTANCES' is not supported by batchsim: {managed}",
        "jobQueues[0].jobQueueType (line 10): 'SAGEMAKER_TRAINING' is not supported by batchsim: "
        + aws_fields._SERVICE_ENVIRONMENTS,
        "jobQueues[0].jobStateTimeLimitActions[0].action (line 13): 'TERMINATE' is not supported by batchsim: "
        + aws_fields._TERMINATE,
        f"jobDefinitions[0].platformCapabilities[0] (line 16): 'MANAGED_INSTANCES' is not supported by batchsim: {managed}",
        "workload[0].submit.eksPropertiesOverride (line 22): 'eksPropertiesOverride' is not supported by batchsim: "
        + aws_fields._EKS,
    ]
    assert [line.removeprefix("  - ") for line in err.splitlines()[1:]] == expected


def test_accepted_fields_without_effect_change_nothing():
    pasted = base_scenario()
    pasted["computeEnvironments"][0].update(
        context="c", ecsSettings={"containerInsights": "ENABLED"}
    )
    pasted["computeEnvironments"][0]["computeResources"]["capacityTags"] = {"team": "a"}
    pasted["jobQueues"][0]["jobQueueType"] = "ECS"
    update = {
        "computeEnvironment": "od",
        "serviceRole": "r",
        "computeResources": {"desiredvCpus": 4, "capacityTags": {"team": "a"}},
    }
    pasted["actions"] = [{"at": "10s", "UpdateComputeEnvironment": update}]
    assert run(pasted).summary == run(base_scenario()).summary


# ----------------------------------------------------------------------------- the docs
MARKERS = ("<!-- aws-fields:start -->\n", "<!-- aws-fields:end -->")


def test_the_scenario_docs_show_the_table_as_generated():
    text = (REPO / "docs" / "scenario-format.md").read_text()
    shown = text.split(MARKERS[0])[1].split(MARKERS[1])[0]
    assert shown == aws_fields.markdown(), "run: python3 -m batchsim.scenario.aws_fields --markdown"


def test_readme_states_the_coverage_figure():
    assert aws_fields.coverage_sentence() in re.sub(
        r"\s*\n\s*", " ", (REPO / "README.md").read_text()
    )


# ----------------------------------------------------------------------------- behaviour
def two_ces(**first) -> dict:
    """The base scenario with a second c5.large CE ``od2`` after ``od`` in the queue's order."""
    data = base_scenario()
    second = {**data["computeEnvironments"][0], "computeEnvironmentName": "od2"}
    data["computeEnvironments"][0].update(first)
    data["computeEnvironments"].append(second)
    data["jobQueues"][0]["computeEnvironmentOrder"].append(
        {"order": 2, "computeEnvironment": "od2"}
    )
    return data


def test_a_disabled_compute_environment_takes_no_jobs():
    assert job(run(two_ces()), "a-1")["computeEnvironment"] == "od"  # the first in order
    result = run(two_ces(state="DISABLED"))
    assert job(result, "a-1")["computeEnvironment"] == "od2"
    assert (job(result, "a-1")["startingAt"], job(result, "a-1")["stoppedAt"]) == (100, 725)


@pytest.mark.parametrize(
    ("states", "placed"), [(["DISABLED"], "od2"), (["DISABLED", "ENABLED"], "od")]
)
def test_update_compute_environment_state_moves_later_jobs(states, placed):
    """a runs on od (done 725; od's instance idles out at 1025); b comes at 2000."""
    data = two_ces()
    data["workload"].append(
        {"name": "b", "at": "2000s", "submit": {**data["workload"][0]["submit"], "jobName": "b"}}
    )
    data["actions"] = [
        {
            "at": f"{1500 + 100 * i}s",
            "UpdateComputeEnvironment": {"computeEnvironment": "od", "state": state},
        }
        for i, state in enumerate(states)
    ]
    result = run(data)
    assert job(result, "a-1")["computeEnvironment"] == "od"
    assert job(result, "b-1")["computeEnvironment"] == placed
    assert (job(result, "b-1")["startingAt"], job(result, "b-1")["stoppedAt"]) == (2100, 2725)


def test_raising_min_vcpus_launches_the_floor_at_once():
    data = base_scenario(actions=[{"at": "1000s", "UpdateComputeEnvironment": {
        "computeEnvironment": "od", "computeResources": {"minvCpus": 4}}}])  # fmt: skip
    instances = run(data).instances
    # a's c5.large (launched 0) idles from 725 and would go at 1025; at 1000 the floor of 4 vCPUs
    # keeps it and launches one more c5.large (2 vCPUs each); neither is scaled in.
    assert sorted(instances["launchedAt"].tolist()) == [0, 1000]
    assert instances["terminatedAt"].tolist() == [instances["terminatedAt"].max()] * 2


def test_a_queue_enabled_again_takes_submissions_again():
    data = base_scenario()
    data["actions"] = [
        {"at": "10s", "UpdateJobQueue": {"jobQueue": "q", "state": "DISABLED"}},
        {"at": "30s", "UpdateJobQueue": {"jobQueue": "q", "state": "ENABLED"}},
    ]
    submit = data["workload"][0]["submit"]
    data["workload"] += [
        {"name": "off", "at": "20s", "submit": {**submit, "jobName": "off"}},
        {"name": "on", "at": "40s", "submit": {**submit, "jobName": "on"}},
    ]
    assert run(data).jobs["jobId"].tolist() == ["a-1", "on-1"]


def test_raising_a_queue_priority_serves_it_first():
    """One c5.large (maxvCpus 2), ready at 100: a (queue lo, priority 5) from 0, x (lo) and
    y (queue hi, priority 1) from 50 s wait for it. Without the update lo's jobs go first; with
    hi raised to 9 at 60 s, y takes the instance at 100."""

    def order(actions: list[dict]) -> list[str]:
        data = base_scenario(actions=actions)
        data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 2
        order = [{"order": 1, "computeEnvironment": "od"}]
        data["jobQueues"] = [
            {"jobQueueName": "lo", "priority": 5, "computeEnvironmentOrder": order},
            {"jobQueueName": "hi", "priority": 1, "computeEnvironmentOrder": order},
        ]
        data["workload"] = [
            {
                "name": name,
                "at": at,
                "submit": {"jobName": name, "jobQueue": queue, "jobDefinition": "work"},
            }
            for name, at, queue in (("a", "0s", "lo"), ("x", "50s", "lo"), ("y", "50s", "hi"))
        ]
        jobs = run(data).jobs.sort_values("startingAt")
        return jobs["jobId"].tolist()

    assert order([]) == ["a-1", "x-1", "y-1"]
    assert order([{"at": "60s", "UpdateJobQueue": {"jobQueue": "hi", "priority": 9}}]) == [
        "y-1",
        "a-1",
        "x-1",
    ]


def test_a_definition_scheduling_priority_orders_a_share():
    """Fair share on one c5.large (2 jobs of 1 vCPU at once): two low jobs at 0 take both slots;
    at 100 the later high-priority definition's job goes before the third low job."""
    data = base_scenario()
    data["jobQueues"][0]["schedulingPolicyArn"] = "fair"
    data["schedulingPolicies"] = [{"name": "fair"}]
    data["computeEnvironments"][0]["computeResources"].update(minvCpus=2, maxvCpus=2)
    work = data["jobDefinitions"][0]
    work["containerProperties"]["resourceRequirements"][0]["value"] = "1"
    work["containerProperties"]["resourceRequirements"][1]["value"] = "1024"
    work["simulation"] = {"runtime": "100s", "startTime": "0s", "imagePullTime": "0s"}
    data["jobDefinitions"].append({**work, "jobDefinitionName": "urgent", "schedulingPriority": 10})
    submit = {"jobQueue": "q", "shareIdentifier": "A"}
    data["workload"] = [
        {
            "name": "low",
            "count": 3,
            "submit": {**submit, "jobName": "low", "jobDefinition": "work"},
        },
        {
            "name": "high",
            "at": "10s",
            "submit": {**submit, "jobName": "high", "jobDefinition": "urgent"},
        },
    ]
    jobs = run(data).jobs.set_index("jobId")["startingAt"]
    assert (jobs["low-1"], jobs["low-2"], jobs["high-1"], jobs["low-3"]) == (0, 0, 100, 100)


def test_submit_job_fields_win_over_the_definition():
    data = base_scenario()
    data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 1.0, "exitCode": 3}
    data["jobDefinitions"][0]["timeout"] = {"attemptDurationSeconds": 60}
    data["workload"][0]["submit"].update(
        jobName="renamed", retryStrategy={"attempts": 2}, timeout={"attemptDurationSeconds": 7200}
    )
    result = run(data)
    a = job(result, "a-1")
    assert (a["jobName"], a["status"], a["attempts"]) == ("renamed", "FAILED", 2)
    # 600 s each (no 60 s timeout); the retry on the same instance skips the pull: 725 + 5 + 600
    assert result.attempts["stoppedAt"].tolist() == [725, 1330]


def test_deprecated_vcpus_and_memory_size_the_job():
    data = base_scenario()
    data["jobDefinitions"][0]["containerProperties"] = {"vcpus": 2, "memory": 3000}
    scenario = parse_scenario(yaml.safe_dump(data))
    shape = resolve_shape(scenario.jobDefinitions[0], scenario.workload[0])
    assert (shape.vcpus, shape.memory_mib, shape.gpus) == (2, 3000.0, 0)
    data["workload"][0]["submit"]["containerOverrides"] = {"vcpus": 1}
    scenario = parse_scenario(yaml.safe_dump(data))
    shape = resolve_shape(scenario.jobDefinitions[0], scenario.workload[0])
    assert (shape.vcpus, shape.memory_mib) == (1, 3000.0)


def test_platform_capabilities_must_match_the_queue():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"] = {"type": "FARGATE", "maxvCpus": 16}
    data["jobDefinitions"][0]["platformCapabilities"] = ["EC2"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    (problem,) = caught.value.problems
    assert problem.path == "workload[0].submit.jobQueue"
    assert problem.message == (
        "job definition 'work' is for EC2 (platformCapabilities) but queue 'q' runs on FARGATE compute environments"
    )


def lifetimes(result) -> list[tuple]:
    """(type, launchedAt, terminatedAt, endReason) of every instance."""
    columns = ["instanceType", "launchedAt", "terminatedAt", "endReason"]
    return [tuple(row) for row in result.instances[columns].itertuples(index=False)]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("subnets", ["subnet-2"]),
        ("securityGroupIds", ["sg-2"]),
        ("ec2KeyPair", "key-2"),
        ("instanceRole", "ecsInstanceRole2"),
        ("tags", {"team": "b"}),
        ("placementGroup", "pg-2"),
        ("launchTemplate", {"launchTemplateName": "lt-2"}),
        ("ec2Configuration", [{"imageType": "ECS_AL2023"}]),
        ("imageId", "ami-2"),
        ("updateToLatestImageVersion", True),
    ],
)
def test_a_setting_of_no_other_effect_still_replaces_the_instances(key, value):
    """AWS makes any of these an infrastructure update. a's c5.large, launched at 0 and still
    booting, is replaced at 10 s (billed the 60 s minimum); the new one is ready at 110, a runs
    110 → 735 and the instance scales in at 1,035."""
    update = {"computeEnvironment": "od", "computeResources": {key: value}}
    result = run(base_scenario(actions=[{"at": "10s", "UpdateComputeEnvironment": update}]))
    assert lifetimes(result) == [
        ("c5.large", 0, 10, "infrastructure_update"),
        ("c5.large", 10, 1035, "scale_in"),
    ]
    assert (job(result, "a-1")["startingAt"], job(result, "a-1")["stoppedAt"]) == (110, 735)
    cost = (60 + 1025) * 0.085 / 3600
    assert result.summary["total_cost_usd"] == pytest.approx(cost, rel=1e-9)


SPOT_TYPES = ["m5.large", "c5.xlarge", "c5.large"]


@pytest.mark.parametrize(
    ("kind", "types", "created", "updated", "first", "second"),
    [
        # [m5, c5] in order: a gets an m5.large; progressive then takes the cheapest, c5.large.
        ("EC2", ["m5", "c5"], "BEST_FIT_PROGRESSIVE_ORDERED", "BEST_FIT_PROGRESSIVE", "m5.large", "c5.large"),
        # Advisor buckets: m5.large 3, c5.xlarge 0, c5.large 0. Prioritized keeps bucket 0 and
        # then the list order (c5.xlarge); capacity-optimized keeps bucket 0 and takes the
        # cheapest for one job (c5.large, Spot $0.085 × 0.41 = $0.03485/h); price-capacity-
        # optimized keeps the two lowest buckets present (0 and 3) and takes m5.large
        # ($0.096 × 0.34 = $0.03264/h).
        ("SPOT", SPOT_TYPES, "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED", "SPOT_CAPACITY_OPTIMIZED", "c5.xlarge", "c5.large"),
        ("SPOT", SPOT_TYPES, "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED", "c5.xlarge", "m5.large"),
        ("SPOT", SPOT_TYPES, "SPOT_CAPACITY_OPTIMIZED", "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED", "c5.large", "c5.xlarge"),
    ],
)  # fmt: skip
def test_an_allocation_strategy_update_applies_to_later_launches(
    kind, types, created, updated, first, second
):
    """a (t=0) runs on what ``created`` picks; at 200 ``updated`` replaces it: the old instance
    takes no new job and ends with a at 725; b (t=300) gets what ``updated`` picks, launched at
    300, ready 400, done 1,025, scaled in at 1,325. Spot is never reclaimed here."""
    data = base_scenario()
    ce = data["computeEnvironments"][0]
    ce["computeResources"].update(type=kind, allocationStrategy=created, instanceTypes=types)
    if kind == "SPOT":
        ce["simulation"]["spot"] = {"interruptionRate": "0/h"}
    submit = {"jobName": "b", "jobQueue": "q", "jobDefinition": "work"}
    data["workload"].append({"name": "b", "at": "300s", "submit": submit})
    update = {"computeEnvironment": "od", "computeResources": {"allocationStrategy": updated}}
    data["actions"] = [{"at": "200s", "UpdateComputeEnvironment": update}]
    assert lifetimes(run(data)) == [
        (first, 0, 725, "infrastructure_update"),
        (second, 300, 1325, "scale_in"),
    ]


def test_the_limits_a_scenario_meets_are_the_model_s():
    # botocore gives min/max on few shapes; those a scenario speaks are checked with the same
    # bounds: tags (TagrisTagsMap, TagKey, TagValue) and updatePolicy's timeout.
    from batchsim.scenario import checks

    assert SHAPES["TagrisTagsMap"]["max"] == checks.MAX_TAGS
    assert (SHAPES["TagKey"]["min"], SHAPES["TagKey"]["max"]) == checks.TAG_KEY_LENGTH
    assert SHAPES["TagValue"]["max"] == checks.TAG_VALUE_MAX_LENGTH
    timeout = schema.UpdatePolicy.model_fields["jobExecutionTimeoutMinutes"].metadata
    ge = next(m.ge for m in timeout if hasattr(m, "ge"))
    le = next(m.le for m in timeout if hasattr(m, "le"))
    limits = SHAPES["JobExecutionTimeoutMinutes"]
    assert (ge, le) == (limits["min"], limits["max"])

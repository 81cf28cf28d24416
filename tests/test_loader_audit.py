"""The audit's validation gaps (issue 10, items 8 and 9): AWS's own limits and clear messages.

Each case breaks one thing in a small valid scenario and asserts the exact problem: its path,
its YAML line and its words. AWS's rules come from the Batch API reference (SubmitJob,
RetryStrategy, EvaluateOnExit, ComputeResource), its service quotas and tag restrictions.
"""

from __future__ import annotations

import io

import pytest

from batchsim.cli import ExitStatus, main
from batchsim.errors import Problem, ScenarioError
from batchsim.scenario import parse_scenario
from batchsim.scenario.overrides import apply_overrides
from batchsim.scenario.units import parse_duration, parse_memory_mib, parse_rate
from batchsim.scenario.yamlmap import MAX_DEPTH, load_value, load_yaml

BASE = """\
name: audit
computeEnvironments:
  - computeEnvironmentName: od
    computeResources: {type: EC2, maxvCpus: 16, instanceTypes: [c5.large]}
jobQueues:
  - jobQueueName: q
    computeEnvironmentOrder: [{order: 1, computeEnvironment: od}]
jobDefinitions:
  - jobDefinitionName: work
    containerProperties:
      resourceRequirements: [{type: VCPU, value: "2"}, {type: MEMORY, value: "2048"}]
    retryStrategy: {attempts: 2}
    simulation: {runtime: 10m}
workload:
  - name: a
    submit: {jobName: a, jobQueue: q, jobDefinition: work}
"""
CR = "computeEnvironments[0].computeResources"
RETRY = "jobDefinitions[0].retryStrategy"
SUBMIT = "workload[0].submit"


def problems(text: str, overrides: list[str] = ()) -> list[Problem]:
    """Parse ``text`` (with ``overrides``), expect a ScenarioError and return its problems."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, overrides=list(overrides))
    return caught.value.problems


def only(text: str, overrides: list[str] = ()) -> Problem:
    """The one problem of ``text``."""
    (problem,) = problems(text, overrides)
    return problem


def test_base_is_valid():
    assert parse_scenario(BASE).workload[0].submit.jobName == "a"


# ----------------------------------------------------------------------------- item 8
@pytest.mark.parametrize("name", ["-a", "_a", "a b", "a.b", "a/b", "é", "a:1"])
def test_job_names_follow_submit_jobs_rule(name):
    problem = only(BASE, [f"{SUBMIT}.jobName='{name}'"])
    assert problem.path == f"{SUBMIT}.jobName"
    assert problem.message == (
        "a job name is up to 128 letters, digits, hyphens (-) and underscores (_), starting "
        f"with a letter or digit, got {name!r} (value from --set)"
    )


@pytest.mark.parametrize("name", ["a", "A-1_b", "7days", "x" * 128])
def test_legal_job_names_pass(name):
    assert (
        parse_scenario(BASE, overrides=[f"{SUBMIT}.jobName={name}"]).workload[0].submit.jobName
        == name
    )


def test_a_129_character_job_name_is_refused():
    assert only(BASE, [f"{SUBMIT}.jobName={'x' * 129}"]).message.startswith(
        "must have at most 128 characters"
    )


def test_evaluate_on_exit_needs_attempts():
    text = BASE.replace("{attempts: 2}", "{evaluateOnExit: [{onExitCode: '1', action: EXIT}]}")
    problem = only(text)
    assert (problem.path, problem.line) == (f"{RETRY}.evaluateOnExit", 12)
    assert problem.message == (
        "evaluateOnExit needs attempts beside it (AWS requires both); give attempts: 1–10"
    )
    on_submit = f"{SUBMIT}.retryStrategy={{evaluateOnExit: [{{onReason: '*', action: EXIT}}]}}"
    assert only(BASE, [on_submit]).path == f"{SUBMIT}.retryStrategy.evaluateOnExit"


@pytest.mark.parametrize(
    ("field", "pattern", "message"),
    [
        ("onStatusReason", "Host EC2 (instance i-*", "'Host EC2 (instance i-*' has '(' '-'"),
        ("onReason", "Essential_container*", "'Essential_container*' has '_'"),
        ("onReason", "", "onReason is a pattern of 1–512 characters; leave it out to match anything"),
        ("onExitCode", "1-3", "onExitCode may hold only digits, optionally ending in '*', got '1-3'"),
        ("onExitCode", "١", "onExitCode may hold only digits, optionally ending in '*', got '١'"),
    ],
)  # fmt: skip
def test_evaluate_on_exit_patterns_hold_only_awss_characters(field, pattern, message):
    rule = f"{RETRY}.evaluateOnExit=[{{{field}: '{pattern}', action: RETRY}}]"
    problem = only(BASE, [rule])
    assert problem.path == f"{RETRY}.evaluateOnExit[0].{field}"
    assert message in problem.message


@pytest.mark.parametrize(
    ("field", "pattern"),
    [("onStatusReason", "Host EC2*"), ("onReason", "Out\tof memory: 137*"), ("onReason", "*"),
     ("onExitCode", "*"), ("onExitCode", "13*"), ("onStatusReason", "Échec.")],
)  # fmt: skip
def test_legal_patterns_pass(field, pattern):
    rule = f'{RETRY}.evaluateOnExit=[{{{field}: "{pattern}", action: RETRY}}]'
    strategy = parse_scenario(BASE, overrides=[rule]).jobDefinitions[0].retryStrategy
    assert getattr(strategy.evaluateOnExit[0], field) == pattern


def _many(key: str, item: str, count: int) -> str:
    return f"{key}=[" + ", ".join(item.format(i=i) for i in range(count)) + "]"


def test_at_most_50_job_queues():
    queues = (
        "{{jobQueueName: q{i}, computeEnvironmentOrder: [{{order: 1, computeEnvironment: od}}]}}"
    )
    found = problems(
        BASE.replace("jobQueue: q,", "jobQueue: q0,"), [_many("jobQueues", queues, 51)]
    )
    assert [(p.path, p.message) for p in found] == [(
        "jobQueues[50]",
        "AWS Batch allows at most 50 job queues per Region (a fixed quota); this scenario has 51 "
        "(value from --set)",
    )]  # fmt: skip
    fifty = parse_scenario(
        BASE.replace("jobQueue: q,", "jobQueue: q0,"), overrides=[_many("jobQueues", queues, 50)]
    )
    assert len(fifty.jobQueues) == 50


def test_at_most_50_compute_environments():
    ces = "{{computeEnvironmentName: c{i}, computeResources: {{type: EC2, maxvCpus: 2, instanceTypes: [c5.large]}}}}"
    overrides = [
        _many("computeEnvironments", ces, 51),
        "jobQueues[0].computeEnvironmentOrder[0].computeEnvironment=c0",
    ]
    problem = only(BASE, overrides)
    assert problem.path == "computeEnvironments[50]"
    assert (
        "at most 50 compute environments per Region (a fixed quota); this scenario has 51"
        in problem.message
    )


def _tags(count: int) -> str:
    return "{" + ", ".join(f"k{i}: v" for i in range(count)) + "}"


@pytest.mark.parametrize(
    "path",
    ["jobDefinitions[0].tags", f"{SUBMIT}.tags", "jobQueues[0].tags", "computeEnvironments[0].tags",
     f"{CR}.tags"],
)  # fmt: skip
def test_at_most_50_tags_per_resource(path):
    problem = only(BASE, [f"{path}={_tags(51)}"])
    assert (problem.path, problem.message) == (
        path,
        "AWS allows at most 50 tags per resource, got 51 (value from --set)",
    )
    parse_scenario(BASE, overrides=[f"{path}={_tags(50)}"])  # 50 are allowed: no ScenarioError


def test_tags_are_a_mapping_of_text():
    assert only(BASE, ["jobDefinitions[0].tags=[a, b]"]).message.startswith(
        "tags is a mapping of tag keys to values (key: value), got ['a', 'b']"
    )
    assert (
        "its value is text of at most 256"
        in only(BASE, [f"jobDefinitions[0].tags={{k: {'v' * 257}}}"]).message
    )


def test_keys_of_free_form_maps_are_not_checked_as_tags_or_environment():
    # parameters is the user's own map: its keys tags and environment are names, not AWS fields.
    text = BASE.replace(
        "    retryStrategy",
        "    parameters: {tags: nightly, environment: AWS_BATCH_X}\n    retryStrategy",
    )
    assert parse_scenario(text).jobDefinitions[0].parameters == {
        "tags": "nightly",
        "environment": "AWS_BATCH_X",
    }
    # The definition's own tags field is still checked beside it.
    assert only(text, ["jobDefinitions[0].tags=[a, b]"]).path == "jobDefinitions[0].tags"


@pytest.mark.parametrize(
    ("path", "where"),
    [("jobDefinitions[0].containerProperties.environment", "jobDefinitions[0].containerProperties.environment[1].name"),
     (f"{SUBMIT}.containerOverrides.environment", f"{SUBMIT}.containerOverrides.environment[1].name")],
)  # fmt: skip
def test_environment_variables_may_not_start_with_aws_batch(path, where):
    variables = "[{name: MY_VAR, value: '1'}, {name: AWS_BATCH_JOB_ID, value: x}]"
    problem = only(BASE, [f"{path}={variables}"])
    assert (problem.path, problem.message) == (
        where,
        "environment variable names starting with AWS_BATCH are reserved for the variables AWS "
        "Batch sets; rename 'AWS_BATCH_JOB_ID' (value from --set)",
    )


def test_spot_best_fit_needs_a_spot_fleet_role():
    role = "arn:aws:iam::123456789012:role/AmazonEC2SpotFleetTaggingRole"
    message = (
        "a SPOT compute environment with allocationStrategy BEST_FIT (the default) needs "
        "spotIamFleetRole, the Spot Fleet role's ARN (AWS requires it; batchsim does not use "
        "it), or another allocationStrategy"
    )
    default = only(BASE, [f"{CR}.type=SPOT"])
    assert (default.path, default.message, default.line) == (CR, message, 4)
    given = only(BASE, [f"{CR}.type=SPOT", f"{CR}.allocationStrategy=BEST_FIT"])
    assert given.path == f"{CR}.allocationStrategy"
    for fix in (
        f"{CR}.spotIamFleetRole={role}",
        f"{CR}.allocationStrategy=SPOT_CAPACITY_OPTIMIZED",
    ):
        spot = parse_scenario(BASE, overrides=[f"{CR}.type=SPOT", fix])
        assert spot.computeEnvironments[0].computeResources.type == "SPOT"


def test_a_revision_that_does_not_exist_is_refused_naming_what_exists():
    problem = only(BASE.replace("jobDefinition: work}", "jobDefinition: 'work:7'}"))
    assert (problem.path, problem.line) == (f"{SUBMIT}.jobDefinition", 16)
    assert problem.message == (
        "job definition 'work' has only revision 1 here (each jobDefinitions entry is revision "
        "1), so 'work:7' does not exist; use 'work' or 'work:1'"
    )
    assert "'work:0' does not exist" in only(BASE, [f"{SUBMIT}.jobDefinition=work:0"]).message


def test_attempts_true_is_not_one():
    problem = only(BASE.replace("{attempts: 2}", "{attempts: true}"))
    assert (problem.path, problem.line, problem.message) == (
        f"{RETRY}.attempts",
        12,
        "must be a whole number, got true",
    )


@pytest.mark.parametrize(
    ("assignment", "path", "message"),
    [("workload[0].count=true", "workload[0].count", "must be a whole number, got true"),
     (f"{CR}.maxvCpus=false", f"{CR}.maxvCpus", "must be a whole number, got false"),
     ("workload[0].failure={probability: true}", "workload[0].failure.probability", "must be a number, got true"),
     ("jobDefinitions[0].containerProperties.resourceRequirements[0].value=true",
      "jobDefinitions[0].containerProperties.resourceRequirements[0].value",
      "must be a string, a whole number or a number, got true"),
     ("simulation.stopAt=true", "simulation.stopAt", "a duration cannot be true/false")],
)  # fmt: skip
def test_no_number_field_reads_true_as_one(assignment, path, message):
    problem = only(BASE, [assignment])
    assert (problem.path, problem.message) == (path, f"{message} (value from --set)")


def test_poisson_arrivals_must_end_after_they_start():
    arrivals = "workload[0].arrivals={poisson: {rate: 30/h}, start: 2h, until: 1h}"
    problem = only(BASE, [arrivals])
    assert (problem.path, problem.message) == (
        "workload[0].arrivals",
        "until (3600 s) must come after start (7200 s): no arrival could happen (value from --set)",
    )
    assert (
        "until (3600 s) must come after start (3600 s)"
        in only(BASE, [arrivals.replace("2h", "1h")]).message
    )


# ----------------------------------------------------------------------------- item 9
def test_a_self_dependency_says_so():
    problem = only(
        BASE.replace("jobDefinition: work}", "jobDefinition: work, dependsOn: [{jobId: a}]}")
    )
    assert (problem.path, problem.line) == (f"{SUBMIT}.dependsOn[0]", 16)
    assert problem.message == (
        "this entry depends on itself ('a' is its own name); a job cannot wait for itself"
    )


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [(parse_duration, "-10m", "'-10m' is negative; durations must be ≥ 0"),
     (parse_duration, -3, "-3 is negative; durations must be ≥ 0"),
     (parse_rate, "-30/h", "'-30/h' is negative; rates must be ≥ 0"),
     (parse_memory_mib, "-8GiB", "'-8GiB' is negative; memory sizes must be ≥ 0")],
)  # fmt: skip
def test_a_negative_quantity_names_its_sign(parse, text, message):
    with pytest.raises(ValueError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_a_negative_runtime_in_a_scenario():
    problem = only(BASE + "    runtime: -10m\n")
    assert (problem.path, problem.line, problem.message) == (
        "workload[0].runtime",
        17,
        "'-10m' is negative; durations must be ≥ 0",
    )
    assert parse_duration("+5m") == 300.0


@pytest.mark.parametrize(
    ("key", "message"),
    [("on", "the key on is read by YAML as true/false, not as a name; keys are names (quote it, 'on', if a name was meant)"),
     ("1", "the key 1 is read by YAML as a number, not as a name; keys are names (quote it, '1', if a name was meant)"),
     ("~", "a key cannot be null (~); write a key name"),
     ("2026-01-01", "the key 2026-01-01 is read by YAML as a date, not as a name; keys are names "
      "(quote it, '2026-01-01', if a name was meant)")],
)  # fmt: skip
def test_a_key_that_is_not_a_name_is_reported_at_its_own_line(key, message):
    problem = only(BASE + f"    {key}: 5\n")
    assert (problem.path, problem.line, problem.message) == ("workload[0]", 17, message)


def test_a_top_level_key_that_is_not_a_name_and_one_in_free_form_tags():
    found = problems(BASE.replace("name: audit\n", "name: audit\n5: x\n"))
    assert [(p.path, p.line) for p in found] == [("", 2)]
    tags = BASE.replace("    retryStrategy", "    tags: {1: x}\n    retryStrategy")
    assert [(p.path, p.line) for p in problems(tags)] == [("jobDefinitions[0].tags", 12)]


def test_a_key_that_is_not_a_name_in_a_set_value_is_refused():
    data = load_yaml(BASE)[0].data
    (problem,) = apply_overrides(data, [f"{SUBMIT}.tags={{1: x}}"], [])
    assert problem.message.endswith(
        "cannot read the value '{1: x}' as YAML (the key 1 is read by YAML as a number, not as "
        "a name; keys are names (quote it, '1', if a name was meant))"
    )
    assert load_value("{a: 1}") == {"a": 1}


def test_submit_null_is_one_problem_even_when_others_depend_on_it():
    text = (
        BASE
        + "  - name: b\n    submit: {jobName: b, jobQueue: q, jobDefinition: work, dependsOn: [{jobId: a}]}\n"
    )
    text += "actions:\n  - {at: 1h, CancelJob: {jobId: a, reason: stop}}\n"
    assert parse_scenario(text) is not None
    found = problems(
        text.replace(
            "    submit: {jobName: a, jobQueue: q, jobDefinition: work}", "    submit: null"
        )
    )
    assert [(p.path, p.line, p.message) for p in found] == [
        (SUBMIT, 16, "must be a mapping (key: value), got None")
    ]


def test_a_control_character_is_refused_with_its_line_and_column():
    problem = only(BASE.replace("name: audit", 'name: audit\ndescription: "a\x07b"'))
    assert (problem.path, problem.line) == ("", 2)
    assert problem.message == (
        "invalid YAML: the character U+0007 (column 16) is not allowed in a YAML file; delete "
        "it (in a double-quoted string, write it as the escape \\x07)"
    )
    assert parse_scenario(BASE.replace("name: audit", 'name: audit\ndescription: "a\\x07b"'))


@pytest.mark.parametrize(
    "deep",
    ["deep: " + "[" * 500 + "]" * 500 + "\n",
     "deep:\n" + "".join("  " * i + "a:\n" for i in range(1, 500)) + "  " * 500 + "b: 1\n"],
    ids=["flow", "block"],
)  # fmt: skip
def test_nesting_500_deep_is_refused_with_a_line(deep):
    problem = only(BASE + deep)
    assert problem.message == (
        f"invalid YAML: nesting deeper than {MAX_DEPTH} levels (a scenario needs about 10); is a "
        "bracket or an indentation off?"
    )
    # the block form: the mapping 64 levels down starts on line 16 + 64, its first key is one too many
    assert problem.line == (17 if deep.startswith("deep: [") else 16 + MAX_DEPTH)


def test_nesting_up_to_the_limit_is_read():
    data = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    doc, found = load_yaml(f"deep: {data}\n")
    assert found == [] and doc is not None


@pytest.mark.parametrize(
    "text",
    [BASE.replace("name: audit", 'name: audit\ndescription: "a\x07b"'), BASE + "deep: " + "[" * 500 + "\n",
     BASE + "    on: 5\n"],
    ids=["control-character", "deep", "bool-key"],
)  # fmt: skip
def test_the_cli_exits_2_with_a_line_not_internal_error(text, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(path)], out, err) == ExitStatus.INVALID_SCENARIO
    assert "(line " in err.getvalue() and "internal error" not in err.getvalue()

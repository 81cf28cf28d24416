"""The scenario loader: every problem at once, with its path and YAML line; overrides; round trip."""

from __future__ import annotations

import json

import pytest

from batchsim.errors import BatchsimError, Problem, ScenarioError
from batchsim.scenario import Scenario, load_scenario, parse_scenario, resolved_yaml
from batchsim.scenario.overrides import apply_overrides
from batchsim.scenario.yamlmap import Selector, format_path, load_yaml, parse_path

MINIMAL = """\
name: t
computeEnvironments:
  - computeEnvironmentName: od
    computeResources: {type: EC2, allocationStrategy: BEST_FIT_PROGRESSIVE, minvCpus: 0, maxvCpus: 16, instanceTypes: [c5]}
jobQueues:
  - jobQueueName: q
    priority: 1
    computeEnvironmentOrder: [{order: 1, computeEnvironment: od}]
jobDefinitions:
  - jobDefinitionName: work
    containerProperties:
      resourceRequirements: [{type: VCPU, value: "2"}, {type: MEMORY, value: "2048"}]
    simulation: {runtime: 10m}
workload:
  - name: a
    submit: {jobName: a, jobQueue: q, jobDefinition: work, arrayProperties: {size: 4}}
"""

# Five mistakes: a typo'd key (which also leaves a required key missing), a bad duration,
# attempts 11, an array of size 1 and an unknown queue. Line numbers are on the right.
SEVERAL_MISTAKES = """\
name: t
computeEnvironments:
  - computeEnvironmentName: od
    computeResources:
      type: EC2
      minvCpus: 0
      maxvCpu: 16
      instanceTypes: [c5]
    simulation:
      scaleDownDelay: 5 minutes
jobQueues:
  - jobQueueName: q
    computeEnvironmentOrder: [{order: 1, computeEnvironment: od}]
jobDefinitions:
  - jobDefinitionName: work
    containerProperties:
      resourceRequirements: [{type: VCPU, value: "2"}, {type: MEMORY, value: "2048"}]
    retryStrategy: {attempts: 11}
    simulation: {runtime: 10m}
workload:
  - name: a
    submit:
      jobName: a
      jobQueue: nightly
      jobDefinition: work
      arrayProperties: {size: 1}
"""


def problems_of(
    text: str, overrides: list[str] = (), source: str = "<string>"
) -> dict[str, Problem]:
    """Parse ``text``, expect a ScenarioError and return its problems by path."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source, overrides)
    problems = caught.value.problems
    by_path = {problem.path: problem for problem in problems}
    assert len(by_path) == len(problems), f"two problems share a path: {problems}"
    return by_path


def test_minimal_scenario_is_valid():
    scenario = parse_scenario(MINIMAL)
    assert isinstance(scenario, Scenario)
    assert scenario.jobDefinitions[0].simulation.runtime == 600.0
    assert scenario.workload[0].submit.arrayProperties.size == 4


def test_every_mistake_is_reported_with_its_path_and_line():
    found = problems_of(SEVERAL_MISTAKES, source="several.yaml")
    expected = {
        "computeEnvironments[0].computeResources.maxvCpu": (
            7,
            "unknown key 'maxvCpu'; did you mean 'maxvCpus'?",
        ),
        "computeEnvironments[0].simulation.scaleDownDelay": (10, "unknown time unit 'minutes'"),
        "jobDefinitions[0].retryStrategy.attempts": (18, "must be at most 10, got 11"),
        "workload[0].submit.jobQueue": (24, "unknown job queue 'nightly'; known: q"),
        "workload[0].submit.arrayProperties.size": (26, "must be at least 2, got 1"),
    }
    # The typo is one problem: no extra "required key 'maxvCpus' is missing" beside it.
    assert set(found) == set(expected)
    for path, (line, fragment) in expected.items():
        assert found[path].line == line, path
        assert fragment in found[path].message, path


def test_the_message_lists_every_problem_in_line_order():
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SEVERAL_MISTAKES, "several.yaml")
    text = str(caught.value)
    assert text.startswith("several.yaml: 5 problems in scenario:")
    assert (
        "  - jobDefinitions[0].retryStrategy.attempts (line 18): must be at most 10, got 11" in text
    )
    lines = [problem.line for problem in caught.value.problems]
    assert lines == sorted(lines)
    assert isinstance(caught.value, BatchsimError)


def test_union_tags_in_pydantic_locs_map_to_real_keys():
    text = MINIMAL.replace("simulation: {runtime: 10m}", "simulation: {runtime: {exponential: {}}}")
    found = problems_of(text)
    problem = found["jobDefinitions[0].simulation.runtime.exponential.mean"]
    assert problem.message == "required key 'mean' is missing"
    assert problem.line == 13


def test_distribution_family_typo_is_named():
    found = problems_of(MINIMAL.replace("runtime: 10m", "runtime: {exponentail: {mean: 1m}}"))
    message = found["jobDefinitions[0].simulation.runtime"].message
    assert message == "unknown distribution 'exponentail'; did you mean 'exponential'?"


def test_literal_error_lists_allowed_values():
    found = problems_of(MINIMAL.replace("type: EC2", "type: EC3"))
    message = found["computeEnvironments[0].computeResources.type"].message
    assert message.startswith("'EC3' is not allowed; use one of: EC2, SPOT, FARGATE, FARGATE_SPOT")
    assert message.endswith("did you mean 'EC2'?")


def test_type_errors_of_a_union_merge_into_one_problem():
    found = problems_of(MINIMAL.replace('value: "2"}', "value: [2]}"))
    problem = found["jobDefinitions[0].containerProperties.resourceRequirements[0].value"]
    assert problem.message == "must be a string, a whole number or a number, got [2]"
    assert problem.line == 12


def test_unknown_top_level_key_lists_allowed_keys_when_nothing_is_close():
    found = problems_of(MINIMAL + "colour: blue\n")
    assert found["colour"].line == 17
    assert found["colour"].message.startswith(
        "unknown key 'colour'; allowed here: name, description"
    )


CR = "computeEnvironments[0].computeResources"
RR = "jobDefinitions[0].containerProperties.resourceRequirements"
ORDER = "jobQueues[0].computeEnvironmentOrder"
RETRY = "jobDefinitions[0].retryStrategy"

# (one --set assignment that breaks MINIMAL, path of the problem, part of its message)
CROSS_OBJECT_CASES = [
    (f"{ORDER}[0].computeEnvironment=odd", f"{ORDER}[0].computeEnvironment", "unknown compute environment 'odd'"),
    (f"{ORDER}=[{{order: 1, computeEnvironment: od}}, {{order: 1, computeEnvironment: od}}]",
     f"{ORDER}[1].order", "orders must be unique within a queue"),
    ("workload[0].submit.jobDefinition=wrk:3", "workload[0].submit.jobDefinition", "unknown job definition 'wrk'"),
    ("jobQueues[1]={jobQueueName: q}", "jobQueues[1]", "index [1] is out of range"),
    (f"{CR}.bidPercentage=60", f"{CR}.bidPercentage", "applies to SPOT compute environments only"),
    ("computeEnvironments[0].simulation.spot={interruptionRate: 0.1/h}", "computeEnvironments[0].simulation.spot",
     "spot settings apply to SPOT compute environments only"),
    (f"{CR}.type=FARGATE", f"{CR}.instanceTypes", "instanceTypes does not apply to FARGATE compute environments"),
    (f"{CR}.type=FARGATE", "workload[0].submit.jobQueue", "job definition 'work' is for EC2 (platformCapabilities) "
     "but queue 'q' runs on FARGATE compute environments"),
    ("jobDefinitions[0].platformCapabilities=[FARGATE]", "workload[0].submit.jobQueue", "is for FARGATE"),
    ("jobDefinitions[0].platformCapabilities=[FARGATE]", "workload[0].submit.jobDefinition",
     "Fargate with 2 vCPU takes MEMORY 4096–16384 MiB in steps of 1024; got 2048"),
    ("computeEnvironments[0].type=UNMANAGED", "computeEnvironments[0].computeResources", "an UNMANAGED compute environment has no computeResources"),
    ("computeEnvironments[0].type=UNMANAGED", "computeEnvironments[0].simulation.instances", "list the instances of an UNMANAGED"),
    (f"{CR}=null", CR, "a MANAGED compute environment needs computeResources"),
    (f"{CR}.allocationStrategy=SPOT_CAPACITY_OPTIMIZED", f"{CR}.allocationStrategy", "for SPOT compute environments only"),
    (f"{CR}.instanceTypes=[c5, c5x]", f"{CR}.instanceTypes[1]", "unknown instance type or family 'c5x'"),
    (f"{CR}.instanceTypes=[c5, m6g]", f"{CR}.instanceTypes", "mixes architectures (x86_64: c5; arm64: m6g)"),
    ("jobDefinitions[0].type=multinode", "jobDefinitions[0].type", "a multinode job definition needs nodeProperties"),
    (f"{RR}=[{{type: MEMORY, value: '2048'}}]", RR, "no VCPU requirement"),
    (f"{RR}[0].value=0.5", f"{RR}[0].value", "VCPU must be a whole number ≥ 1 on EC2"),
    (f"{RR}[1].value=2", f"{RR}[1].value", "MEMORY must be at least 4 MiB, got 2"),
    (f"{RR}[1].type=VCPU", f"{RR}[1].type", "VCPU is given twice"),
    ("workload[0].submit.containerOverrides={resourceRequirements: [{type: GPU, value: '1.5'}]}",
     "workload[0].submit.containerOverrides.resourceRequirements[0].value", "GPU must be a whole number"),
    (f"{RETRY}={{evaluateOnExit: [{{onStatusReason: 'Host*EC2', action: RETRY}}]}}",
     f"{RETRY}.evaluateOnExit[0].onStatusReason", "'*' may appear only at the end"),
    (f"{RETRY}={{evaluateOnExit: [{{onExitCode: '1x', action: EXIT}}]}}",
     f"{RETRY}.evaluateOnExit[0].onExitCode", "only digits, optionally ending in '*'"),
    ("jobDefinitions[0].simulation.runtime=null", "workload[0].runtime", "no runtime model"),
    ("simulation.stopAt=0", "simulation.stopAt", "stopAt must be greater than 0"),
]  # fmt: skip


@pytest.mark.parametrize(("assignment", "path", "fragment"), CROSS_OBJECT_CASES)
def test_cross_object_rules(assignment, path, fragment):
    found = problems_of(MINIMAL, [assignment])
    assert path in found, found
    assert fragment in found[path].message


def test_spot_settings_are_checked_against_the_ce_types():
    found = problems_of(MINIMAL, [
        f"{CR}.type=SPOT",
        "computeEnvironments[0].simulation.spot={instanceTypes: {c5.larg: {price: 0.03}}}",
    ])  # fmt: skip
    (path,) = found
    assert path == "computeEnvironments[0].simulation.spot.instanceTypes[c5.larg]"
    assert "did you mean 'c5.large'?" in found[path].message
    spot = parse_scenario(MINIMAL, overrides=[f"{CR}.type=SPOT", f"{CR}.bidPercentage=60"])
    assert spot.computeEnvironments[0].computeResources.bidPercentage == 60


def test_job_definition_may_carry_its_revision():
    scenario = parse_scenario(MINIMAL, overrides=["workload[0].submit.jobDefinition=work:1"])
    assert scenario.workload[0].submit.jobDefinition == "work:1"


def test_memory_may_come_from_every_submission():
    no_memory = "[{type: VCPU, value: '2'}]"
    overrides = [
        f"jobDefinitions[0].containerProperties.resourceRequirements={no_memory}",
        "workload[0].submit.containerOverrides.memory=512",
    ]
    assert (
        parse_scenario(MINIMAL, overrides=overrides).workload[0].submit.containerOverrides.memory
        == 512
    )


def test_duplicate_names_point_at_the_second_one():
    text = MINIMAL + "  - name: a\n    submit: {jobName: b, jobQueue: q, jobDefinition: work}\n"
    problem = problems_of(text)["workload[1].name"]
    assert problem.line == 17
    assert problem.message == "duplicate workload entry name 'a' (also used by workload[0])"


def test_bad_yaml_syntax_reports_its_line():
    text = MINIMAL.replace("    priority: 1\n", "    priority: [1\n")
    (problem,) = problems_of(text).values()
    assert problem.message.startswith("invalid YAML")
    assert problem.line in (7, 8)


def test_bad_indentation_reports_its_line():
    (problem,) = problems_of("name: t\n  description: x\n").values()
    assert problem.line == 2
    assert "mapping values are not allowed here" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing yet\n", "---\n"])
def test_empty_file(text):
    (problem,) = problems_of(text).values()
    assert problem.message.startswith("the scenario is empty")


def test_top_level_must_be_a_mapping():
    (problem,) = problems_of("- name: t\n").values()
    assert "top level must be a mapping" in problem.message


def test_duplicate_key_is_reported_not_silently_dropped():
    text = MINIMAL.replace("    priority: 1\n", "    priority: 1\n    priority: 5\n")
    problem = problems_of(text)["jobQueues[0].priority"]
    assert problem.line == 8
    assert problem.message == "duplicate key 'priority' (first given on line 7); only one is kept"


def test_missing_file_and_directory(tmp_path):
    for path, reason in ((tmp_path / "absent.yaml", "no such file"), (tmp_path, "is a directory")):
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
        (problem,) = caught.value.problems
        assert reason in problem.message
        assert caught.value.source == str(path)


def test_load_scenario_reads_a_file_with_overrides(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    scenario = load_scenario(path, ["simulation.seed=7"])
    assert scenario.simulation.seed == 7


def test_set_by_index_by_name_and_new_keys():
    scenario = parse_scenario(
        MINIMAL,
        overrides=[
            "computeEnvironments[0].computeResources.maxvCpus=128",
            "computeEnvironments[od].computeResources.instanceTypes=[c5, m5]",
            "jobQueues[q].priority=9",
            "workload[a].submit.arrayProperties.size=20",
            "simulation.seed=7",
            "simulation.stopAt=90s",
        ],
    )
    resources = scenario.computeEnvironments[0].computeResources
    assert resources.maxvCpus == 128
    assert resources.instanceTypes == ["c5", "m5"]
    assert scenario.jobQueues[0].priority == 9
    assert scenario.workload[0].submit.arrayProperties.size == 20
    assert scenario.simulation.seed == 7
    assert scenario.simulation.stopAt == 90.0


def test_bad_set_paths_name_the_path():
    found = problems_of(
        MINIMAL, ["computeEnvironments[spot].computeResources.maxvCpus=1", "simulation.seed"]
    )
    spot = found["computeEnvironments[spot].computeResources.maxvCpus"]
    assert "no item named 'spot'; names there: od" in spot.message
    assert spot.line is None
    assert "expected PATH=VALUE" in found["simulation.seed"].message


def test_a_bad_value_from_set_says_so_instead_of_giving_a_line():
    problem = problems_of(MINIMAL, ["workload[0].submit.arrayProperties.size=1"])[
        "workload[0].submit.arrayProperties.size"
    ]
    assert problem.line is None
    assert problem.message == "must be at least 2, got 1 (value from --set)"


def test_failed_assignment_leaves_the_data_untouched():
    data = {"name": "t"}
    problems = apply_overrides(data, ["new.deep[0]=1", "name.x=1"])
    assert data == {"name": "t"}
    assert [p.path for p in problems] == ["new.deep[0]", "name.x"]
    assert "new.deep does not exist" in problems[0].message


def test_line_of_falls_back_to_the_nearest_ancestor():
    doc, problems = load_yaml(MINIMAL)
    assert problems == []
    assert doc.line_of(("jobQueues", 0, "priority")) == 7
    assert doc.line_of(("jobQueues", 0, "computeEnvironmentOrder", 0, "computeEnvironment")) == 8
    assert doc.line_of(("jobQueues", 0, "state")) == 6
    assert doc.line_of(("nothing", "here")) == 1


def test_paths_round_trip_between_tuples_and_text():
    path = ("jobQueues", 0, "computeEnvironmentOrder", 1, "computeEnvironment")
    assert format_path(path) == "jobQueues[0].computeEnvironmentOrder[1].computeEnvironment"
    assert parse_path(format_path(path)) == path
    selected = parse_path("computeEnvironments[od].computeResources")
    assert selected == ("computeEnvironments", "od", "computeResources")
    assert isinstance(selected[1], Selector)
    for bad in ("a..b", ".a", "a.", "a[]", "a[0]b"):
        with pytest.raises(ValueError):
            parse_path(bad)


def test_resolved_yaml_round_trips_to_an_equal_model():
    text = MINIMAL.replace(
        "instanceTypes: [c5]}",
        "instanceTypes: [c5]}\n    simulation: {bootTime: {lognormal: {median: 90s, p95: 3m}}}",
    )
    text += (
        "  - name: trickle\n"
        "    submit: {jobName: s, jobQueue: q, jobDefinition: 'work:1'}\n"
        "    arrivals: {poisson: {rate: 30/h}, until: 8h}\n"
        "    runtime: {gamma: {mean: 5m, cv: 0.5}}\n"
    )
    scenario = parse_scenario(text)
    resolved = resolved_yaml(scenario)
    assert "scaleDownDelay: 300.0" in resolved  # defaults are filled in
    assert resolved.index("computeEnvironments:") < resolved.index("jobQueues:")  # model order
    assert parse_scenario(resolved) == scenario


def test_defaults_round_trip_too():
    scenario = parse_scenario(MINIMAL)
    assert parse_scenario(resolved_yaml(scenario)) == scenario


def test_aws_keys_of_later_releases_are_named_not_called_typos():
    text = MINIMAL.replace("jobDefinition: work", "jobDefinition: work, eksPropertiesOverride: {}")
    (problem,) = problems_of(text).values()
    assert problem.message == (
        "'eksPropertiesOverride' is not supported by batchsim: EKS is not modelled: batchsim runs "
        "ECS jobs, so describe the job with containerProperties and the cluster with an EC2 or "
        "SPOT compute environment"
    )


def test_deprecated_override_of_a_defined_resource_is_rejected_as_on_aws():
    text = MINIMAL.replace(
        "jobDefinition: work", "jobDefinition: work, containerOverrides: {memory: 1024}"
    )
    (problem,) = problems_of(text).values()
    assert problem.path == "workload[0].submit.containerOverrides.memory"
    assert "deprecated key" in problem.message


def test_submitting_to_a_disabled_queue_is_rejected():
    text = MINIMAL.replace("    priority: 1\n", "    priority: 1\n    state: DISABLED\n", 1)
    (problem,) = problems_of(text).values()
    assert problem.path == "workload[0].submit.jobQueue" and "DISABLED" in problem.message


def test_unsupported_values_are_reported_beside_schema_errors():
    text = MINIMAL.replace("{type: EC2,", "{type: FARGATE,").replace(
        "simulation: {runtime: 10m}", "simulation: {runtime: 10 mins}"
    )
    found = problems_of(text)
    assert (
        "instanceTypes does not apply to FARGATE"
        in found["computeEnvironments[0].computeResources.instanceTypes"].message
    )
    assert found["computeEnvironments[0].computeResources.instanceTypes"].line == 4
    assert "jobDefinitions[0].simulation.runtime" in found


def test_a_key_created_by_set_is_attributed_to_set_not_to_line_1():
    (problem,) = problems_of(MINIMAL, overrides=["bogus.deep.key=1"]).values()
    assert problem.path == "bogus" and problem.line is None
    assert problem.message.endswith("(value from --set)")


def test_a_bid_below_every_spot_price_is_reported():
    found = problems_of(MINIMAL, [f"{CR}.type=SPOT", f"{CR}.bidPercentage=10"])
    assert (
        "bidPercentage 10 is below the Spot price of every type"
        in found[f"{CR}.bidPercentage"].message
    )


def test_fargate_jobs_take_fargate_sizes_and_no_gpus():
    found = problems_of(MINIMAL, [
        "jobDefinitions[0].platformCapabilities=[FARGATE]",
        f"{RR}=[{{type: VCPU, value: '0.75'}}, {{type: MEMORY, value: '2048'}}, {{type: GPU, value: '1'}}]",
    ])  # fmt: skip
    assert "valid VCPU values: 0.25, 0.5, 1, 2, 4, 8, 16" in found[f"{RR}[0].value"].message
    assert found[f"{RR}[2].value"].message.startswith("Fargate has no GPUs, got '1'")


def test_spot_lifetimes_shorter_than_boot_are_reported():
    found = problems_of(MINIMAL, [
        f"{CR}.type=SPOT",
        "computeEnvironments[0].simulation={bootTime: 2m, spot: {lifetime: 90s}}",
    ])  # fmt: skip
    message = found["computeEnvironments[0].simulation.spot"].message
    assert message.startswith("instances would live 90 s on average but take 120 s to boot")


@pytest.mark.parametrize(
    ("ranges", "path", "message"),
    [
        (
            [{"indexes": "2-4", "runtime": "1m"}],
            "workload[0].runtimeByIndex[0].indexes",
            "index 4 is outside the array (size 4",
        ),
        (
            [{"indexes": "0-2", "runtime": "1m"}, {"indexes": 2, "runtime": "2m"}],
            "workload[0].runtimeByIndex[1].indexes",
            "indexes 2–2 overlap",
        ),
        (
            [{"indexes": "3-1", "runtime": "1m"}],
            "workload[0].runtimeByIndex[0]",
            "indexes must be one index (7) or a range",
        ),
    ],
)
def test_runtime_by_index_ranges_are_checked(ranges, path, message):
    text = MINIMAL + "    runtimeByIndex: " + json.dumps(ranges) + "\n"
    found = problems_of(text)
    assert path in found, found
    assert message in found[path].message


def test_runtime_by_index_covering_every_child_needs_no_other_runtime():
    text = (
        MINIMAL.replace("    simulation: {runtime: 10m}\n", "")
        + '    runtimeByIndex: [{indexes: "0-3", runtime: 5m}]\n'
    )
    assert parse_scenario(text).workload[0].runtimeByIndex[0].bounds() == (0, 3)


def test_load_yaml_hands_out_copies_of_one_parse():
    from batchsim.scenario import yamlmap

    text = "name: cached\nworkload:\n  - name: a\n    count: 2\n"
    first, _ = yamlmap.load_yaml(text)
    first.data["workload"][0]["count"] = 99  # what overrides do to the document they get
    first.lines[("extra",)] = 7
    hits = yamlmap._parsed.cache_info().hits
    second, problems = yamlmap.load_yaml(text)
    assert yamlmap._parsed.cache_info().hits == hits + 1
    assert second.data == {"name": "cached", "workload": [{"name": "a", "count": 2}]}
    assert ("extra",) not in second.lines and second.line_of(("workload", 0, "count")) == 4
    assert problems == []

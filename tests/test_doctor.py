"""``batchsim doctor``: each problem flagged by a tiny scenario (exact message, path and line),
nothing unaccepted on the shipped scenarios, and ``run``'s loud line and exit status 4."""

from __future__ import annotations

import html
import json
import math
from string import Template

import pytest
from conftest import REPO, cli

from batchsim.cli import ExitStatus
from batchsim.doctor import Severity, diagnose, young_daly_interval_s
from batchsim.engine.queue import (
    COMPUTE_ENVIRONMENT_MAX_RESOURCE,
    JOB_RESOURCE_REQUIREMENT,
    MULTINODE_NOT_SUPPORTED,
)
from batchsim.scenario.loader import parse_scenario

# Line numbers below are this template's: workload[0] is line 17, jobDefinitions[0] line 11, the
# definition's runtime line 15, minvCpus line 5, simulation.seed line 2.
BASE = Template("""\
name: doc
simulation: {seed: 1}
computeEnvironments:
  - computeEnvironmentName: ce
    computeResources: {type: $kind, minvCpus: $min, maxvCpus: $max, instanceTypes: [$types]}
    simulation: {$ce_sim}
jobQueues:
  - jobQueueName: q
    computeEnvironmentOrder: [{order: 1, computeEnvironment: ce}]
jobDefinitions:
  - jobDefinitionName: work
    containerProperties:
      resourceRequirements: [{type: VCPU, value: "$vcpus"}, {type: MEMORY, value: "$memory"}$gpu]
    $timeout
    simulation: {runtime: $runtime$checkpoint}
workload:
  - name: a
    submit: {jobName: a, jobQueue: q, jobDefinition: work}
    count: 3
""")
DEFAULTS = {
    "kind": "EC2",
    "min": 0,
    "max": 64,
    "types": "c5.xlarge",
    "ce_sim": "",
    "vcpus": 4,
    "memory": 4096,
    "gpu": "",
    "timeout": "timeout: {attemptDurationSeconds: 3600}",
    "runtime": "10m",
    "checkpoint": "",
}


def text_of(**changes) -> str:
    """Return the template's YAML with ``changes`` applied."""
    return BASE.substitute({**DEFAULTS, **changes})


def findings(text: str):
    return diagnose(parse_scenario(text, "doc.yaml"), text, "doc.yaml")


def only(text: str):
    (finding,) = findings(text)
    return finding


def test_a_clean_scenario_has_no_findings():
    assert findings(text_of()) == []


def test_nominal_memory_never_fits():
    # c5.xlarge: 8,192 MiB nominal; ECS registers 8192 × 0.975 − 32 = 7,955.2 MiB
    f = only(text_of(memory=8192))
    assert (f.severity, f.code, f.path, f.line) == (
        Severity.ERROR,
        "never-placeable",
        "workload[0]",
        17,
    )
    assert f.reason == JOB_RESOURCE_REQUIREMENT
    assert f.message == (
        "the 3 jobs of workload entry 'a' (4 vCPU, 8,192 MiB) can never run: no allowed instance "
        "type registers 8,192 MiB of memory with ECS (largest: c5.xlarge, 8,192 MiB nominal, "
        "7,955 MiB registered; a job asking a type's nominal memory does not fit it); they stay "
        "RUNNABLE with AWS's statusReason below"
    )
    assert f.link == "https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html"


def test_more_vcpus_than_any_allowed_type():
    f = only(text_of(vcpus=8))
    assert (f.path, f.line, f.reason) == ("workload[0]", 17, JOB_RESOURCE_REQUIREMENT)
    assert (
        "can never run: no allowed instance type has 8 vCPUs (largest: c5.xlarge, 4);" in f.message
    )


def test_more_gpus_than_any_allowed_type():
    f = only(text_of(gpu=', {type: GPU, value: "1"}'))
    assert f.reason == JOB_RESOURCE_REQUIREMENT
    assert "no allowed instance type has 1 GPU (most: c5.xlarge, 0);" in f.message


def test_over_maxvcpus():
    f = only(text_of(types="c5.24xlarge", vcpus=72))
    assert (f.path, f.line, f.reason) == ("workload[0]", 17, COMPUTE_ENVIRONMENT_MAX_RESOURCE)
    assert "it needs 72 vCPUs, more than maxvCpus of every CE of its queue ('ce': 64);" in f.message


MULTINODE_ON_SPOT = """\
name: mnp
computeEnvironments:
  - computeEnvironmentName: spot
    computeResources: {type: SPOT, allocationStrategy: SPOT_CAPACITY_OPTIMIZED, minvCpus: 0,
                       maxvCpus: 256, instanceTypes: [c5.4xlarge]}
jobQueues:
  - jobQueueName: q
    computeEnvironmentOrder: [{order: 1, computeEnvironment: spot}]
jobDefinitions:
  - jobDefinitionName: mpi
    type: multinode
    nodeProperties:
      numNodes: 2
      mainNode: 0
      nodeRangeProperties:
        - targetNodes: "0:"
          container:
            instanceType: c5.4xlarge
            resourceRequirements: [{type: VCPU, value: "16"}, {type: MEMORY, value: "30000"}]
    timeout: {attemptDurationSeconds: 7200}
    simulation: {runtime: 10m}
workload:
  - name: mpi
    submit: {jobName: mpi, jobQueue: q, jobDefinition: mpi}
"""


def test_multinode_on_spot():
    errors = [f for f in findings(MULTINODE_ON_SPOT) if f.severity is Severity.ERROR]
    (f,) = errors
    assert (f.path, f.line, f.reason) == ("workload[0]", 23, MULTINODE_NOT_SUPPORTED)
    # one node: c5.4xlarge's 16 vCPUs and 32,768 × 0.975 − 32 = 31,916.8 MiB registered
    assert f.message.startswith(
        "the 1 job of workload entry 'mpi' (16 vCPU, 31,917 MiB, 2 nodes of c5.4xlarge) can never "
        "run: multi-node parallel jobs run on on-demand EC2 only, and queue 'q' has spot CE 'spot';"
    )


def test_seconds_long_jobs():
    f = only(text_of(runtime="8s"))
    assert (f.severity, f.code, f.path, f.line) == (
        Severity.WARNING, "short-jobs", "jobDefinitions[0].simulation.runtime", 15,
    )  # fmt: skip
    assert f.message == (
        "the jobs of workload entry 'a' run 8 s on average, while each also spends 5 s starting "
        "(plus 20 s pulling its image on a fresh instance) and waits for a scheduling pass: AWS "
        "advises grouping tasks so that each job runs 3-5 minutes"
    )
    assert f.link == "https://docs.aws.amazon.com/batch/latest/userguide/bestpractice1.html"


def test_a_minute_is_not_short():
    assert findings(text_of(runtime="60s")) == []


def test_no_timeout():
    f = only(text_of(timeout="# no timeout"))
    assert (f.severity, f.code, f.path, f.line) == (
        Severity.WARNING,
        "no-timeout",
        "jobDefinitions[0]",
        11,
    )
    assert f.message.startswith(
        "job definition 'work' has no timeout and workload entry 'a' submits it without one:"
    )


def test_a_submit_timeout_is_enough():
    text = text_of(timeout="# no timeout").replace(
        "jobDefinition: work}", "jobDefinition: work, timeout: {attemptDurationSeconds: 600}}"
    )
    assert findings(text) == []


SPOT = {
    "kind": "SPOT, allocationStrategy: SPOT_CAPACITY_OPTIMIZED",
    "types": "c5.xlarge",
    "ce_sim": "spot: {meanTimeToInterruption: 6h}",
}


def spot_warnings(text: str):
    return [f for f in findings(text) if f.severity is Severity.WARNING]


def test_young_daly_interval():
    assert young_daly_interval_s(60.0, 6 * 3600.0) == math.sqrt(2 * 60 * 21600)  # 1,609.97 s


def test_long_spot_job_without_checkpoint():
    (f,) = spot_warnings(text_of(runtime="2h", **SPOT))
    assert (f.code, f.path, f.line) == (
        "spot-without-checkpoint",
        "jobDefinitions[0].simulation.runtime",
        15,
    )
    assert f.reason == "Host EC2 (instance i-…) terminated."
    # √(2 · 60 s · 21,600 s) = 1,609.97 s = 26.8 min
    assert f.message == (
        "the jobs of workload entry 'a' run 120 min on average on Spot ('ce') without checkpoints, so "
        "a reclaim loses the whole attempt; at this scenario's interruption rate (mean time between "
        "interruptions 6 h on c5.xlarge) a checkpoint every √(2·C·MTBI) = 26.8 min minimises the "
        "expected completion time for a checkpoint costing C = 60 s (Young/Daly); AWS advises "
        "checkpointing Spot work into chunks of 30 min or less"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"runtime": "30m"},  # not over 30 min
        {"runtime": "2h", "checkpoint": ", checkpoint: {interval: 20m, cost: 30s}"},
        # the Spot Advisor's rate: c5.xlarge's bucket gives an MTBI of thousands of hours, whose
        # Young/Daly interval (over a day) is longer than the job: checkpoints would not pay
        {"runtime": "2h", "ce_sim": ""},
    ],
)
def test_spot_jobs_that_need_no_checkpoint(changes):
    assert spot_warnings(text_of(**{**SPOT, **changes})) == []


def test_one_seed_of_a_spot_scenario_is_a_note():
    (f,) = findings(text_of(**SPOT))
    assert (f.severity, f.code, f.path, f.line) == (
        Severity.NOTE,
        "single-seed-spot",
        "simulation.seed",
        2,
    )
    assert "run `batchsim compare doc.yaml --replications 20` (or `batchsim sweep`)" in f.message


def test_a_floor_no_job_fits_idles():
    # minvCpus 2 launches a c5.large (2 vCPU); the 4-vCPU jobs fit only the c5.xlarge
    f = only(text_of(min=2, types="c5.large, c5.xlarge"))
    assert (f.severity, f.code, f.path, f.line) == (
        Severity.WARNING, "idle-minvcpus", "computeEnvironments[0].computeResources.minvCpus", 5,
    )  # fmt: skip
    assert f.message == (
        "minvCpus 2 keeps 2 vCPUs (c5.large) running and billed for the whole run, and no job of "
        "its queues (q) fits them"
    )


def test_a_floor_jobs_fit_is_fine():
    assert findings(text_of(min=4)) == []


def test_an_accepted_finding_is_marked_and_not_counted(tmp_path):
    text = "# doctor: accept no-timeout (a demo)\n" + text_of(timeout="# no timeout")
    (f,) = findings(text)
    assert f.accepted and f.line == 12
    path = tmp_path / "doc.yaml"
    path.write_text(text)
    status, out, _ = cli("doctor", str(path))
    assert status == ExitStatus.SUCCESS
    assert out.endswith(f"{path}: 0 errors, 0 warnings, 0 notes (1 accepted in the scenario)\n")
    assert "[no-timeout] [accepted in the scenario]" in out


SHIPPED = sorted((REPO / "scenarios").rglob("*.yaml"))
ACCEPTED = {
    "hourly-jobs-spot": {"single-seed-spot", "spot-without-checkpoint"},
    "hourly-jobs-spot-checkpoint": {"single-seed-spot"},
    "trace-replay-kth": {"no-timeout"},
    "spot-with-on-demand-fallback": {"single-seed-spot"},
}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_are_clean(path):
    text = path.read_text(encoding="utf-8")
    found = findings_of_file(text, path)
    assert [f.format() for f in found if not f.accepted] == []
    assert {f.code for f in found if f.accepted} == ACCEPTED.get(path.stem, set())


def findings_of_file(text, path):
    return diagnose(parse_scenario(text, str(path)), text, str(path))


def test_doctor_exit_statuses(tmp_path):
    clean, bad = tmp_path / "clean.yaml", tmp_path / "bad.yaml"
    clean.write_text(text_of())
    bad.write_text(text_of(memory=8192))
    assert cli("doctor", str(clean)) == (ExitStatus.SUCCESS, f"{clean}: no problems found\n", "")
    status, out, _ = cli("doctor", str(bad))
    assert status == ExitStatus.JOBS_CANNOT_RUN == 4
    assert out.endswith(f"{bad}: 1 error, 0 warnings, 0 notes\n")
    assert "    AWS: MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource" in out


def test_validate_warns_with_the_same_findings_and_keeps_its_status(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text_of(memory=8192))
    status, out, err = cli("validate", str(bad))
    assert status == ExitStatus.SUCCESS and "valid scenario 'doc'" in out
    assert err == findings(text_of(memory=8192))[0].format() + "\n"


def test_run_ends_loud_with_status_4_and_writes_everything(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text_of(memory=8192))
    folder = tmp_path / "out"
    status, out, _ = cli("run", str(scenario), "-o", str(folder), "-q")
    assert status == ExitStatus.JOBS_CANNOT_RUN
    assert out.splitlines()[-1] == (
        "!! 3 JOBS CAN NEVER RUN (left RUNNABLE): 3 × MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT; "
        f"`batchsim doctor {scenario}` says why"
    )
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["jobs_by_status"]["RUNNABLE"] == 3
    report = (folder / "report.md").read_text()
    assert (
        "## Jobs that never ran\n\nStill RUNNABLE at the end: no compute environment of their queue "
        "can ever place them. `batchsim doctor` on the scenario explains each.\n\n"
        "| Jobs | AWS statusReason |\n|---|---|\n"
        f"| 3 | {JOB_RESOURCE_REQUIREMENT} |\n"
    ) in report
    page = (folder / "report.html").read_text()
    found = [f for f in findings(scenario.read_text()) if not f.accepted]
    assert found and "Doctor&#x27;s findings" in page
    for finding in found:  # report.html lists what the doctor says, each with its place and link
        row = f"<td>{finding.severity}</td><td>{finding.path}:{finding.line}</td>"
        assert row in page and html.escape(finding.link) in page


def test_the_loud_line_names_the_doctor_command_with_the_runs_set_options(tmp_path):
    scenario = tmp_path / "fine.yaml"
    scenario.write_text(text_of())
    change = "jobDefinitions[0].containerProperties.resourceRequirements[1].value=8192"
    status, out, _ = cli("run", str(scenario), "--set", change, "-o", str(tmp_path / "o"), "-q")
    assert status == ExitStatus.JOBS_CANNOT_RUN
    assert out.splitlines()[-1].endswith(f"`batchsim doctor {scenario} --set '{change}'` says why")
    assert cli("doctor", str(scenario), "--set", change)[0] == ExitStatus.JOBS_CANNOT_RUN


def test_a_run_that_places_every_job_has_no_section(tmp_path):
    scenario = tmp_path / "ok.yaml"
    scenario.write_text(text_of())
    status, out, _ = cli("run", str(scenario), "-o", str(tmp_path / "out"), "-q")
    assert status == ExitStatus.SUCCESS and "CAN NEVER RUN" not in out
    assert "Jobs that never ran" not in (tmp_path / "out" / "report.md").read_text()


def test_the_doctor_and_a_run_agree_on_the_demo():
    """The demo's never-placeable entries are exactly the jobs its run leaves RUNNABLE, with the
    same statusReasons (both ask the engine's queues)."""
    import batchsim

    path = REPO / "docs" / "examples" / "doctor-demo.yaml"
    scenario = batchsim.load_scenario(path)
    errors = [
        f for f in diagnose(scenario, path.read_text(), str(path)) if f.severity is Severity.ERROR
    ]
    entries = {scenario.workload[int(f.path[len("workload[") : -1])].name: f.reason for f in errors}
    jobs = batchsim.simulate(scenario).jobs
    left = jobs[jobs["status"] == "RUNNABLE"]
    assert dict(zip(left["workload"], left["statusReason"], strict=True)) == entries


def test_doctor_on_an_invalid_scenario_says_what_validate_says(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text_of().replace("maxvCpus: 64", "maxvCpu: 64"))
    status, out, err = cli("doctor", str(bad))
    assert (status, out) == (ExitStatus.INVALID_SCENARIO, "")
    assert "computeEnvironments[0].computeResources.maxvCpu (line 5): unknown key 'maxvCpu'" in err


def test_the_readme_scenario_is_clean():
    import re

    (text,) = re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    assert findings(text) == []


def test_a_floor_at_maxvcpus_of_too_small_instances_blocks_for_ever(tmp_path):
    # minvCpus 4 = maxvCpus 4 of c5.large/c5.xlarge: BEST_FIT fills the floor with 2 c5.large
    # (2 vCPU each); the 4-vCPU job fits only a c5.xlarge, which maxvCpus leaves no room for.
    text = text_of(min=4, max=4, types="c5.large, c5.xlarge").replace(
        "type: EC2,", "type: EC2, allocationStrategy: BEST_FIT,"
    )
    floor, error = findings(text)  # by line: minvCpus (5), then workload[0] (17)
    assert (error.code, error.path, error.line, error.reason) == (
        "never-placeable", "workload[0]", 17, COMPUTE_ENVIRONMENT_MAX_RESOURCE,
    )  # fmt: skip
    assert error.message == (
        "the 3 jobs of workload entry 'a' (4 vCPU, 4,096 MiB) can never run: no instance kept "
        "alive fits it and none can be launched: 'ce' keeps 2 × c5.large for minvCpus 4 and "
        "maxvCpus 4 leaves no room (scale-in never goes below minvCpus); they stay RUNNABLE with "
        "AWS's statusReason below"
    )
    assert floor.code == "idle-minvcpus"
    path = tmp_path / "floor.yaml"
    path.write_text(text)
    status, out, _ = cli("run", str(path), "-o", str(tmp_path / "out"), "-q")
    assert status == ExitStatus.JOBS_CANNOT_RUN
    assert (
        "!! 3 JOBS CAN NEVER RUN (left RUNNABLE): 3 × MISCONFIGURATION:COMPUTE_ENVIRONMENT" in out
    )

"""DescribeJobs traces keep their array jobs and dependencies (``batchsim.scenario.trace_links``).

The strongest check is a round trip: a pipeline run (a plain job, an array depending on it, an
N_TO_N array, a SEQUENTIAL array with a failing child, a job after a whole array) is written as
``jobs.json`` and replayed on the same fixed cluster; every job must start and stop when it did,
with the same status and reason. Hand-computed replays check each kind of link on its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import batchsim
from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario
from batchsim.scenario.schema import Scenario
from batchsim.scenario.traces import read_trace
from tests.fcfs_reference import fixed_cluster

T0 = 1_700_000_000_000  # epoch ms of the hand-made traces' first createdAt

PIPELINE = """
name: pipeline
customInstanceTypes:
  - {instanceType: site.p3, vcpus: 3, memory: 64GiB, onDemandPricePerHour: 1.0}
computeEnvironments:
  - computeEnvironmentName: fixed
    type: UNMANAGED
    simulation: {instances: [{instanceType: site.p3}]}
jobQueues:
  - jobQueueName: q
    priority: 1
    computeEnvironmentOrder: [{order: 1, computeEnvironment: fixed}]
jobDefinitions:
  - jobDefinitionName: proc
    type: container
    containerProperties:
      image: busybox
      resourceRequirements: [{type: VCPU, value: "1"}, {type: MEMORY, value: "64"}]
    simulation: {startTime: 0s, imagePullTime: 0s, runtime: {uniform: {low: 20s, high: 90s}}}
workload:
  - name: prep
    submit: {jobName: prep, jobQueue: q, jobDefinition: proc}
  - name: tiles
    at: 5s
    submit:
      jobName: tiles
      jobQueue: q
      jobDefinition: proc
      arrayProperties: {size: 4}
      dependsOn: [{jobId: prep}]
  - name: calls
    at: 7s
    submit:
      jobName: calls
      jobQueue: q
      jobDefinition: proc
      arrayProperties: {size: 4}
      dependsOn: [{jobId: tiles, type: N_TO_N}]
  - name: chain
    at: 9s
    failure: {probability: 0.5, exitCode: 3}
    submit:
      jobName: chain
      jobQueue: q
      jobDefinition: proc
      arrayProperties: {size: 5}
      dependsOn: [{type: SEQUENTIAL}]
  - name: merge
    at: 11s
    submit: {jobName: merge, jobQueue: q, jobDefinition: proc, dependsOn: [{jobId: calls}]}
  - name: after-chain
    at: 13s
    submit: {jobName: after, jobQueue: q, jobDefinition: proc, dependsOn: [{jobId: chain}]}
"""

COLUMNS = [
    "createdAt",
    "startedAt",
    "stoppedAt",
    "status",
    "statusReason",
    "arrayIndex",
    "arraySize",
]


def replay_of(path: Path, records: list[dict] | dict, processors: int = 3) -> batchsim.RunResult:
    """Replay ``records`` (written to ``path``/jobs.json) on the fixed cluster."""
    (path / "jobs.json").write_text(json.dumps(records))
    scenario = parse_scenario(
        fixed_cluster(processors, "{path: jobs.json, format: aws-jobs}"), base_dir=path
    )
    return batchsim.simulate(scenario)


def rows(result: batchsim.RunResult, columns: list[str] = COLUMNS) -> list[tuple]:
    """The jobs table's ``columns`` as tuples, None where empty."""
    jobs = result.jobs[columns].astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in jobs.itertuples(index=False)]


def replay_scenario(folder: Path) -> Scenario:
    """PIPELINE's cluster replaying ``folder``/jobs.json as the workload entry ``history``."""
    workload = "workload:\n  - name: history\n    trace: {path: jobs.json, format: aws-jobs}\n"
    return parse_scenario(PIPELINE[: PIPELINE.index("workload:")] + workload, base_dir=folder)


def written_jobs_json(result: batchsim.RunResult, folder: Path) -> Path:
    """Write ``result``'s jobs.json into ``folder`` (its run files beside, in ``run/``)."""
    result.write(folder / "run", aws_json=True)
    return (folder / "run" / "jobs.json").rename(folder / "jobs.json")


def test_a_pipeline_run_replays_to_the_same_schedule(tmp_path):
    original = batchsim.simulate(parse_scenario(PIPELINE), seed=4)
    written_jobs_json(original, tmp_path)
    replayed = batchsim.simulate(replay_scenario(tmp_path))
    before, after = rows(original), rows(replayed)
    # the original has every kind of link and both outcomes, or the check would prove little
    reasons = {row[4] for row in before}
    assert "Dependent Job failed" in reasons and {"FAILED", "SUCCEEDED"} <= {r[3] for r in before}
    assert len(after) == len(before) == 1 + (1 + 4) + (1 + 4) + (1 + 5) + 1 + 1  # parents too
    for old, new in zip(before, after, strict=True):
        assert new[:3] == pytest.approx(old[:3], abs=1e-3)  # jobs.json holds whole milliseconds
        assert new[3:] == old[3:]
    counts = replayed.summary["traces"]["history"]
    assert counts["arrays"] == 3 and counts["array_parents"] == 0
    assert counts["dependencies_outside"] == 0 and counts["children_without_run_time"] == 0
    # the replay's own jobs.json names the replay's jobs, so replaying it again changes nothing
    again_folder = tmp_path / "again"
    again_folder.mkdir()
    written_jobs_json(replayed, again_folder)
    details = json.loads((again_folder / "jobs.json").read_text())["jobs"]
    assert [d["dependsOn"] for d in details if d["jobId"] in ("history-2", "history-3:2")] == [
        [{"jobId": "history-1"}], [{"jobId": "history-2", "type": "N_TO_N"}],
    ]  # fmt: skip
    assert rows(batchsim.simulate(replay_scenario(again_folder))) == after


def test_explain_tells_what_a_replayed_job_waited_for(tmp_path):
    original = batchsim.simulate(parse_scenario(PIPELINE), seed=4)
    written_jobs_json(original, tmp_path)
    replayed = batchsim.simulate(replay_scenario(tmp_path))
    jobs = replayed.jobs.set_index("jobId")
    story = replayed.explain("history-3:2")
    pending = next(step for step in story.steps if step.state == "PENDING")
    ended = jobs.loc["history-2:2", "stoppedAt"]
    assert pending.cause == "depends_on"
    assert pending.start_at + pending.length_s == pytest.approx(ended)
    assert "history-2:2 (N_TO_N), SUCCEEDED" in pending.text
    failed = jobs[(jobs["status"] == "FAILED") & jobs["arrayIndex"].notna()].index[0]
    decisions = [step for step in replayed.explain(failed).steps if step.state == "not retried"]
    assert [step.cause for step in decisions] == ["trace_failure"]


def job(job_id: str, created_s: float, ran: tuple[float, float] | None, **extra) -> dict:
    """A DescribeJobs record: created ``created_s`` after T0; ``ran`` = (started, stopped)."""
    record = {"jobId": job_id, "createdAt": T0 + round(created_s * 1000), "status": "SUCCEEDED",
              "container": {"vcpus": 1, "memory": 64}}  # fmt: skip
    if ran is not None:
        record["startedAt"], record["stoppedAt"] = (T0 + round(t * 1000) for t in ran)
    record.update(extra)
    return record


def test_a_dependant_waits_for_its_job_even_when_created_earlier_in_the_file(tmp_path):
    records = [
        job("b", 0, (10, 15), dependsOn=[{"jobId": "a"}]),  # same createdAt, listed first
        job("a", 0, (0, 10)),
        job("c", 0, (0, 4)),
    ]
    result = replay_of(tmp_path, records)
    by_id = {j.jobName: j for j in result.jobs.itertuples()}
    assert [(r.createdAt, r.startedAt, r.stoppedAt) for r in result.jobs.itertuples()] == [
        (0.0, 0.0, 10.0), (0.0, 10.0, 15.0), (0.0, 0.0, 4.0),
    ]  # fmt: skip  # a first (b waits for it), then b, while c runs beside a
    assert len(by_id) == 1  # every trace job takes the entry's job name


def test_an_array_replays_its_childrens_run_times_and_failures(tmp_path):
    records = [
        job("p", 0, None, arrayProperties={"size": 3}),
        job("p:0", 0, (0, 7), arrayProperties={"index": 0}),
        job("p:1", 0, (0, 5), status="FAILED", arrayProperties={"index": 1},
            attempts=[{"startedAt": T0, "stoppedAt": T0 + 5000, "container": {"exitCode": 3}}]),
        job("p:2", 0, (0, 9), arrayProperties={"index": 2}),
        job("after", 1, None, status="FAILED", statusReason="Dependent Job failed",
            dependsOn=[{"jobId": "p"}]),
        job("one-child", 2, (7, 8), dependsOn=[{"jobId": "p:0"}]),
    ]  # fmt: skip
    result = replay_of(tmp_path, records)
    got = [row[:4] for row in rows(result, ["jobId", "status", "startedAt", "stoppedAt"])]
    assert got == [
        ("site-1", "FAILED", None, 9.0),  # the parent fails when its last child ends
        ("site-1:0", "SUCCEEDED", 0.0, 7.0),
        ("site-1:1", "FAILED", 0.0, 5.0),
        ("site-1:2", "SUCCEEDED", 0.0, 9.0),
        ("site-2", "FAILED", None, 9.0),  # failed with the array, as it was
        ("site-3", "SUCCEEDED", 7.0, 8.0),  # waited for child 0 only
    ]
    assert result.jobs["statusReason"].iloc[4] == "Dependent Job failed"
    assert result.attempts["exitCode"].tolist().count(3) == 1


def test_n_to_n_and_sequential_arrays(tmp_path):
    records = [
        job("a", 0, None, arrayProperties={"size": 2}),
        job("a:0", 0, (0, 10), arrayProperties={"index": 0}),
        job("a:1", 0, (0, 3), arrayProperties={"index": 1}),
        job("b", 0, None, arrayProperties={"size": 2}, dependsOn=[{"jobId": "a", "type": "N_TO_N"}]),
        job("b:0", 0, (10, 12), arrayProperties={"index": 0}),
        job("b:1", 0, (3, 7), arrayProperties={"index": 1}),
        job("s", 0, None, arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}]),
        job("s:0", 0, (0, 2), arrayProperties={"index": 0}),
        job("s:1", 0, (2, 4), arrayProperties={"index": 1}),
        job("s:2", 0, (4, 6), arrayProperties={"index": 2}),
    ]  # fmt: skip
    result = replay_of(tmp_path, records, processors=8)
    children = result.jobs[result.jobs["arrayIndex"].notna()]
    assert list(zip(children["startedAt"], children["stoppedAt"], strict=True)) == [
        (0, 10), (0, 3), (10, 12), (3, 7), (0, 2), (2, 4), (4, 6),
    ]  # fmt: skip


def test_links_to_jobs_outside_the_window_are_counted_and_met(tmp_path):
    records = [job("a", 0, (0, 50)), job("b", 10, (50, 55), dependsOn=[{"jobId": "a"}])]
    (tmp_path / "jobs.json").write_text(json.dumps(records))
    trace = "{path: jobs.json, format: aws-jobs, start: 5s}"
    result = batchsim.simulate(parse_scenario(fixed_cluster(2, trace), base_dir=tmp_path))
    assert result.jobs[["createdAt", "startedAt", "stoppedAt"]].values.tolist() == [[0, 0, 5]]
    assert result.summary["traces"]["site"]["dependencies_outside"] == 1


def test_a_parent_without_its_children_is_counted_not_replayed(tmp_path):
    records = [job("p", 0, None, arrayProperties={"size": 4}), job("x", 1, (1, 2))]
    (tmp_path / "jobs.json").write_text(json.dumps(records))
    table = read_trace(tmp_path / "jobs.json", "aws-jobs")
    assert (len(table), table.array_parents, table.links) == (1, 1, None)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (
            [job("a", 0, (0, 1), dependsOn=[{"jobId": "b"}]), job("b", 0, (0, 1), dependsOn=[{"jobId": "a"}])],
            r"jobs.json: job 1 \(a\): its dependsOn makes a cycle",
        ),
        (
            [job("a", 0, (0, 1), dependsOn=[{"jobId": "b"}]), job("b", 5, (5, 6))],
            r"jobs.json: job 1 \(a\) depends on b, created after it",
        ),
    ],
)  # fmt: skip
def test_impossible_dependencies_are_scenario_errors(tmp_path, records, message):
    (tmp_path / "jobs.json").write_text(json.dumps(records))
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(fixed_cluster(2, "{path: jobs.json, format: aws-jobs}"), base_dir=tmp_path)


def test_bad_json_names_its_line(tmp_path):
    (tmp_path / "jobs.json").write_text('{"jobs": [\n{"jobId": "a",\n "createdAt": 1,,\n}]}')
    with pytest.raises(ScenarioError, match=r"jobs.json: line 3: is not JSON"):
        parse_scenario(fixed_cluster(2, "{path: jobs.json, format: aws-jobs}"), base_dir=tmp_path)


def test_pascal_case_wrapper_and_records_are_read(tmp_path):
    records = {"Jobs": [{"JobId": "a", "CreatedAt": T0, "Status": "SUCCEEDED", "StartedAt": T0,
                         "StoppedAt": T0 + 4000, "Container": {"Vcpus": 2, "Memory": 64}}]}  # fmt: skip
    result = replay_of(tmp_path, records)
    assert result.jobs[["startedAt", "stoppedAt", "vcpus"]].values.tolist() == [[0, 4, 2]]


def test_a_job_whose_dependency_failed_unreplayed_fails_at_once(tmp_path):
    records = [
        job("L", 0, (0, 1000)),
        job("A", 1, None, status="FAILED"),  # cancelled while RUNNABLE: no run time, left out
        job("B", 2, None, status="FAILED", dependsOn=[{"jobId": "A"}]),
        job("C", 3, None, status="FAILED", dependsOn=[{"jobId": "B"}]),
        job("P", 4, None, status="FAILED", arrayProperties={"size": 3}),  # no children here
        job("D", 5, None, status="FAILED", dependsOn=[{"jobId": "P"}]),
    ]
    result = replay_of(tmp_path, records, processors=1)
    got = rows(result, ["createdAt", "startedAt", "stoppedAt", "status", "statusReason"])
    assert got == [
        (0.0, 0.0, 1000.0, "SUCCEEDED", "Essential container in task exited"),
        (2.0, None, 2.0, "FAILED", "Dependent Job failed"),  # never queued behind L
        (3.0, None, 3.0, "FAILED", "Dependent Job failed"),
        (5.0, None, 5.0, "FAILED", "Dependent Job failed"),
    ]
    counts = result.summary["traces"]["site"]
    assert (counts["no_run_time"], counts["array_parents"], counts["dependencies_outside"]) == (
        1, 1, 2,
    )  # fmt: skip
    assert result.attempts["jobId"].tolist() == ["site-1"]  # only L ever ran


def test_a_cancelled_child_fails_as_it_is_created_and_its_siblings_run(tmp_path):
    records = [
        job("p", 0, None, status="FAILED", arrayProperties={"size": 2}),
        job("p:0", 0, None, status="FAILED", statusReason="Cancelled"),
        job("p:1", 0, (0, 6), arrayProperties={"index": 1}),
    ]
    result = replay_of(tmp_path, records)
    got = rows(result, ["jobId", "startedAt", "stoppedAt", "status"])
    assert got == [
        ("site-1", None, 6.0, "FAILED"),
        ("site-1:0", None, 0.0, "FAILED"),
        ("site-1:1", 0.0, 6.0, "SUCCEEDED"),
    ]


def test_skipped_targets_are_counted_and_never_named(tmp_path):
    big = {"vcpus": 100, "memory": 64}
    records = [
        job("A", 0, (0, 5), container=big),
        job("B", 0, (5, 9), dependsOn=[{"jobId": "A"}]),
        job("P", 0, None, arrayProperties={"size": 2}, container=big),
        job("P:0", 0, (0, 5)),
        job("P:1", 0, (0, 5)),
        job("Q", 0, None, arrayProperties={"size": 2}, dependsOn=[{"jobId": "P", "type": "N_TO_N"}]),
        job("Q:0", 0, (5, 7)),
        job("Q:1", 0, (5, 8)),
    ]  # fmt: skip
    (tmp_path / "jobs.json").write_text(json.dumps(records))
    trace = "{path: jobs.json, format: aws-jobs, memory: used}"
    result = batchsim.simulate(parse_scenario(fixed_cluster(4, trace), base_dir=tmp_path))
    counts = result.summary["traces"]["site"]
    assert (counts["unplaceable"], counts["arrays"], counts["dependencies_outside"]) == (2, 1, 2)
    assert set(result.jobs["jobId"]) == {"site-2", "site-4", "site-4:0", "site-4:1"}
    result.write(tmp_path / "run", aws_json=True)
    details = json.loads((tmp_path / "run" / "jobs.json").read_text())["jobs"]
    assert all(d["dependsOn"] == [] for d in details)  # site-1 and site-3 do not exist


def test_repeated_records_count_once_the_latest_wins(tmp_path):
    records = [
        job("A", 0, (0, 3)),
        job("B", 1, (3, 5), dependsOn=[{"jobId": "A"}]),
        job("A", 0, (0, 4)),  # a later page of DescribeJobs: the same job, read again
        job("B", 1, (4, 6), dependsOn=[{"jobId": "A"}]),
    ]
    result = replay_of(tmp_path, records)
    assert rows(result, ["startedAt", "stoppedAt"]) == [(0.0, 4.0), (4.0, 6.0)]
    counts = result.summary["traces"]["site"]
    assert (counts["records"], counts["duplicates"], counts["rows"]) == (4, 2, 2)
    result.write(tmp_path / "run")
    assert (
        "- Records read: 4 (2 repeated jobIds dropped; 2 rows"
        in (tmp_path / "run" / "report.md").read_text()
    )


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ("x", r"job 1 \(P\): arrayProperties must be an object"),
        ({"size": 100_000_000}, r"job 1 \(P\): arrayProperties.size must be a whole number 2–10,000, got 100000000"),
        ({"size": 1}, r"got 1$"),
    ],
)  # fmt: skip
def test_array_sizes_outside_aws_limits_are_errors(tmp_path, properties, message):
    (tmp_path / "jobs.json").write_text(json.dumps([job("P", 0, None, arrayProperties=properties)]))
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(fixed_cluster(2, "{path: jobs.json, format: aws-jobs}"), base_dir=tmp_path)


def test_explain_keeps_retry_words_for_jobs_the_trace_says_succeeded(tmp_path):
    (tmp_path / "jobs.json").write_text(json.dumps([job("A", 0, (0, 10))]))
    entry = (
        "{path: jobs.json, format: aws-jobs}\n"
        "    failure: {probability: 1.0, exitCode: 5}\n"
        "    submit: {jobName: site, jobQueue: q, jobDefinition: proc, retryStrategy: {attempts: 2}}"
    )
    text = fixed_cluster(2, entry).replace(
        "    submit: {jobName: site, jobQueue: q, jobDefinition: proc}\n", ""
    )
    result = batchsim.simulate(parse_scenario(text, base_dir=tmp_path))
    decisions = [s.cause for s in result.explain("site-1").steps if "retried" in s.state]
    assert decisions == ["attempts_left", "attempts_exhausted"]

"""jobs.json: the run's jobs in DescribeJobs ``JobDetail`` shape, checked against botocore's
service model and, on a tiny run, value by value."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import botocore.session
import pytest
from conftest import REPO, TINY_YAML, base_scenario, cli

import batchsim
from batchsim.results import writer
from batchsim.results.aws_jobs import epoch_ms_of, job_details, jobs_json_chunks
from batchsim.scenario.loader import parse_scenario

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
PYTHON_TYPES = {
    "string": str, "long": int, "integer": int, "boolean": bool, "list": list,
    "structure": dict, "map": dict,
}  # fmt: skip


@pytest.fixture(scope="module")
def job_detail_shape():
    model = botocore.session.get_session().get_service_model("batch")
    return model.operation_model("DescribeJobs").output_shape.members["jobs"].member


def shape_problems(value, shape, path: str) -> list[str]:
    """Every key of ``value`` that is not a member of ``shape``, or of the wrong type."""
    expected = PYTHON_TYPES[shape.type_name]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        return [f"{path}: {type(value).__name__}, not {shape.type_name}"]
    if shape.type_name == "structure":
        problems = []
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                problems.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                problems += shape_problems(item, member, f"{path}.{key}")
        return problems
    if shape.type_name == "list":
        return [
            p for i, v in enumerate(value) for p in shape_problems(v, shape.member, f"{path}[{i}]")
        ]
    if shape.type_name == "map":
        return [p for k, v in value.items() for p in shape_problems(v, shape.value, f"{path}.{k}")]
    return []


def details_of(scenario, start_ms: int = EPOCH_MS) -> list[dict]:
    result = batchsim.simulate(scenario)
    text = b"".join(jobs_json_chunks(result.jobs, result.attempts, result.scenario, start_ms))
    return json.loads(text)["jobs"]


@pytest.mark.parametrize(
    "path", sorted(p.name for p in (REPO / "scenarios").glob("*.yaml")), ids=lambda name: name
)
def test_every_key_of_every_shipped_scenario_is_a_job_detail_member(path, job_detail_shape):
    scenario = batchsim.load_scenario(REPO / "scenarios" / path)
    details = details_of(scenario)
    problems = [
        p for i, d in enumerate(details) for p in shape_problems(d, job_detail_shape, f"jobs[{i}]")
    ]
    assert problems == []
    assert len(details) == len(batchsim.simulate(scenario).jobs)


def test_tiny_run_by_hand():
    # Boot 100 s → STARTING at 100 s; image pull 20 s + container start 5 s → RUNNING at 125 s;
    # runtime 600 s → SUCCEEDED at 725 s.
    (job,) = details_of(parse_scenario(TINY_YAML, "tiny.yaml"))
    attempt = job["attempts"][0]
    task = attempt["container"]["taskArn"].rsplit("/", 1)[1]
    assert job == {
        "jobArn": "arn:aws:batch:us-east-1:123456789012:job/a-1",
        "jobName": "a",
        "jobId": "a-1",
        "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/q",
        "status": "SUCCEEDED",
        "attempts": [
            {
                "container": {
                    "containerInstanceArn": "arn:aws:ecs:us-east-1:123456789012:container-instance/i-00000000000000001",
                    "taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/{task}",
                    "exitCode": 0,
                    "logStreamName": f"work/default/{task}",
                },
                "startedAt": EPOCH_MS + 125_000,
                "stoppedAt": EPOCH_MS + 725_000,
                "statusReason": "Essential container in task exited",
            }
        ],
        "statusReason": "Essential container in task exited",
        "createdAt": EPOCH_MS,
        "startedAt": EPOCH_MS + 125_000,
        "stoppedAt": EPOCH_MS + 725_000,
        "dependsOn": [],
        "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/work:1",
        "container": {
            "image": "public.ecr.aws/docker/library/busybox:latest",
            "exitCode": 0,
            "containerInstanceArn": "arn:aws:ecs:us-east-1:123456789012:container-instance/i-00000000000000001",
            "resourceRequirements": [
                {"value": "2", "type": "VCPU"},
                {"value": "2048", "type": "MEMORY"},
            ],
        },
    }


def test_start_time_moves_every_instant_and_nothing_else():
    scenario = parse_scenario(TINY_YAML, "tiny.yaml")
    start = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    shifted = epoch_ms_of(start) - EPOCH_MS
    (late,) = details_of(scenario, epoch_ms_of(start))
    (job,) = details_of(scenario)
    assert epoch_ms_of(None) == EPOCH_MS and epoch_ms_of(start) == 1_709_294_400_000
    for key in ("createdAt", "startedAt", "stoppedAt"):
        assert late[key] == job[key] + shifted
    assert late["attempts"][0]["stoppedAt"] == job["attempts"][0]["stoppedAt"] + shifted
    late["attempts"], job["attempts"] = [], []
    assert {k: v for k, v in late.items() if not k.endswith("At")} == {
        k: v for k, v in job.items() if not k.endswith("At")
    }


def test_retries_array_dependencies_and_definition_settings():
    # Every attempt fails (probability 1) with exit code 3: two attempts, then FAILED. The array
    # of two waits for it and fails with "Dependent Job failed" without an attempt.
    definition = base_scenario()["jobDefinitions"][0]
    definition["simulation"]["failure"] = {"probability": 1.0, "exitCode": 3}
    definition["retryStrategy"] = {"attempts": 2}
    definition["timeout"] = {"attemptDurationSeconds": 3600}
    definition["tags"] = {"team": "genomics"}
    scenario = batchsim.Scenario.model_validate(base_scenario(
        jobDefinitions=[definition],
        workload=[
            {"name": "a", "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"}},
            {"name": "b", "submit": {"jobName": "b", "jobQueue": "q", "jobDefinition": "work",
                                     "arrayProperties": {"size": 2}, "dependsOn": [{"jobId": "a"}]}},
        ],
    ))  # fmt: skip
    jobs = {d["jobId"]: d for d in details_of(scenario)}
    a = jobs["a-1"]
    assert a["status"] == "FAILED" and len(a["attempts"]) == 2
    assert [t["container"]["exitCode"] for t in a["attempts"]] == [3, 3]
    assert a["container"]["exitCode"] == 3
    assert a["retryStrategy"] == {"attempts": 2, "evaluateOnExit": []}
    assert a["timeout"] == {"attemptDurationSeconds": 3600} and a["tags"] == {"team": "genomics"}
    first, second = (t["container"]["taskArn"] for t in a["attempts"])
    assert first != second
    parent = jobs["b-1"]
    assert parent["dependsOn"] == [{"jobId": "a-1"}]
    assert parent["arrayProperties"]["size"] == 2
    assert parent["arrayProperties"]["statusSummary"]["FAILED"] == 2
    assert sum(parent["arrayProperties"]["statusSummary"].values()) == 2
    assert [jobs[f"b-1:{i}"]["arrayProperties"] for i in (0, 1)] == [{"index": 0}, {"index": 1}]
    assert jobs["b-1:0"]["attempts"] == [] and "startedAt" not in jobs["b-1:0"]


def test_same_run_gives_identical_bytes():
    result = batchsim.simulate(batchsim.load_scenario(REPO / "scenarios" / "genomics-array.yaml"))
    one = b"".join(jobs_json_chunks(result.jobs, result.attempts, result.scenario, EPOCH_MS))
    two = b"".join(jobs_json_chunks(result.jobs, result.attempts, result.scenario, EPOCH_MS))
    assert one == two
    assert one.startswith(b'{"jobs":[\n{"jobArn":') and one.endswith(b"}\n]}\n")
    assert one.count(b"\n") == len(result.jobs) + 2  # one job per line


def test_empty_run_is_an_empty_list():
    result = batchsim.simulate(parse_scenario(TINY_YAML, "tiny.yaml"))
    none = result.jobs.iloc[:0]
    assert list(job_details(none, result.attempts.iloc[:0], result.scenario, 0)) == []
    assert json.loads(b"".join(jobs_json_chunks(none, result.attempts, result.scenario, 0))) == {
        "jobs": []
    }


def test_cli_writes_it_by_default_with_the_start_time(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(TINY_YAML)
    status, _, err = cli(
        "run", str(path), "-o", str(tmp_path / "o"), "--start-time", "2024-03-01T12:00:00Z"
    )
    assert status == 0, err
    (job,) = json.loads((tmp_path / "o" / "jobs.json").read_text())["jobs"]
    assert job["createdAt"] == 1_709_294_400_000
    status, _, err = cli(
        "run", str(path), "-o", str(tmp_path / "o"), "--start-time", "1709294400000"
    )
    assert status == 0, err
    assert (
        json.loads((tmp_path / "o" / "jobs.json").read_text())["jobs"][0]["createdAt"]
        == 1_709_294_400_000
    )
    assert cli("run", str(path), "-o", str(tmp_path / "o"), "--no-aws-json")[0] == 0
    assert not (tmp_path / "o" / "jobs.json").exists()


def test_bad_start_time_is_exit_2(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(TINY_YAML)
    status = cli("run", str(path), "-o", str(tmp_path / "o"), "--start-time", "yesterday")[0]
    err = capsys.readouterr().err  # NOTE: argparse writes its usage errors to sys.stderr
    assert status == 2
    assert "a start time is ISO 8601" in err and "Traceback" not in err


def test_big_runs_skip_it_unless_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "AWS_JSON_BY_DEFAULT_MAX", 0)
    path = tmp_path / "s.yaml"
    path.write_text(TINY_YAML)
    status, out, _ = cli("run", str(path), "-o", str(tmp_path / "o"))
    assert status == 0
    assert "jobs.json not written: 1 jobs, over 0; add --aws-json to write it" in out
    assert not (tmp_path / "o" / "jobs.json").exists()
    assert cli("run", str(path), "-o", str(tmp_path / "o"), "--aws-json")[0] == 0
    assert (tmp_path / "o" / "jobs.json").exists()

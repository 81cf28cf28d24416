"""The actions timeline, hand-computed: CancelJob and TerminateJob per job state, and
UpdateComputeEnvironment / UpdateJobQueue.

Base scenario (conftest.base_scenario) with maxvCpus 2: one c5.large at a time. Job a is placed
at once (STARTING 100, RUNNING 125, done 725); c waits RUNNABLE for room; b depends on a (PENDING).
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import base_scenario, job, run

from batchsim.errors import ScenarioError
from batchsim.results.events import blocked_events
from batchsim.scenario.loader import parse_scenario

SUBMIT = {"jobQueue": "q", "jobDefinition": "work"}


def three_jobs(actions: list[dict]) -> dict:
    data = base_scenario(actions=actions)
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 2
    data["workload"] = [
        {"name": "a", "submit": {**SUBMIT, "jobName": "a"}},
        {"name": "b", "submit": {**SUBMIT, "jobName": "b", "dependsOn": [{"jobId": "a"}]}},
        {"name": "c", "submit": {**SUBMIT, "jobName": "c"}},
    ]
    return data


def at_200(call: str, *entries: str) -> list[dict]:
    return [{"at": "200s", call: {"jobId": name, "reason": f"{call} {name}"}} for name in entries]


def test_cancel_fails_waiting_jobs_and_leaves_running_ones():
    result = run(three_jobs(at_200("CancelJob", "a", "b", "c")))
    a, b, c = (job(result, f"{name}-1") for name in "abc")
    assert (a["status"], a["stoppedAt"]) == ("SUCCEEDED", 725)  # RUNNING at 200: not canceled
    # b is PENDING: AWS cancels it only once its dependency a has completed (725)
    assert (b["status"], b["stoppedAt"], b["statusReason"]) == ("FAILED", 725, "CancelJob b")
    assert (c["status"], c["stoppedAt"], c["statusReason"]) == ("FAILED", 200, "CancelJob c")
    assert set(result.attempts["jobId"]) == {"a-1"}  # b and c never ran


def test_terminate_stops_a_running_attempt_and_fails_its_dependents():
    data = three_jobs(at_200("TerminateJob", "a"))
    data["jobDefinitions"][0]["retryStrategy"] = {
        "attempts": 3
    }  # terminated attempts are not retried
    result = run(data)
    (attempt,) = result.attempts[result.attempts["jobId"] == "a-1"].to_dict("records")
    assert (attempt["stoppedAt"], attempt["outcome"], attempt["statusReason"]) == (
        200,
        "terminated",
        "TerminateJob a",
    )
    a, b, c = (job(result, f"{name}-1") for name in "abc")
    assert (a["status"], a["attempts"]) == ("FAILED", 1)
    assert (b["status"], b["statusReason"]) == ("FAILED", "Dependent Job failed")
    # c takes the instance a left: image cached, RUNNING 5 s later.
    assert (c["startingAt"], c["startedAt"], c["stoppedAt"]) == (200, 205, 805)


def test_raising_max_vcpus_lets_a_waiting_job_scale_out():
    update = {"computeEnvironment": "od", "computeResources": {"maxvCpus": 4}}
    result = run(three_jobs([{"at": "300s", "UpdateComputeEnvironment": update}]))
    # c waited for room; at 300 a second c5.large is allowed: ready 400, pull 20 s, start 5 s.
    assert job(result, "c-1")["startingAt"] == 400 and job(result, "c-1")["startedAt"] == 425


def test_a_disabled_queue_refuses_later_submissions():
    data = base_scenario(
        actions=[{"at": "10s", "UpdateJobQueue": {"jobQueue": "q", "state": "DISABLED"}}]
    )
    data["workload"].append({"name": "late", "at": "20s", "submit": {**SUBMIT, "jobName": "late"}})
    result = run(data)
    assert result.jobs["jobId"].tolist() == ["a-1"]  # a, submitted before, still runs
    assert job(result, "a-1")["status"] == "SUCCEEDED"


def test_actions_name_what_exists():
    actions = [
        {"at": 1, "CancelJob": {"jobId": "nope", "reason": "r"}},
        {"at": 1, "UpdateJobQueue": {"jobQueue": "qq", "priority": 3}},
        {
            "at": 1,
            "CancelJob": {"jobId": "a", "reason": "r"},
            "TerminateJob": {"jobId": "a", "reason": "r"},
        },
    ]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(base_scenario(actions=actions)))
    problems = {p.path: p.message for p in caught.value.problems}
    assert problems["actions[0].CancelJob.jobId"].startswith("unknown workload entry 'nope'")
    assert problems["actions[1].UpdateJobQueue.jobQueue"].startswith("unknown job queue 'qq'")
    assert "give exactly one of CancelJob, TerminateJob" in problems["actions[2]"]


CANCELED = "Canceled by JobStateTimeLimit action due to reason: "


def test_time_limit_actions_cancel_the_blocked_head_then_the_next():
    data = base_scenario()
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [{"start": 0}]  # never ends
    data["jobQueues"][0]["jobStateTimeLimitActions"] = [
        {
            "reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
            "state": "RUNNABLE",
            "maxTimeSeconds": 600,
            "action": "CANCEL",
        }
    ]
    data["workload"] = [
        {"name": "a", "count": 2, "submit": {**SUBMIT, "jobName": "a"}},
        {"name": "b", "at": "300s", "submit": {**SUBMIT, "jobName": "b"}},
    ]
    result = run(data)
    # Blocked from submission: a-1 and a-2 at 0 (canceled at 600, one after the other as each
    # becomes the head), b-1 at 300 (canceled at 900).
    stopped = result.jobs.set_index("jobId")["stoppedAt"].to_dict()
    assert stopped == {"a-1": 600, "a-2": 600, "b-1": 900}
    assert set(result.jobs["statusReason"]) == {
        CANCELED + "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"
    }


def test_time_limit_actions_cancel_a_job_no_ce_can_run():
    data = base_scenario()
    data["jobQueues"][0]["jobStateTimeLimitActions"] = [
        {"reason": "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", "maxTimeSeconds": 3600}
    ]
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"][1]["value"] = "65536"
    row = job(run(data), "a-1")
    assert (row["status"], row["stoppedAt"]) == ("FAILED", 3600)
    assert row["statusReason"] == CANCELED + "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"


def test_each_blocked_head_job_raises_a_batch_job_queue_blocked_event(tmp_path):
    data = base_scenario()
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [{"start": 0}]  # never ends
    data["jobQueues"][0]["jobStateTimeLimitActions"] = [
        {"reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "maxTimeSeconds": 600}
    ]
    data["workload"] = [
        {"name": "a", "count": 2, "submit": {**SUBMIT, "jobName": "a"}},
        {"name": "b", "at": "300s", "submit": {**SUBMIT, "jobName": "b"}},
    ]
    result = run(data)
    events = list(blocked_events(result.blocked, result.jobs))
    # a-1 is the blocked head at 0; canceled at 600, a-2 becomes the head (blocked since 0), is
    # canceled at once, and b-1 (blocked since 300) becomes the head until its own limit at 900.
    heads = [(e["time"], e["detail"]["jobId"]) for e in events]
    assert heads == [
        ("2026-01-01T00:00:00Z", "a-1"),
        ("2026-01-01T00:10:00Z", "a-2"),
        ("2026-01-01T00:10:00Z", "b-1"),
    ]
    first = events[0]
    assert first["detail-type"] == "Batch Job Queue Blocked" and first["source"] == "aws.batch"
    assert first["resources"] == [
        "arn:aws:batch:us-east-1:123456789012:job/a-1",
        "arn:aws:batch:us-east-1:123456789012:job-queue/q",
    ]
    assert first["detail"]["status"] == "RUNNABLE"
    assert first["detail"]["statusReason"].startswith("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - ")
    result.write(tmp_path)
    written = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e for e in written if e["detail-type"] == "Batch Job Queue Blocked"] == events


def test_a_head_that_fits_nowhere_is_reported_once_and_backfill_does_not_report_others():
    data = base_scenario()
    data["workload"] = [
        {
            "name": "big",
            "submit": {
                **SUBMIT,
                "jobName": "big",
                "containerOverrides": {"resourceRequirements": [{"type": "VCPU", "value": "32"}]},
            },
        },
        {"name": "small", "at": "10s", "count": 3, "submit": {**SUBMIT, "jobName": "small"}},
    ]
    data["simulation"] = {"stopAt": "2h"}
    result = run(data)
    (event,) = blocked_events(result.blocked, result.jobs)
    assert event["detail"]["jobId"] == "big-1" and event["time"] == "2026-01-01T00:00:00Z"
    assert event["detail"]["statusReason"].startswith(
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - "
    )
    assert set(result.jobs[result.jobs["workload"] == "small"]["status"]) == {"SUCCEEDED"}


def test_a_head_blocked_all_along_is_reported_once_while_capacity_comes_and_goes():
    data = base_scenario()
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [
        {"start": 0, "end": "200s"},
        {"start": "1000s", "end": "1200s"},
        {"start": "2000s", "end": "2200s"},
    ]
    data["workload"] = [
        {
            "name": "big",
            "submit": {
                **SUBMIT,
                "jobName": "big",
                "containerOverrides": {"resourceRequirements": [{"type": "VCPU", "value": "32"}]},
            },
        },
        {
            "name": "small",
            "arrivals": {"times": ["0s", "1000s", "2000s"]},
            "submit": {**SUBMIT, "jobName": "small"},
        },
    ]
    data["simulation"] = {"stopAt": "3h"}
    result = run(data)
    # The small jobs' CAPACITY reasons come and go; big's reason (it fits nowhere) never lifts.
    heads = [(e["time"], e["detail"]["jobId"]) for e in blocked_events(result.blocked, result.jobs)]
    assert heads == [("2026-01-01T00:00:00Z", "big-1")]

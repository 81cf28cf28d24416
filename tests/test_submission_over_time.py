"""Submission over time, hand-computed: EventBridge schedules (rate and cron), explicit lists of
times and Poisson bursts; and the loader's rules for them. t=0 is 2026-01-01T00:00Z (UTC)."""

from __future__ import annotations

import pytest
import yaml
from conftest import base_scenario, run

from batchsim.errors import ScenarioError
from batchsim.scenario.loader import parse_scenario

SUBMIT = {"jobName": "s", "jobQueue": "q", "jobDefinition": "work"}


def created(result) -> list[float]:
    """Return every job's createdAt, in order."""
    return sorted(result.jobs["createdAt"].tolist())


def with_entry(entry: dict, **settings) -> dict:
    data = base_scenario(workload=[{"name": "s", "submit": SUBMIT, **entry}])
    if settings:
        data["simulation"] = settings
    return data


def test_a_rate_schedule_submits_count_jobs_at_every_firing_from_at_until_until():
    result = run(
        with_entry({"schedule": "rate(10 minutes)", "at": "5m", "until": "35m", "count": 2})
    )
    assert created(result) == [300, 300, 900, 900, 1500, 1500, 2100, 2100]
    assert set(result.jobs["status"]) == {"SUCCEEDED"}


def test_a_cron_schedule_fires_at_matching_utc_minutes_until_stop_at():
    result = run(with_entry({"schedule": "cron(0 2 * * ? *)"}, stopAt="3d"))
    assert created(result) == [7200, 93600, 180000]  # 02:00 on Jan 1, 2 and 3


def test_a_weekday_cron_skips_the_weekend():
    # 2026-01-01 is a Thursday: Thu 1, Fri 2, (Sat 3, Sun 4 skipped), Mon 5 at 09:00.
    result = run(with_entry({"schedule": "cron(0 9 ? * MON-FRI *)", "until": "5d"}))
    assert created(result) == [9 * 3600, 33 * 3600, 105 * 3600]


def test_arrival_times_submit_one_job_at_each_listed_time():
    result = run(with_entry({"arrivals": {"times": ["0s", "5m", "5m", "1h"]}}))
    assert created(result) == [0, 300, 300, 3600]


def test_a_poisson_burst_lands_within_seconds_of_its_start():
    burst = {"poisson": {"rate": "10/s"}, "start": "1h", "count": 50}
    result = run(with_entry({"arrivals": burst}))
    times = created(result)
    assert len(times) == 50 and times[0] >= 3600
    assert times[-1] - times[0] < 15  # 50 gaps of mean 0.1 s: about 5 s


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ({"schedule": "rate(1 hour)"}, "workload[0].schedule", "a schedule fires for ever"),
        (
            {"schedule": "rate(1 minutes)", "until": "1h"},
            "workload[0].schedule",
            "use 'minute' when the value is 1",
        ),
        ({"schedule": "cron(0 2 * * *)", "until": "1h"}, "workload[0].schedule", "needs 6 fields"),
        ({"until": "1h"}, "workload[0]", "'until' ends a 'schedule'"),
        (
            {"arrivals": {"times": [1], "count": 3}},
            "workload[0].arrivals",
            "leave out start, until, count",
        ),
    ],
)
def test_loader_reports_schedule_problems_at_their_key(entry, path, message):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(with_entry(entry)))
    problems = {p.path: p.message for p in caught.value.problems}
    assert message in problems[path]


def test_a_scheduled_entry_cannot_be_a_dependency():
    data = with_entry({"schedule": "rate(1 hour)", "until": "3h"})
    data["workload"].append(
        {"name": "after", "at": "1h", "submit": {**SUBMIT, "dependsOn": [{"jobId": "s"}]}}
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(data))
    (problem,) = caught.value.problems
    assert problem.path == "workload[1].submit.dependsOn[0]"
    assert "no arrivals or schedule" in problem.message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"schedule": "rate(1 hour)", "at": "2h", "until": "1h"}, "'until' is before 'at'"),
        (
            {"schedule": "cron(0 2 30 2 ? *)", "until": "400d"},
            "never fires between 2026-01-01T00:00Z and 2027-02-05T00:00Z",
        ),
        ({"schedule": "cron(* * * * ? 2020)", "until": "1d"}, "never fires"),
    ],
)
def test_loader_reports_a_schedule_that_never_fires(entry, message):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_dump(with_entry(entry)))
    (problem,) = caught.value.problems
    assert message in problem.message

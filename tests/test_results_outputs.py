"""The output folder: files, byte-for-byte reproducibility, EventBridge events, plots and report.

The main scenario is worked out by hand. One c5.4xlarge (16 vCPUs) boots in 100 s; the array's
ten 2-vCPU children fill it eight at a time. The first eight pull the image (20 s) and start
(5 s), so they run 125 s → 725 s; the last two start at 725 s with the image cached (5 s) and
end at 730 + 600 = 1330 s, which is the makespan. The instance is removed 300 s later, at 1630 s.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from conftest import base_scenario

import batchsim
from batchsim.results import events as ev
from batchsim.results.formats import format_duration, format_usd
from batchsim.results.plots import FILENAMES, capacity_figure
from batchsim.results.report import summary_table
from batchsim.results.writer import write_outputs
from batchsim.scenario.schema import Scenario

ARRAY_SIZE = 10
MAKESPAN_S = 1330.0
INSTANCE_LIFETIME_S = 1630.0
TABLE_FILES = ("jobs.csv", "attempts.csv", "instances.csv", "timeline.csv", "waits.csv")
ALL_FILES = (
    *TABLE_FILES, "summary.json", "events.jsonl", "jobs.json", "report.md", "report.html",
    "scenario.resolved.yaml", *FILENAMES.values(),
)  # fmt: skip
EVENT_KEYS = {
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
}


def scenario_data() -> dict:
    """An array of ARRAY_SIZE two-vCPU jobs on a c5 CE scaling from zero (see conftest)."""
    data = base_scenario(name="t")
    data["computeEnvironments"][0]["computeResources"]["instanceTypes"] = ["c5"]
    data["workload"][0]["submit"]["arrayProperties"] = {"size": ARRAY_SIZE}
    return data


def scenario() -> Scenario:
    """Return the array scenario, validated."""
    return Scenario.model_validate(scenario_data())


def retry_scenario() -> Scenario:
    """Two plain jobs whose every attempt fails after 1 minute, with two attempts each."""
    data = scenario_data()
    definition = data["jobDefinitions"][0]
    definition["retryStrategy"] = {"attempts": 2}
    definition["simulation"]["failure"] = {"probability": 1.0, "exitCode": 3, "after": "1m"}
    data["workload"] = [
        {
            "name": "p",
            "count": 2,
            "submit": {"jobName": "p", "jobQueue": "q", "jobDefinition": "work"},
        }
    ]
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def result():
    return batchsim.simulate(scenario())


@pytest.fixture(scope="module")
def out(result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    result.write(folder)
    return folder


def read_events(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]


def by_job(events: list[dict]) -> dict[str, list[dict]]:
    grouped = defaultdict(list)
    for event in events:
        grouped[event["detail"]["jobId"]].append(event)
    return grouped


def test_every_file_is_written_and_listed(result, tmp_path):
    written = write_outputs(result, tmp_path / "new")
    assert sorted(p.name for p in written) == sorted(ALL_FILES)
    assert written[-1].name == "summary.json"
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert not [p for p in (tmp_path / "new").iterdir() if p.name.startswith(".")]


def test_summary_round_trips_and_has_no_wall_time(result, out):
    text = (out / "summary.json").read_text()
    assert json.loads(text) == result.summary
    assert "wall" not in text
    assert result.summary["makespan_s"] == MAKESPAN_S


def test_same_seed_gives_byte_identical_files(out, tmp_path):
    batchsim.simulate(scenario()).write(tmp_path)
    for name in (
        *TABLE_FILES,
        "summary.json",
        "events.jsonl",
        "report.md",
        "scenario.resolved.yaml",
    ):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_crash_midway_leaves_no_summary_and_no_temp_files(result, tmp_path, monkeypatch):
    from batchsim.results import writer

    def broken(_result):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer, "render_report", broken)
    with pytest.raises(RuntimeError):
        write_outputs(result, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert "summary.json" not in names and "report.md" not in names
    assert not [n for n in names if n.endswith(".tmp")]


def test_events_follow_the_lifecycle_with_the_hand_counted_total(out):
    events = read_events(out)
    # Each child: RUNNABLE, STARTING, RUNNING, SUCCEEDED; the parent: PENDING, SUCCEEDED.
    assert len(events) == 4 * ARRAY_SIZE + 2
    assert all(
        set(e) == EVENT_KEYS and e["detail-type"] == "Batch Job State Change" for e in events
    )
    assert not [e for e in events if e["detail"]["status"] == "SUBMITTED"]
    jobs = by_job(events)
    assert [e["detail"]["status"] for e in jobs["a-1"]] == ["PENDING", "SUCCEEDED"]
    for index in range(ARRAY_SIZE):
        child = jobs[f"a-1:{index}"]
        assert [e["detail"]["status"] for e in child] == [
            "RUNNABLE",
            "STARTING",
            "RUNNING",
            "SUCCEEDED",
        ]
        assert [len(e["detail"]["attempts"]) for e in child] == [0, 0, 0, 1]
        assert child[0]["detail"]["arrayProperties"] == {"index": index}


def test_event_times_are_ordered_and_match_the_tables(result, out):
    events = read_events(out)
    times = [e["time"] for e in events]
    assert times == sorted(times)
    assert times[0] == "2026-01-01T00:00:00Z" and times[-1] == "2026-01-01T00:22:10Z"
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = {
        "RUNNABLE": "runnableAt",
        "STARTING": "startingAt",
        "RUNNING": "startedAt",
        "SUCCEEDED": "stoppedAt",
    }
    rows = result.jobs.set_index("jobId")
    for event in events[1:-1]:
        detail = event["detail"]
        at = epoch + timedelta(seconds=float(rows.loc[detail["jobId"], stamps[detail["status"]]]))
        assert event["time"] == at.strftime("%Y-%m-%dT%H:%M:%SZ")
        at_ms = round(at.timestamp() * 1000)
        if detail["status"] == "RUNNING":
            assert detail["startedAt"] == at_ms and "stoppedAt" not in detail
        if detail["status"] == "SUCCEEDED":
            assert detail["stoppedAt"] == at_ms == detail["attempts"][0]["stoppedAt"]


def test_parent_rolls_up_after_its_last_child(out):
    events = read_events(out)
    last = events[-1]["detail"]
    assert last["jobId"] == "a-1" and last["status"] == "SUCCEEDED"
    assert last["arrayProperties"]["size"] == ARRAY_SIZE
    assert last["arrayProperties"]["statusSummary"]["SUCCEEDED"] == ARRAY_SIZE
    first = events[0]["detail"]["arrayProperties"]["statusSummary"]
    assert first["PENDING"] == ARRAY_SIZE and sum(first.values()) == ARRAY_SIZE


def test_event_ids_are_uuid5_of_job_status_and_time(out):
    events = read_events(out)
    namespace = uuid.uuid5(uuid.NAMESPACE_DNS, "batchsim.events")
    for event in events:
        detail = event["detail"]
        at_ms = detail.get("stoppedAt") or {"RUNNING": detail.get("startedAt")}.get(
            detail["status"]
        )
        if at_ms is not None:
            assert event["id"] == str(
                uuid.uuid5(namespace, f"{detail['jobId']}/{detail['status']}/{at_ms}")
            )
    assert len({e["id"] for e in events}) == len(events)


def test_arns_follow_the_aws_formats(out):
    detail = read_events(out)[-1]["detail"]
    prefix = "arn:aws:batch:us-east-1:123456789012:"
    assert detail["jobArn"] == prefix + "job/a-1"
    assert detail["jobQueue"] == prefix + "job-queue/q"
    assert detail["jobDefinition"] == prefix + "job-definition/work:1"


def test_retried_job_goes_back_to_runnable_and_lists_finished_attempts():
    result = batchsim.simulate(retry_scenario())
    events = list(ev.job_state_events(result.jobs, result.attempts))
    jobs = by_job(events)
    # Two jobs, each: (RUNNABLE, STARTING, RUNNING) twice, then FAILED.
    assert len(events) == 2 * 7
    for job_events in jobs.values():
        statuses = [e["detail"]["status"] for e in job_events]
        assert statuses == ["RUNNABLE", "STARTING", "RUNNING"] * 2 + ["FAILED"]
        assert [len(e["detail"]["attempts"]) for e in job_events] == [0, 0, 0, 1, 1, 1, 2]
        final = job_events[-1]["detail"]
        assert [a["container"]["exitCode"] for a in final["attempts"]] == [3, 3]
        assert final["container"] == {"exitCode": 3}
        assert final["stoppedAt"] - final["startedAt"] == 60_000


def test_pngs_are_valid(out):
    for name in FILENAMES.values():
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000, name


def test_plot_draws_into_a_given_axes(result):
    figure = capacity_figure(result.timeline)
    ax = figure.axes[0]
    assert capacity_figure(result.timeline, ax=ax) is figure
    assert ax.get_xlabel() == "time (min)"


def test_report_shows_makespan_and_cost(result, out):
    report = (out / "report.md").read_text()
    cost = result.instances["pricePerHour"].iloc[0] * INSTANCE_LIFETIME_S / 3600
    assert result.summary["total_cost_usd"] == pytest.approx(cost)
    assert f"| Makespan | {format_duration(MAKESPAN_S)} |" in report
    assert format_duration(MAKESPAN_S) == "22 min 10 s"
    assert f"| Total cost | {format_usd(cost)} |" in report
    for name in FILENAMES.values():
        assert f"]({name})" in report


def test_summary_table_for_the_terminal(result):
    table = summary_table(result.summary)
    assert "22 min 10 s" in table and format_usd(result.summary["total_cost_usd"]) in table
    assert "10 SUCCEEDED" in table

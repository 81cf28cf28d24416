"""``trace:`` workload entries: readers, options, errors, and the exact FCFS check.

The exact check (issue 13): with backfill off, one processor = one vCPU and one UNMANAGED
instance of P vCPUs with no start delays, replaying an SWF log reproduces the independent strict
FCFS replay of ``tests/fcfs_reference.py`` — makespan and mean wait to the second.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import batchsim
from batchsim.cli import ExitStatus, main
from batchsim.errors import ScenarioError
from batchsim.results.formats import format_duration
from batchsim.scenario.loader import load_scenario, parse_scenario
from batchsim.scenario.traces import read_trace
from tests.fcfs_reference import brute_force, fcfs, fixed_cluster, swf_rows

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

DATA = Path(__file__).resolve().parent / "data" / "traces"
EXCERPTS = [
    ("kth-sp2-excerpt.swf", 100),
    ("hpc2n-excerpt.swf.gz", 240),
    ("sdsc-blue-excerpt.swf", 1152),
]


def replay(path: Path, processors: int, options: str = "") -> batchsim.RunResult:
    """Run the fixed-cluster scenario over the trace at ``path``."""
    trace = f"{{path: {path.name}, format: swf{options}}}"
    scenario = parse_scenario(fixed_cluster(processors, trace), base_dir=path.parent)
    return batchsim.simulate(scenario)


def swf(rows: list[tuple[float, float, float]], header: str = "") -> str:
    """An SWF log of (submit, run time, processors) rows (the other fields unknown)."""
    lines = [header] if header else []
    for number, (submit, run_time, size) in enumerate(rows, start=1):
        fields = [
            number,
            submit,
            -1,
            run_time,
            size,
            -1,
            -1,
            size,
            -1,
            -1,
            1,
            1,
            1,
            -1,
            1,
            -1,
            -1,
            -1,
        ]
        lines.append(" ".join(str(int(f)) for f in fields))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- the reference
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(-1, 12), st.integers(0, 5)),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 4),
)
def test_reference_matches_brute_force(rows, processors):
    rows = sorted((float(s), float(r), float(p)) for s, r, p in rows)
    rows = sorted(rows, key=lambda row: row[0])
    assert fcfs(rows, processors) == brute_force(rows, processors)


def test_reference_by_hand():
    # 2 processors: A(2 procs, 10 s) at 0, B(1, 5) at 1 waits to 10, C(1, 3) at 2 starts
    # with B at 10 (strict order, room for both), D(3) too big, E(run -1) skipped.
    rows = [(0, 10, 2), (1, 5, 1), (2, 3, 1), (3, 4, 3), (4, -1, 1)]
    result = fcfs([tuple(map(float, r)) for r in rows], 2)
    assert (result.makespan_s, result.mean_wait_s, result.jobs, result.skipped) == (
        15.0,
        17 / 3,
        3,
        2,
    )


# ----------------------------------------------------------------------------- the exact check
@pytest.mark.parametrize(("name", "processors"), EXCERPTS)
def test_excerpt_replay_is_strict_fcfs(name, processors):
    path = DATA / name
    expected = fcfs(swf_rows(path), processors)
    result = replay(path, processors)
    assert result.summary["makespan_s"] == expected.makespan_s
    assert result.summary["queue_wait_s"]["mean"] == pytest.approx(expected.mean_wait_s, abs=1e-6)
    counts = result.summary["traces"]["site"]
    assert counts["submitted"] == expected.jobs
    assert (
        counts["no_run_time"] + counts["unplaceable"] + counts["no_processors"] == expected.skipped
    )


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(-1, 15), st.integers(1, 6)),
        min_size=1,
        max_size=10,
    ),
    st.integers(2, 5),
)
def test_random_logs_replay_as_strict_fcfs(tmp_path_factory, rows, processors):
    rows = sorted(((float(s), float(r), float(p)) for s, r, p in rows), key=lambda row: row[0])
    expected = fcfs(rows, processors)
    path = tmp_path_factory.mktemp("swf") / "log.swf"
    path.write_text(swf(rows))
    result = replay(path, processors)
    if expected.jobs == 0:
        assert result.summary["jobs_total"] == 0
        return
    assert result.summary["makespan_s"] == expected.makespan_s
    assert result.summary["queue_wait_s"]["mean"] == pytest.approx(expected.mean_wait_s, abs=1e-9)


# ----------------------------------------------------------------------------- readers
def test_swf_header_is_metadata_and_gzip_reads_directly():
    table = read_trace(DATA / "hpc2n-excerpt.swf.gz", "swf")
    assert len(table) == 300
    assert table.metadata["MaxProcs"] == "240"
    assert table.metadata["Computer"].startswith("Linux cluster")
    text = gzip.decompress((DATA / "hpc2n-excerpt.swf.gz").read_bytes()).decode()
    header = sum(1 for line in text.splitlines() if line.startswith(";"))
    assert list(table.lines[:2]) == [header + 1, header + 2]  # data lines, numbered in the file


def test_options_window_limit_scales_and_vcpus(tmp_path):
    (tmp_path / "log.swf").write_text(
        swf([(100, 10, 1), (110, 20, 2), (130, -1, 1), (150, 30, 1), (170, 5, 1)])
    )
    options = (
        ", start: 105, end: 160, maxJobs: 1, timeScale: 2, runtimeScale: 3, vcpusPerProcessor: 2"
    )
    result = replay(tmp_path / "log.swf", 8, options)
    jobs = result.jobs
    # window [105, 160): rows 2-4; row 3 has no run time; the limit keeps row 2 only
    assert list(jobs["createdAt"]) == [0.0]
    assert list(jobs["stoppedAt"] - jobs["startedAt"]) == [60.0]
    counts = dict(result.summary["traces"]["site"])
    assert counts.pop("queue_wait_by_queue_s") == {
        "q": {"mean": 0.0, "p50": 0.0, "p95": 0.0, "max": 0.0}
    }
    assert counts == {
        "rows": 5, "outside_window": 2, "no_run_time": 1, "no_processors": 0,
        "over_job_limit": 1, "array_parents": 0, "unplaceable": 0, "submitted": 1,
    }  # fmt: skip
    assert result.summary["vcpu_hours_used"] == pytest.approx(4 * 60 / 3600)


def test_time_scale_spreads_submissions(tmp_path):
    (tmp_path / "log.swf").write_text(swf([(100, 10, 1), (110, 20, 1), (150, 30, 1)]))
    result = replay(tmp_path / "log.swf", 4, ", timeScale: 0.5")
    assert list(result.jobs["createdAt"]) == [0.0, 5.0, 25.0]


def test_memory_used_per_processor_from_swf(tmp_path):
    row = "1 0 -1 10 4 -1 2048 4 -1 4096 1 1 1 -1 1 -1 -1 -1\n"  # used 2048 KB/proc, asked 4096
    (tmp_path / "log.swf").write_text(row)
    for memory, expected in (("used", 8.0), ("requested", 16.0)):
        scenario = parse_scenario(
            fixed_cluster(8, f"{{path: log.swf, format: swf, memory: {memory}}}"), base_dir=tmp_path
        )
        from batchsim.scenario.trace_jobs import load_trace_jobs

        jobs = load_trace_jobs(scenario.workload[0].trace, tmp_path, "q")
        assert list(jobs.memory_mib) == [expected]  # KB per processor x 4 processors, in MiB


def test_queue_mapping_and_failed_jobs(tmp_path):
    text = swf([(0, 10, 1), (0, 10, 1)]).splitlines()
    text[1] = text[1].replace(" 1 1 1 -1 1 ", " 0 1 1 -1 2 ")  # status 0 (failed), queue 2
    (tmp_path / "log.swf").write_text("\n".join(text) + "\n")
    options = ", queues: {by: queue, map: {'2': other}}"
    result = replay(tmp_path / "log.swf", 4, options)
    jobs = result.jobs.set_index("jobId")
    assert jobs.loc["site-1", "jobQueue"] == "q" and jobs.loc["site-2", "jobQueue"] == "other"
    assert jobs.loc["site-2", "status"] == "FAILED" and jobs.loc["site-1", "status"] == "SUCCEEDED"
    assert result.summary["jobs_by_status"]["FAILED"] == 1
    assert list(result.summary["traces"]["site"]["queue_wait_by_queue_s"]) == ["other", "q"]


def test_csv_trace(tmp_path):
    (tmp_path / "log.csv").write_text(
        "submit_time,run_time,processors,requested_memory,status,user\n"
        "0,60,2,512,SUCCEEDED,ann\n30,,1,,CANCELLED,bob\n45,15,1,256,FAILED,bob\n"
    )
    scenario = parse_scenario(
        fixed_cluster(2, "{path: log.csv, format: csv, memory: requested}"), base_dir=tmp_path
    )
    result = batchsim.simulate(scenario)
    jobs = result.jobs
    assert list(jobs["createdAt"]) == [0.0, 45.0]
    assert list(jobs["startedAt"]) == [0.0, 60.0]  # strict FIFO: 1 vCPU job waits for the 2
    assert list(jobs["status"]) == ["SUCCEEDED", "FAILED"]
    assert result.summary["traces"]["site"]["no_run_time"] == 1


BOTOCORE = {
    "jobs": [{
        "container": {"exitCode": 0, "image": "busybox", "memory": 128, "vcpus": 1},
        "createdAt": 1480460782010, "dependsOn": [], "jobDefinition": "sleep60",
        "jobId": "24fa2d7a-64c4-49d2-8b47-f8da4fbde8e9", "jobName": "example",
        "jobQueue": "arn:aws:batch:us-east-1:012345678910:job-queue/HighPriority",
        "startedAt": 1480460816500, "status": "SUCCEEDED", "stoppedAt": 1480460880699,
    }]
}  # fmt: skip  # botocore's DescribeJobs example output (Apache-2.0)
PASCAL = [
    {"JobId": "a", "CreatedAt": 1000000000000, "Status": "FAILED", "JobQueue": "q",
     "Container": {"ResourceRequirements": [{"Type": "VCPU", "Value": "2"}, {"Type": "MEMORY", "Value": "1024"}]},
     "Attempts": [{"StartedAt": 1000000005000, "StoppedAt": 1000000010000, "Container": {"ExitCode": 3}},
                  {"StartedAt": 1000000020000, "StoppedAt": 1000000050000, "Container": {"ExitCode": 7}}]},
    {"JobId": "p", "CreatedAt": 1000000001000, "Status": "SUCCEEDED", "ArrayProperties": {"Size": 2}},
]  # fmt: skip


def test_describe_jobs_camel_and_pascal(tmp_path):
    (tmp_path / "jobs.json").write_text(json.dumps(BOTOCORE))
    table = read_trace(tmp_path / "jobs.json", "aws-jobs")
    assert list(table.run_time) == [pytest.approx(64.199)]
    assert list(table.allocated) == [1.0] and list(table.used_memory) == [128.0]
    assert list(table.groups["queue"]) == ["HighPriority"]
    (tmp_path / "steps.json").write_text(json.dumps(PASCAL))
    table = read_trace(tmp_path / "steps.json", "aws-jobs")
    assert table.array_parents == 1 and len(table) == 1
    assert list(table.run_time) == [30.0]  # the last attempt's started → stopped
    assert list(table.exit_code) == [7] and list(table.allocated) == [2.0]


def test_trace_without_submit_uses_the_only_queue_and_definition(tmp_path):
    (tmp_path / "log.swf").write_text(swf([(0, 10, 1)]))
    text = fixed_cluster(2, "{path: log.swf, format: swf}")
    text = text.replace("    submit: {jobName: site, jobQueue: q, jobDefinition: proc}\n", "")
    text = text[: text.index("  - jobQueueName: other")] + text[text.index("jobDefinitions:") :]
    scenario = parse_scenario(text, base_dir=tmp_path)
    assert scenario.workload[0].submit.jobQueue == "q"


# ----------------------------------------------------------------------------- errors
def run_cli(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(args, stdout=out, stderr=err)
    return status, err.getvalue()


def test_bad_swf_line_is_exit_2_with_file_and_line(tmp_path):
    good = swf([(0, 10, 1), (5, 10, 1)])
    (tmp_path / "log.swf").write_text(
        "; Version: 2.2\n" + good.replace(" 5 -1 10 ", " 5 -1 ten ", 1) + "1 2 3\n"
    )
    (tmp_path / "s.yaml").write_text(fixed_cluster(2, "{path: log.swf, format: swf}"))
    status, err = run_cli(["validate", str(tmp_path / "s.yaml")])
    assert status == ExitStatus.INVALID_SCENARIO
    assert "log.swf: line 3: field 4 (run_time) is not a number: 'ten'" in err
    assert "workload[0].trace.path" in err and "Traceback" not in err


def test_missing_trace_and_unknown_mapped_queue(tmp_path):
    text = fixed_cluster(2, "{path: nowhere.swf, format: swf, queues: {by: user, map: {'7': qq}}}")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, base_dir=tmp_path)
    message = str(caught.value)
    assert "nowhere.swf: No such file or directory" in message
    assert "no job queue named 'qq'" in message


def test_trace_excludes_timing_keys(tmp_path):
    text = fixed_cluster(2, "{path: log.swf, format: swf}", "\n    at: 5s")
    with pytest.raises(ScenarioError, match="a trace sets when jobs come .* leave out at"):
        parse_scenario(text, base_dir=tmp_path)


def test_gzip_detected_by_content(tmp_path):
    path = tmp_path / "log.swf"
    path.write_bytes(gzip.compress(swf([(0, 10, 1)]).encode()))
    assert list(read_trace(path, "swf").run_time) == [10.0]


# ----------------------------------------------------------------------------- the shipped scenario
def test_shipped_scenario_replays_its_excerpt_row_for_row():
    scenario = batchsim.load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "trace-replay-kth.yaml"
    )
    result = batchsim.simulate(scenario)
    rows = [
        line.split()
        for line in (DATA / "kth-sp2-excerpt.swf").read_text().splitlines()
        if not line.startswith(";")
    ]
    too_big = [r for r in rows if int(r[4]) > 96]  # the largest c5/m5 size has 96 vCPUs
    kept = sorted((r for r in rows if int(r[4]) <= 96), key=lambda r: int(r[1]))
    counts = result.summary["traces"]["kth"]
    assert (counts["rows"], counts["unplaceable"], counts["submitted"]) == (
        300,
        len(too_big),
        300 - len(too_big),
    )
    jobs = result.jobs.sort_values("createdAt", kind="stable")
    first = int(kept[0][1])
    assert list(jobs["createdAt"]) == [float(int(r[1]) - first) for r in kept]
    assert list(jobs["status"]) == ["FAILED" if r[10] == "0" else "SUCCEEDED" for r in kept]
    # RUNNING lasts the trace's run time exactly
    ran = (jobs["stoppedAt"] - jobs["startedAt"]).to_numpy()
    assert ran == pytest.approx([float(r[3]) for r in kept], abs=1e-6)  # float times ~1e5 s
    assert list(result.summary["queue_wait_by_workload_s"]) == ["kth"]


def test_describe_jobs_replay_keeps_resources_and_the_failure(tmp_path):
    (tmp_path / "steps.json").write_text(json.dumps(PASCAL))
    trace = "{path: steps.json, format: aws-jobs, memory: used}"
    result = batchsim.simulate(parse_scenario(fixed_cluster(4, trace), base_dir=tmp_path))
    (job,) = result.jobs.itertuples()
    assert (job.createdAt, job.startedAt, job.stoppedAt, job.status) == (0.0, 0.0, 30.0, "FAILED")
    assert result.summary["vcpu_hours_used"] == pytest.approx(2 * 30 / 3600)
    assert result.summary["traces"]["site"]["array_parents"] == 1
    (attempt,) = result.attempts.itertuples()
    assert attempt.exitCode == 7


def test_bad_csv_number_names_its_line(tmp_path):
    (tmp_path / "log.csv").write_text("submit_time,run_time\n0,10\n5,abc\n")
    with pytest.raises(
        ScenarioError, match=r"log.csv: line 3: run_time must be a number, got 'abc'"
    ):
        parse_scenario(fixed_cluster(2, "{path: log.csv, format: csv}"), base_dir=tmp_path)


def test_describe_jobs_window_counts_from_the_first_record(tmp_path):
    records = [
        {"jobId": str(i), "createdAt": 1_600_000_000_000 + 1000 * i, "status": "SUCCEEDED",
         "startedAt": 1_600_000_000_000 + 1000 * i, "stoppedAt": 1_600_000_010_000 + 1000 * i,
         "container": {"vcpus": 1, "memory": 64}}
        for i in range(4)
    ]  # fmt: skip
    (tmp_path / "jobs.json").write_text(json.dumps({"jobs": records}))
    trace = "{path: jobs.json, format: aws-jobs, start: 1s, end: 3s}"
    result = batchsim.simulate(parse_scenario(fixed_cluster(4, trace), base_dir=tmp_path))
    assert list(result.jobs["createdAt"]) == [0.0, 1.0]  # records 1 and 2, from the first kept
    assert result.summary["traces"]["site"]["outside_window"] == 2


def test_size_estimate_counts_the_trace_jobs(tmp_path):
    from batchsim.scenario.estimate import estimate_size

    (tmp_path / "log.swf").write_text(swf([(0, 10, 1), (5, -1, 1), (9, 10, 1)]))
    scenario = parse_scenario(fixed_cluster(2, "{path: log.swf, format: swf}"), base_dir=tmp_path)
    assert estimate_size(scenario).jobs == 2.0  # the row without a run time is not submitted


def test_unplaceable_keep_leaves_the_job_runnable_and_blocking(tmp_path):
    (tmp_path / "log.swf").write_text(swf([(0, 10, 3), (5, 10, 1)]))
    result = replay(tmp_path / "log.swf", 2, ", unplaceable: keep")
    jobs = result.jobs.set_index("jobId")
    assert jobs.loc["site-1", "status"] == "RUNNABLE"  # 3 vCPUs: no instance of 2 can hold it
    assert jobs.loc["site-1", "statusReason"].startswith(
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"
    )
    assert jobs.loc["site-2", "status"] == "RUNNABLE"  # strict FIFO: blocked behind it
    assert result.summary["makespan_s"] is None and result.summary["jobs_unfinished"] == 2


def test_swf_header_keeps_continued_lines_and_no_url_keys():
    table = read_trace(SCENARIOS / "traces" / "kth-sp2-excerpt.swf", "swf")
    assert "http" not in table.metadata
    assert table.metadata["Information"] == (
        "http://www.pdc.kth.se/\nhttp://www.cs.huji.ac.il/labs/parallel/workload/"
    )
    assert table.metadata["Note"].split("\n")[:4] == [
        "uses the EASY scheduler", "THIS IS A CLEANED VERSION OF THE LOG!",
        "The filter used to produce it was", "job<=14 (14 jobs removed)",
    ]  # fmt: skip
    assert table.metadata["MaxProcs"] == "100"


def test_report_has_a_section_per_trace(tmp_path):
    scenario = load_scenario(SCENARIOS / "trace-replay-kth.yaml")
    result = batchsim.simulate(scenario)
    result.write(tmp_path)
    report = (tmp_path / "report.md").read_text()
    section = report[report.index("## Replayed traces") : report.index("## Cost by")]
    assert "### kth: `traces/kth-sp2-excerpt.swf` (swf)" in section
    assert "| MaxProcs | 100 |" in section and "| Computer | IBM SP2 |" in section
    assert "- Rows read: 300; submitted: 299 SubmitJob calls" in section
    assert "- Left out: 1 no instance could ever hold them (unplaceable: skip)" in section
    waits = result.summary["traces"]["kth"]["queue_wait_by_queue_s"]["site"]
    assert f"| site | {format_duration(waits['mean'])} | 0 s |" in section


def test_swf_ruled_comment_lines_end_a_value(tmp_path):
    (tmp_path / "log.swf").write_text(
        "; StartTime: Mon\n;--------\n; MaxProcs: 4\n" + swf([(0, 10, 1)])
    )
    assert read_trace(tmp_path / "log.swf", "swf").metadata == {"StartTime": "Mon", "MaxProcs": "4"}

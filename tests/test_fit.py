"""batchsim fit: read DescribeJobs records and EventBridge events, fit each job definition, write
a scenario fragment; a round trip through a simulated run; the real samples; bad input."""

from __future__ import annotations

import gzip
import json
import math

import pytest
import yaml
from conftest import REPO, SHARED_DATA, base_scenario, cli

import batchsim
from batchsim.fit import (
    DefinitionFit,
    Delay,
    HistoryError,
    fit_history,
    fragment_yaml,
    load_history,
)
from batchsim.fit.estimate import Z95, fit_runtime
from batchsim.scenario.schema import JobSimulation

MEDIAN_S, P95_S = 600.0, 1800.0
FAILURE = 0.1
JOBS = 2000


def roundtrip_scenario() -> batchsim.Scenario:
    """2,000 jobs with lognormal runtimes (median 600 s, p95 1,800 s), each attempt failing with
    probability 0.1 (exit code 2), up to 3 attempts, container start 5 s, no image pull."""
    definition = base_scenario()["jobDefinitions"][0]
    definition["simulation"] = {
        "runtime": {"lognormal": {"median": f"{MEDIAN_S}s", "p95": f"{P95_S}s"}},
        "startTime": "5s",
        "imagePullTime": "0s",
        "failure": {"probability": FAILURE, "exitCode": 2},
    }
    definition["retryStrategy"] = {"attempts": 3}
    data = base_scenario(jobDefinitions=[definition])
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 256
    data["workload"][0]["arrivals"] = {"poisson": {"rate": "300/h"}, "count": JOBS}
    return batchsim.Scenario.model_validate(data)


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run") / "out"
    result = batchsim.simulate(roundtrip_scenario())
    result.write(folder, events=True, aws_json=True)
    jobs = load_history([folder / "jobs.json", folder / "events.jsonl"])
    (fit,) = fit_history(jobs)
    return result, jobs, fit, folder


def test_roundtrip_recovers_the_lognormal_within_four_standard_errors(roundtrip):
    # n ≈ 2,000 succeeded attempts, one per job (each job's runtime is drawn once). The MLE of
    # mu = ln(median) has standard error sigma/√n, that of sigma about sigma/√(2n); with
    # sigma = ln 3 / z95 = 0.668: 0.0149 and 0.0106. Four standard errors: 0.060 and 0.042.
    _, _, fit, _ = roundtrip
    runtime = fit.runtime
    sigma = math.log(P95_S / MEDIAN_S) / Z95
    n = runtime.count
    assert runtime.family == "lognormal" and n >= 0.99 * JOBS
    assert abs(runtime.mu - math.log(MEDIAN_S)) <= 4 * sigma / math.sqrt(n)
    assert abs(runtime.sigma - sigma) <= 4 * sigma / math.sqrt(2 * n)
    assert runtime.ks_pvalue >= 0.01


def test_roundtrip_recovers_failure_and_retry_rates(roundtrip):
    # Attempts ≈ 2,000 × (1 + 0.1 + 0.01) = 2,220: the failure share's standard error is
    # √(0.1 × 0.9 / 2,220) = 0.0064; a job is retried with probability 0.1 (SE √(0.09/2,000)
    # = 0.0067); it fails for good with 0.1³ = 0.001 (about 2 jobs).
    result, _, fit, _ = roundtrip
    assert fit.attempts == len(result.attempts) and fit.jobs == JOBS
    assert abs(fit.failure_probability - FAILURE) <= 4 * math.sqrt(
        FAILURE * (1 - FAILURE) / fit.attempts
    )
    assert abs(fit.retry_rate - FAILURE) <= 4 * math.sqrt(FAILURE * (1 - FAILURE) / JOBS)
    assert fit.exit_code == 2 and fit.most_attempts == 3 and fit.host_failures == 0
    assert fit.failed_jobs == (result.jobs["status"] == "FAILED").sum() and fit.failed_jobs <= 10
    assert fit.ended_jobs == JOBS


def test_roundtrip_delays_come_from_the_events(roundtrip):
    # STARTING → RUNNING is the container start, exactly 5 s (no image pull); RUNNABLE →
    # STARTING is each attempt's queue wait, seen to the whole second of the event times.
    result, _, fit, _ = roundtrip
    starting = fit.starting_to_running
    assert (starting.count, starting.median_s, starting.max_s) == (len(result.attempts), 5.0, 5.0)
    waits = result.attempts["queueWaitSeconds"]
    runnable = fit.runnable_to_starting
    assert runnable.count == len(result.attempts)
    assert abs(runnable.median_s - waits.median()) <= 1.0
    assert abs(runnable.max_s - waits.max()) <= 1.0


def test_roundtrip_fragment_pastes_into_the_scenario_and_runs(roundtrip):
    _, jobs, fit, _ = roundtrip
    text = fragment_yaml([fit], ["jobs.json"], len(jobs))
    (entry,) = yaml.safe_load(text)["jobDefinitions"]
    assert entry["jobDefinitionName"] == "work"
    simulation = JobSimulation.model_validate(entry["simulation"])
    assert simulation.startTime == 5.0 and simulation.imagePullTime == 0.0
    assert simulation.failure.exitCode == 2
    assert simulation.runtime.lognormal.median == pytest.approx(fit.runtime.median_s, abs=5e-4)
    data = roundtrip_scenario().model_dump(exclude_none=True)
    data["jobDefinitions"][0]["simulation"] = entry["simulation"]
    data["workload"][0]["arrivals"]["count"] = 20
    assert len(batchsim.simulate(batchsim.Scenario.model_validate(data)).jobs) == 20


def test_the_fragment_in_docs_fit_md_is_this_round_trip(roundtrip):
    _, jobs, fit, _ = roundtrip
    doc = (REPO / "docs" / "fit.md").read_text()
    shown = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert shown == fragment_yaml([fit], ["jobs.json", "events.jsonl"], len(jobs))


def test_describe_jobs_alone_has_no_delays(roundtrip):
    _, _, fit, folder = roundtrip
    (alone,) = fit_history(load_history([folder / "jobs.json"]))
    assert alone.starting_to_running.count == 0 and alone.runnable_to_starting.count == 0
    assert alone.runtime == fit.runtime and alone.attempts == fit.attempts


def event(time: str, status: str, **detail) -> dict:
    """A "Batch Job State Change" event of job j1 (definition arn …/etl:4)."""
    body = {"jobId": "j1", "jobDefinition": "arn:aws:batch:us-east-1:1:job-definition/etl:4"}
    return {"detail-type": "Batch Job State Change", "source": "aws.batch", "time": time,
            "detail": {**body, "status": status, **detail}}  # fmt: skip


def test_events_alone_give_exact_delays_runtimes_and_retries(tmp_path):
    # Attempt 1: RUNNABLE 10:00:00 → STARTING 10:01:30 (90 s) → RUNNING 10:01:42 (12 s), exits 1
    # after 100 s; attempt 2: RUNNABLE 10:03:22 → STARTING 10:03:32 (10 s) → RUNNING 10:03:40
    # (8 s), exits 0 after 600 s. Lines are shuffled: the reader orders them by time.
    first = {
        "container": {"exitCode": 1},
        "startedAt": 1_767_261_702_000,
        "stoppedAt": 1_767_261_802_000,
    }
    second = {
        "container": {"exitCode": 0},
        "startedAt": 1_767_261_820_000,
        "stoppedAt": 1_767_262_420_000,
    }
    events = [
        event("2026-01-01T10:13:40Z", "SUCCEEDED", attempts=[first, second]),
        event("2026-01-01T10:00:00Z", "RUNNABLE", attempts=[]),
        event("2026-01-01T10:01:30Z", "STARTING", attempts=[]),
        event("2026-01-01T10:03:22Z", "RUNNABLE", attempts=[first]),
        event("2026-01-01T10:01:42Z", "RUNNING", attempts=[]),
        event("2026-01-01T10:03:32Z", "STARTING", attempts=[first]),
        event("2026-01-01T10:03:40Z", "RUNNING", attempts=[first]),
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    (fit,) = fit_history(load_history([path]))
    assert fit.definition == "etl" and (fit.jobs, fit.attempts) == (1, 2)
    assert fit.runtime.family == "fixed" and fit.runtime.values == (600.0,)
    assert (fit.runnable_to_starting.count, fit.runnable_to_starting.max_s) == (2, 90.0)
    assert fit.runnable_to_starting.median_s == 50.0  # the median of 90 and 10
    assert (fit.starting_to_running.median_s, fit.starting_to_running.max_s) == (10.0, 12.0)
    assert (fit.failed_attempts, fit.failure_probability, fit.exit_code) == (1, 0.5, 1)
    assert (fit.retried_jobs, fit.most_attempts, fit.failed_jobs, fit.ended_jobs) == (1, 2, 0, 1)
    text = fragment_yaml([fit], [str(path)], 1)
    assert "      runtime: 600s\n      # STARTING→RUNNING: 2 observed, median 10 s" in text
    assert "      startTime: 10s\n      imagePullTime: 0s\n" in text
    assert "      failure: {probability: 0.5, exitCode: 1}\n" in text
    assert "    # retryStrategy: {attempts: 2}" in text
    simulation = JobSimulation.model_validate(
        yaml.safe_load(text)["jobDefinitions"][0]["simulation"]
    )
    assert (simulation.runtime, simulation.startTime, simulation.failure.probability) == (
        600.0,
        10.0,
        0.5,
    )


def test_pascal_case_jobs_wrapper(tmp_path):
    path = tmp_path / "h.json"
    path.write_text('{"Jobs": [{"JobId": "a", "JobDefinition": "d", "Status": "SUCCEEDED", "Attempts": '
                    '[{"Container": {"ExitCode": 0}, "StartedAt": 0, "StoppedAt": 1500}]}]}')  # fmt: skip
    (fit,) = fit_history(load_history([path]))
    assert (fit.definition, fit.runtime.values, fit.ended_jobs) == ("d", (1.5,), 1)


def test_fit_runtime_small_and_degenerate_samples():
    assert fit_runtime([]) is None and fit_runtime([0.0]) is None
    fixed = fit_runtime([60.0, 60.0, 60.0])
    assert (fixed.family, fixed.values, fixed.count) == ("fixed", (60.0,), 3)
    few = fit_runtime([3.0, 1.0, 2.0])
    assert (few.family, few.values) == ("empirical", (1.0, 2.0, 3.0))


def test_fit_runtime_rejects_a_lognormal_for_two_clusters():
    # Half the runs take 10 s, half 1,000 s: no lognormal fits (KS D ≈ 0.5).
    values = [10.0 + i / 100 for i in range(100)] + [1000.0 + i for i in range(100)]
    fit = fit_runtime(values)
    assert fit.family == "empirical" and fit.ks_pvalue < 1e-6
    assert len(fit.values) == 200 and fit.values[0] == 10.0 and fit.values[-1] == 1099.0
    text = fragment_yaml(
        [DefinitionFit("d", 200, 200, fit, Delay(0), Delay(0), 0, 0, 1, 0, 1, 0, 200)], ["h"], 200
    )
    simulation = JobSimulation.model_validate(
        yaml.safe_load(text)["jobDefinitions"][0]["simulation"]
    )
    assert simulation.runtime.empirical.values == list(fit.values)
    assert "runtime: {empirical: {values: [10s, 10.01s, 10.02s," in text


def test_pascal_case_step_functions_records(tmp_path):
    path = tmp_path / "sfn.json"
    path.write_text(
        '[{"JobId": "j1", "JobDefinition": "arn:aws:batch:us-west-2:1:job-definition/hls:7",'
        ' "Status": "FAILED", "Attempts": [{"Container": {"ExitCode": 3}, "StartedAt": 1000,'
        ' "StoppedAt": 4000, "StatusReason": "Essential container in task exited"},'
        ' {"Container": {"ExitCode": 0}, "StartedAt": 5000, "StoppedAt": 7500}]}]'
    )
    (fit,) = fit_history(load_history([path]))
    assert fit.definition == "hls" and fit.attempts == 2 and fit.failed_attempts == 1
    assert fit.exit_code == 3 and fit.runtime.values == (2.5,) and fit.retried_jobs == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"jobs": [{"jobId": "a", "jobDefinition": "d"',
            "line 1, column 46: unexpected end of data",
        ),
        ('{"jobs": {"jobId": "a"}}', "h.json: jobs: expected a list, got an object"),
        (
            '{"jobs": [{"jobDefinition": "d"}]}',
            "h.json: jobs[0].jobId: expected a non-empty string",
        ),
        (
            '{"jobs": [{"jobId": "a", "jobDefinition": "d", "attempts": [{"startedAt": "soon"}]}]}',
            "h.json: jobs[0].attempts[0].startedAt: expected a whole number, got a string",
        ),
        ('"hello"', "h.json: expected an object or a list of jobs or events, got a string"),
        (
            '{"detail-type": "Batch Job State Change", "time": "noon", "detail": {}}',
            "h.json.time: expected an ISO 8601 time, got 'noon'",
        ),
        ('{"a": 1}\n{"b": \n', "h.json: line 2, column"),
    ],
)
def test_bad_history_is_exit_2_with_file_and_position(tmp_path, text, message):
    path = tmp_path / "h.json"
    path.write_text(text)
    with pytest.raises(HistoryError):
        load_history([path])
    status, out, err = cli("fit", str(path))
    assert status == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(
        '{"jobs": [{"jobId": "a"}, {"jobDefinition": "d"}, {"jobId": 3, "jobDefinition": "d"}]}'
    )
    with pytest.raises(HistoryError) as caught:
        load_history([path])
    assert caught.value.problems == [
        f"{path}: jobs[0].jobDefinition: expected a non-empty string, got null",
        f"{path}: jobs[1].jobId: expected a non-empty string, got null",
        f"{path}: jobs[2].jobId: expected a non-empty string, got a number",
    ]


def test_gzipped_history_reads_as_plain(roundtrip, tmp_path):
    _, _, fit, folder = roundtrip
    packed = tmp_path / "events.jsonl.gz"
    packed.write_bytes(gzip.compress((folder / "events.jsonl").read_bytes()))
    (again,) = fit_history(load_history([folder / "jobs.json", packed]))
    assert again == fit
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    status, _, err = cli("fit", str(tmp_path / "bad.json.gz"))
    assert status == 2 and "bad.json.gz: Not a gzipped file" in err


def test_long_lists_of_problems_are_cut_at_twenty(tmp_path):
    path = tmp_path / "h.json"
    path.write_text('{"jobs": [' + ",".join(['{"jobId": "a"}'] * 25) + "]}")
    status, _, err = cli("fit", str(path))
    assert status == 2 and err.startswith("batchsim: 25 problems in job history:\n")
    assert err.count("\n  - ") == 20 and err.endswith("  … and 5 more\n")


def test_missing_file_is_exit_2(tmp_path):
    status, _, err = cli("fit", str(tmp_path / "nope.json"))
    assert status == 2 and "nope.json: No such file or directory" in err


def test_cli_writes_the_fragment_to_a_file(roundtrip, tmp_path):
    _, _, _, folder = roundtrip
    status, out, _ = cli("fit", str(folder / "jobs.json"), "-o", str(tmp_path / "f.yaml"))
    assert (
        status == 0
        and out == f"scenario fragment for {JOBS:,} jobs written to {tmp_path / 'f.yaml'}\n"
    )
    assert (
        yaml.safe_load((tmp_path / "f.yaml").read_text())["jobDefinitions"][0]["jobDefinitionName"]
        == "work"
    )


def test_cli_keeps_an_existing_file_and_refuses_an_unwritable_path(roundtrip, tmp_path):
    _, _, _, folder = roundtrip
    history, kept = str(folder / "jobs.json"), tmp_path / "scenario.yaml"
    kept.write_text("name: mine\n")
    status, _, err = cli("fit", history, "-o", str(kept))
    assert (status, err) == (2, f"batchsim: {kept} exists; pass --replace to overwrite it\n")
    assert kept.read_text() == "name: mine\n"
    assert cli("fit", history, "-o", str(kept), "--replace")[0] == 0
    assert "jobDefinitions" in kept.read_text()
    status, _, err = cli("fit", history, "-o", str(tmp_path / "absent" / "f.yaml"))
    assert status == 2 and err.endswith("f.yaml: cannot be written (No such file or directory)\n")


SAMPLES = {
    "aws_batch_describe_jobs_botocore_example.json": ("sleep60", 1, 64.199),
    "aws_batch_describe_jobs_awscli_example.json": ("sleep60", 0, None),
    "aws_batch_job_state_change_event_awsdocs.json": ("first-run-job-definition", 0, None),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_aws_samples(name):
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (shared data)")
    definition, attempts, runtime = SAMPLES[name]
    (fit,) = fit_history(load_history([path]))
    assert (fit.definition, fit.attempts) == (definition, attempts)
    # botocore's example: startedAt 1480460816500, stoppedAt 1480460880699 → 64.199 s.
    assert (fit.runtime.values[0] if fit.runtime else None) == runtime
    assert cli("fit", str(path))[0] == 0


def test_real_step_functions_sample():
    path = SHARED_DATA / "aws_batch_job_details_stepfunctions_pascalcase_nasa_hls.json"
    if not path.exists():
        pytest.skip(f"{path} is not here (shared data)")
    fits = {fit.definition: fit for fit in fit_history(load_history([path]))}
    assert sorted(fits) == [
        "LandsatTaskBatchJob1274-131d33be785ce5d",
        "LandsatTileTaskBatchJob-b28764e72fd8fa9",
        "SentinelTaskBatchJobDE3-581008467128b6c",
    ]
    landsat = fits["LandsatTaskBatchJob1274-131d33be785ce5d"]
    # Its one attempt exited 1 after 1591403929450 − 1591403928719 = 0.731 s.
    assert (landsat.failed_attempts, landsat.exit_code, landsat.failed_jobs) == (1, 1, 1)
    assert landsat.runtime is None
    tile = fits["LandsatTileTaskBatchJob-b28764e72fd8fa9"]
    assert (tile.attempts, tile.host_failures, tile.failed_jobs) == (1, 1, 1)
    sentinel = fits["SentinelTaskBatchJobDE3-581008467128b6c"]
    assert sentinel.runtime.family == "fixed" and sentinel.failed_jobs == 0

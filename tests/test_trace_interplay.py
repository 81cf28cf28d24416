"""Traces where they meet other features: explain and validate of a run folder, the doctor,
bounds on scaled times, and ``--resume`` after the trace changed."""

from __future__ import annotations

from pathlib import Path

from batchsim.cli import ExitStatus
from tests.conftest import cli
from tests.test_traces import fixed_cluster

ROOT = Path(__file__).resolve().parent.parent
KTH = ROOT / "scenarios" / "trace-replay-kth.yaml"


# ----------------------------------------------------------------------------- run folders
def test_explain_and_validate_a_trace_run_folder(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    assert cli("run", str(KTH), "-o", str(folder))[0] == 0
    monkeypatch.chdir(tmp_path)  # NOTE: the trace path must not depend on the working directory
    status, out, err = cli("explain", str(folder), "--job", "kth-2")
    assert status == 0, err
    assert out.splitlines()[0] == (
        'Job kth-2 ("jobName" kth, workload entry kth, job queue "site"): '
        "SUCCEEDED after 1 attempt"
    )
    resolved = folder / "scenario.resolved.yaml"
    assert f"path: {KTH.parent / 'traces' / 'kth-sp2-excerpt.swf'}" in resolved.read_text()
    status, out, err = cli("validate", str(resolved))
    assert status == 0, err
    assert "valid scenario 'trace-replay-kth'" in out and "about 300 jobs" in out


# ----------------------------------------------------------------------------- bounds
def test_scaled_times_over_the_cap_are_exit_2_with_file_and_line(tmp_path):
    (tmp_path / "log.csv").write_text("submit_time,run_time\n0,10\n5,20\n")
    (tmp_path / "s.yaml").write_text(fixed_cluster(2, "{path: log.csv, format: csv}"))
    scenario = str(tmp_path / "s.yaml")
    # 20 s × 1e9 = 2e10 s > 1e10 s (row 2 is line 3); 5 s × 1e9 = 5e9 s is within the cap
    status, _, err = cli("run", scenario, "--set", "workload[0].trace.runtimeScale=1e9")
    assert status == ExitStatus.INVALID_SCENARIO and "Traceback" not in err
    assert (
        "log.csv: line 3: the run time after runtimeScale is 2e+10 s: not finite or longer "
        "than 1e+10 s (about 317 years)"
    ) in err
    status, _, err = cli("validate", scenario, "--set", "workload[0].trace.timeScale=3e9")
    assert status == ExitStatus.INVALID_SCENARIO  # 5 s × 3e9 = 1.5e10 s
    assert "log.csv: line 3: the submission offset after timeScale is 1.5e+10 s" in err
    status, _, err = cli("validate", scenario, "--set", "workload[0].trace.runtimeScale=1e305")
    assert status == ExitStatus.INVALID_SCENARIO and "Traceback" not in err
    assert "workload[0].trace.runtimeScale: must be at most 10000000000.0, got '1e305'" in err


def test_an_infinite_csv_run_time_is_exit_2(tmp_path):
    (tmp_path / "log.csv").write_text("submit_time,run_time\n0,10\n5,inf\n")
    (tmp_path / "s.yaml").write_text(fixed_cluster(2, "{path: log.csv, format: csv}"))
    status, _, err = cli("run", str(tmp_path / "s.yaml"), "-o", str(tmp_path / "out"))
    assert status == ExitStatus.INVALID_SCENARIO and "Traceback" not in err
    assert "log.csv: line 3: the run time after runtimeScale is inf s: not finite" in err

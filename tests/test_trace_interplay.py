"""Traces where they meet other features: explain and validate of a run folder, the doctor,
bounds on scaled times, and ``--resume`` after the trace changed."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from conftest import cli
from test_compare_sweep import counting, interrupted
from test_traces import swf

from batchsim.cli import ExitStatus
from batchsim.doctor import diagnose
from batchsim.scenario.loader import parse_scenario
from tests.fcfs_reference import fixed_cluster

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
        'Job kth-2 ("jobName" kth, workload entry kth, job queue "site"): SUCCEEDED after 1 attempt'
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


# ----------------------------------------------------------------------------- resume
def trace_scenarios(folder: Path) -> list[str]:
    """Two scenario files (``a``, ``b``) replaying ``log.swf`` of ``folder`` on 1 and 2 vCPUs."""
    (folder / "log.swf").write_text(swf([(0, 10, 1), (5, 10, 1)]))
    files = []
    for name, vcpus in (("a", 1), ("b", 2)):
        text = fixed_cluster(vcpus, "{path: log.swf, format: swf}").replace("fcfs", name)
        (folder / f"{name}.yaml").write_text(text)
        files.append(str(folder / f"{name}.yaml"))
    return files


def test_compare_resume_reruns_the_runs_of_a_changed_trace(tmp_path, monkeypatch):
    files, folder = trace_scenarios(tmp_path), tmp_path / "out"
    interrupted(files, folder, monkeypatch, after=3)  # a's seeds 1-3 finished
    shutil.copytree(folder, tmp_path / "same")
    argv = [*files, "--replications", "3", "--resume", "-o"]
    seeds = counting(monkeypatch)
    assert cli("compare", *argv, str(tmp_path / "same"))[0] == 0
    assert sorted(seeds) == [1, 2, 3]  # b's: a's were reused
    (tmp_path / "log.swf").write_text(swf([(0, 10, 1), (5, 20, 1)]))  # one run time changed
    seeds = counting(monkeypatch)
    assert cli("compare", *argv, str(folder))[0] == 0
    assert sorted(seeds) == [1, 1, 2, 2, 3, 3]  # both digests changed: nothing is reused


def test_sweep_resume_refuses_a_folder_of_another_trace(tmp_path):
    files = trace_scenarios(tmp_path)
    argv = ["sweep", files[1], "--vary", "workload[0].trace.runtimeScale=1,2",
            "--replications", "1", "--workers", "1", "-o", str(tmp_path / "out")]  # fmt: skip
    assert cli(*argv)[0] == 0
    sums = (tmp_path / "out" / "traces.sha256").read_text()
    digest = hashlib.sha256((tmp_path / "log.swf").read_bytes()).hexdigest()
    assert sums == f"{digest}  {tmp_path.resolve() / 'log.swf'}\n"
    status, out, err = cli(*argv, "--resume")
    assert status == 0 and "2 resumed" in out, err
    (tmp_path / "log.swf").write_text(swf([(0, 10, 1), (5, 20, 1)]))
    status, _, err = cli(*argv, "--resume")
    assert status == 2 and "holds another sweep" in err and "trace files differ" in err


# ----------------------------------------------------------------------------- the doctor
def doctor_of(folder: Path, rows: list[tuple[float, float, float]], options: str = "") -> list:
    """The doctor's findings (codes and messages) on the fixed 2-vCPU cluster replaying
    ``rows`` (submit, run time, processors); its job definition has no runtime of its own."""
    (folder / "log.swf").write_text(swf(rows))
    text = fixed_cluster(2, f"{{path: log.swf, format: swf{options}}}")
    scenario = parse_scenario(text, base_dir=folder)
    return [(f.code, f.message) for f in diagnose(scenario, text) if f.code != "no-timeout"]


def test_doctor_places_the_trace_rows_not_the_definition(tmp_path):
    rows = [(0, 100, 3), (5, 100, 1), (9, 200, 3)]  # 3 processors: no site.p2 holds them
    found = doctor_of(tmp_path, rows, ", unplaceable: keep")
    assert [code for code, _ in found] == ["never-placeable"]
    assert found[0][1].startswith(
        "the 2 jobs of workload entry 'site' (3 vCPU, 64 MiB) can never run: "
    )
    assert doctor_of(tmp_path, rows) == []  # skip: the run leaves them out and counts them


def test_doctor_judges_the_trace_run_times(tmp_path):
    found = doctor_of(tmp_path, [(0, 10, 1), (5, 20, 1)])  # mean (10 + 20) / 2 = 15 s
    assert [code for code, _ in found] == ["short-jobs"]
    assert found[0][1].startswith("the jobs of workload entry 'site' run 15 s on average")
    assert doctor_of(tmp_path, [(0, 50, 1), (5, 100, 1)]) == []  # 75 s: not short


def test_doctor_agrees_with_the_run_on_the_shipped_trace():
    keep = "workload[0].trace.unplaceable=keep"
    status, out, _ = cli("doctor", str(KTH), "--set", keep)
    assert status == ExitStatus.JOBS_CANNOT_RUN  # as `run` with the same --set
    assert "the 1 job of workload entry 'kth' (98 vCPU, 1,024 MiB) can never run" in out
    short = "jobDefinitions[0].simulation.runtime=10s"
    status, out, _ = cli("doctor", str(KTH), "--set", short)
    assert status == 0 and "short-jobs" not in out

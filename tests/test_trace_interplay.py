"""Traces where they meet other features: explain and validate of a run folder, the doctor,
bounds on scaled times, and ``--resume`` after the trace changed."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli

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

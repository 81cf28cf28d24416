"""The CLI in-process: exit codes, messages, files written (STYLE rule 15)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TINY_YAML, cli

from batchsim.cli import ExitStatus

VALID = TINY_YAML.replace("name: tiny", "name: cli-test")


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    return path


def test_validate_ok(scenario_file):
    status, out, err = cli("validate", str(scenario_file))
    assert status == ExitStatus.SUCCESS and "valid scenario 'cli-test'" in out
    # the doctor's findings are warnings on stderr; they never change validate's exit status
    assert err.startswith(
        "warning: jobDefinitions[0] (line 10): job definition 'work' has no timeout"
    )


def test_validate_reports_every_problem_with_lines_and_exit_2(tmp_path):
    bad = VALID.replace("maxvCpus: 8", "maxvCpu: 8").replace("jobQueue: q,", "jobQueue: nope,")
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    status, out, err = cli("validate", str(path))
    assert status == ExitStatus.INVALID_SCENARIO == 2
    assert "unknown key 'maxvCpu'" in err and "(line 4)" in err
    assert "unknown job queue 'nope'" in err and "(line 16)" in err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize(
    "text, expected",
    [("", "empty"), ("name: [unclosed\n", "line 1"), (None, "No such file")],
)
def test_bad_files_exit_2_without_traceback(tmp_path, text, expected):
    path = tmp_path / "x.yaml"
    if text is not None:
        path.write_text(text)
    status, _, err = cli("validate", str(path))
    assert status == 2 and expected.lower() in err.lower() and "Traceback" not in err


def test_run_writes_outputs_and_prints_summary(scenario_file, tmp_path):
    out_dir = tmp_path / "out"
    status, out, err = cli("run", str(scenario_file), "-o", str(out_dir), "--seed", "3")
    assert status == ExitStatus.SUCCESS, err
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["makespan_s"] == 725.0 and summary["seed"] == 3
    for name in ("jobs.csv", "attempts.csv", "instances.csv", "timeline.csv", "events.jsonl",
                 "report.md", "scenario.resolved.yaml", "capacity.png"):  # fmt: skip
        assert (out_dir / name).is_file(), name
    assert "12 min 5 s" in out  # makespan 725 s, as the table shows it


def test_run_set_override_changes_the_result(scenario_file, tmp_path):
    status, _, err = cli(
        "run", str(scenario_file), "-o", str(tmp_path / "o"),
        "--set", "jobDefinitions[work].simulation.runtime=60s",
    )  # fmt: skip
    assert status == 0, err
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["makespan_s"] == 185.0


def test_run_bad_set_path_exits_2(scenario_file, tmp_path):
    status, _, err = cli("run", str(scenario_file), "--set", "jobQueues[zz].priority=3")
    assert status == 2 and "zz" in err


def test_schema_is_json_schema(tmp_path):
    status, out, _ = cli("schema")
    schema = json.loads(out)
    assert status == 0 and "computeEnvironments" in schema["properties"]


def test_catalog_lists_family_with_prices():
    status, out, _ = cli("catalog", "--family", "c5")
    assert status == 0
    assert "c5.large" in out and "0.0850" in out and "c5.metal" not in out


def test_catalog_unknown_family_is_a_clear_error():
    status, _, err = cli("catalog", "--family", "c5.larg")
    assert status == ExitStatus.INVALID_SCENARIO and "c5.large" in err


def test_no_command_prints_help_and_unknown_flag_exits_2():
    assert cli()[0] == 2
    assert cli("run")[0] == 2  # argparse: missing scenario argument


def test_internal_error_is_reported_without_traceback(scenario_file, monkeypatch):
    import batchsim.api

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(batchsim.api, "simulate", broken)
    monkeypatch.delenv("BATCHSIM_DEBUG", raising=False)
    status, _, err = cli("run", str(scenario_file), "-o", str(scenario_file.parent / "o"))
    assert status == ExitStatus.INTERNAL_ERROR == 3
    assert "internal error: ZeroDivisionError: boom" in err and "Traceback" not in err


def test_output_path_that_is_a_file_is_a_clear_error(scenario_file):
    status, _, err = cli("run", str(scenario_file), "-o", str(scenario_file))
    assert status == ExitStatus.INVALID_SCENARIO and "Traceback" not in err
    assert f"{scenario_file} is a file, not a folder" in err


def test_run_no_events_leaves_out_the_event_log(scenario_file, tmp_path):
    status, _, err = cli("run", str(scenario_file), "-o", str(tmp_path / "o"), "--no-events")
    assert status == 0, err
    assert (tmp_path / "o" / "summary.json").is_file()
    assert not (tmp_path / "o" / "events.jsonl").exists()


def test_a_reader_that_closes_the_pipe_gets_status_141_no_message_and_the_results(tmp_path):
    # `batchsim run … | head`: the reader is gone before the summary is printed. The files are
    # written first, so they are all there; the command says nothing more and exits as git
    # does on SIGPIPE.
    out = tmp_path / "out"
    command = [sys.executable, "-m", "batchsim", "run", "scenarios/quickstart.yaml", "-o", str(out)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""
    assert json.loads((out / "summary.json").read_text())["jobs_by_status"]["SUCCEEDED"] > 0


def test_the_console_script_freezes_the_collector_after_the_command_and_keeps_its_status(
    monkeypatch,
):
    # the interpreter's exit then skips collecting every live object (0.25 s after a sweep)
    import batchsim.cli as cli_module

    calls = []
    monkeypatch.setattr(cli_module, "main", lambda: calls.append("main") or ExitStatus.RUN_FAILED)
    monkeypatch.setattr(cli_module.gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as end:
        cli_module.main_entry()
    assert end.value.code == 1 and calls == ["main", "freeze"]

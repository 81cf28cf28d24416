"""Guards: whole output folders, signals, scenario names, alias budget, size estimate, exit codes."""

from __future__ import annotations

import ast
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import REPO, TINY_YAML, cli

from batchsim.cli import ExitStatus
from batchsim.errors import IllegalTransition, Interrupted
from batchsim.scenario.estimate import BASE_MIB, BYTES_PER_JOB, estimate_size
from batchsim.scenario.loader import parse_scenario

SCENARIO = TINY_YAML.replace("name: tiny", "name: guards")
RUN_FILES = {
    "summary.json", "report.md", "jobs.csv", "jobs.json", "attempts.csv", "instances.csv", "timeline.csv",
    "waits.csv", "scenario.resolved.yaml", "capacity.png", "jobs.png", "queue_wait.png", "report.html",
}  # fmt: skip


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    return path


def names(folder: Path) -> set[str]:
    return {entry.name for entry in folder.iterdir()}


# ----------------------------------------------------------------------------- output folders
def test_rerun_without_events_leaves_no_stale_event_log(scenario_file, tmp_path):
    folder = tmp_path / "o"
    assert cli("run", str(scenario_file), "-o", str(folder))[0] == 0
    assert names(folder) == RUN_FILES | {"events.jsonl"}
    status, _, err = cli("run", str(scenario_file), "-o", str(folder), "--no-events")
    assert status == 0, err
    assert names(folder) == RUN_FILES
    assert names(tmp_path) == {"s.yaml", "o"}  # no staging or old sibling left behind


def test_rerun_gives_byte_identical_files(scenario_file, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    cli("run", str(scenario_file), "-o", str(first))
    cli("run", str(scenario_file), "-o", str(second))
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names(first))


def test_folder_with_foreign_files_is_refused_before_the_run(scenario_file, tmp_path, monkeypatch):
    import batchsim.api

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    monkeypatch.setattr(batchsim.api, "simulate", lambda *a, **k: pytest.fail("ran anyway"))
    status, _, err = cli("run", str(scenario_file), "-o", str(folder))
    assert status == ExitStatus.INVALID_SCENARIO
    assert "holds files that are not batchsim results (thesis.tex)" in err and "--replace" in err
    assert (folder / "thesis.tex").read_text() == "precious"


def test_replace_overwrites_a_foreign_folder(scenario_file, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("x")
    status, _, err = cli("run", str(scenario_file), "-o", str(folder), "--replace")
    assert status == 0, err
    assert names(folder) == RUN_FILES | {"events.jsonl"}


def test_empty_existing_folder_is_used(scenario_file, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    assert cli("run", str(scenario_file), "-o", str(folder))[0] == 0
    assert "summary.json" in names(folder)


def test_interrupted_write_leaves_the_previous_run_untouched(scenario_file, tmp_path, monkeypatch):
    import batchsim.results.writer as writer

    folder = tmp_path / "o"
    cli("run", str(scenario_file), "-o", str(folder))
    before = {n: (folder / n).read_bytes() for n in names(folder)}

    command = os.getpid()

    def killed(_result):
        # NOTE: SIGTERM for the command's process, as `kill` sends it; its handler turns it into
        # Interrupted there. This may run in a forked writer (batchsim/results/forked.py), which
        # the command then kills while it waits here.
        os.kill(command, signal.SIGTERM)
        time.sleep(30)

    monkeypatch.setattr(writer, "render_report", killed)
    status, _, err = cli("run", str(scenario_file), "-o", str(folder), "--seed", "9")
    assert status == ExitStatus.TERMINATED == 143 and "interrupted (SIGTERM)" in err
    assert {n: (folder / n).read_bytes() for n in names(folder)} == before
    assert names(tmp_path) == {"s.yaml", "o"}


def test_sigint_is_exit_130_and_leaves_no_folder(scenario_file, tmp_path, monkeypatch):
    import batchsim.results.writer as writer

    def interrupted(_result):
        raise Interrupted(signal.SIGINT)

    monkeypatch.setattr(writer, "render_report", interrupted)
    status, _, _ = cli("run", str(scenario_file), "-o", str(tmp_path / "new"))
    assert status == ExitStatus.INTERRUPTED == 130
    assert names(tmp_path) == {"s.yaml"}


def test_signal_handlers_are_restored_after_main(scenario_file):
    before = signal.getsignal(signal.SIGTERM)
    cli("validate", str(scenario_file))
    assert signal.getsignal(signal.SIGTERM) is before


def test_stale_sibling_of_a_killed_run_is_removed(scenario_file, tmp_path):
    stale = tmp_path / ".o.batchsim-999999999.new"
    stale.mkdir()
    (stale / "jobs.csv").write_text("half")
    assert cli("run", str(scenario_file), "-o", str(tmp_path / "o"))[0] == 0
    assert not stale.exists()


@pytest.mark.parametrize(
    "where, message",
    [
        (lambda tmp: tmp / "s.yaml", "is a file, not a folder"),
        (lambda tmp: tmp / "s.yaml" / "below", "s.yaml is a file, not a folder"),
        (lambda tmp: str(tmp / "a\0b"), "contains a NUL character"),
    ],
)
def test_bad_output_paths_exit_2(scenario_file, tmp_path, where, message):
    status, _, err = cli("run", str(scenario_file), "-o", str(where(tmp_path)))
    assert status == ExitStatus.INVALID_SCENARIO and message in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_parent_exits_2(scenario_file, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    status, _, err = cli("run", str(scenario_file), "-o", str(locked / "o"))
    assert status == ExitStatus.INVALID_SCENARIO and "no permission to write" in err


def test_compare_refuses_a_foreign_folder(scenario_file, tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "data.parquet").write_text("x")
    status, _, err = cli("compare", str(scenario_file), "--replications", "2", "-o", str(folder))
    assert status == 2 and "data.parquet" in err
    status, _, err = cli("compare", str(scenario_file), "--replications", "2", "-o", str(folder),
                         "--replace")  # fmt: skip
    assert status == 0, err
    assert names(folder) == {"compare.csv", "compare.json", "report.html"}


def test_run_replaces_a_compare_folder(scenario_file, tmp_path):
    folder = tmp_path / "c"
    assert cli("compare", str(scenario_file), "--replications", "2", "-o", str(folder))[0] == 0
    assert cli("run", str(scenario_file), "-o", str(folder), "--no-events")[0] == 0
    assert names(folder) == RUN_FILES


# ----------------------------------------------------------------------------- exit statuses
def test_engine_invariant_is_an_internal_error_exit_3(scenario_file, tmp_path, monkeypatch):
    import batchsim.api

    def broken(*args, **kwargs):
        raise IllegalTransition("RUNNING → SUBMITTED")

    monkeypatch.setattr(batchsim.api, "simulate", broken)
    monkeypatch.delenv("BATCHSIM_DEBUG", raising=False)
    status, _, err = cli("run", str(scenario_file), "-o", str(tmp_path / "o"))
    assert status == ExitStatus.INTERNAL_ERROR == 3
    assert "internal error: IllegalTransition" in err and "not a mistake in your scenario" in err


def test_every_exception_class_lives_in_errors_py():
    found = []
    for path in (REPO / "batchsim").rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            bases = [ast.unparse(b) for b in getattr(node, "bases", [])]
            if isinstance(node, ast.ClassDef) and any(
                b.endswith(("Error", "Exception", "Interrupt", "Transition")) for b in bases
            ):
                found.append(f"{path.name}:{node.name}")
    assert found == []


# ----------------------------------------------------------------------------- scenario names
@pytest.mark.parametrize("name", ["../../escaped", "a/b", '"a\\0b"', ".hidden", "'x y'", "-" * 129])
def test_scenario_names_that_would_leave_out_are_refused(scenario_file, tmp_path, name):
    scenario_file.write_text(SCENARIO.replace("name: guards", f"name: {name}"))
    status, out, err = cli("validate", str(scenario_file))
    assert status == 2 and "  - name (line 1): a scenario name is 1-128 letters" in err


def test_shipped_scenario_names_pass():
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        status, _, err = cli("validate", str(path))
        assert status == 0, err


# ----------------------------------------------------------------------------- aliases
LAUGHS = """\
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
"""


def with_tags(tags: str) -> str:
    return SCENARIO.replace(
        "    computeResources: {type: EC2, allocationStrategy: BEST_FIT_PROGRESSIVE, maxvCpus: 8,"
        " instanceTypes: [c5.large]}\n",
        "    computeResources:\n      type: EC2\n      maxvCpus: 8\n"
        f"      instanceTypes: [c5.large]\n      tags:\n{tags}",
    )


def test_billion_laughs_is_refused_at_the_alias_that_crosses_the_budget(scenario_file):
    scenario_file.write_text(with_tags(LAUGHS))
    status, _, err = cli("validate", str(scenario_file))
    # b's aliases make 10 × 11 nodes, c's 10 × 111, d's 10 × 1,111: d (line 12) crosses 10,000.
    assert status == 2 and "(line 12): aliases expand to more than 10,000 YAML nodes" in err


def test_recursive_alias_is_refused_with_its_line(scenario_file):
    scenario_file.write_text(with_tags("        r: &r [*r]\n"))
    status, _, err = cli("validate", str(scenario_file))
    assert status == 2 and "(line 9): a recursive alias" in err


def test_a_few_aliases_are_fine():
    text = SCENARIO.replace("{runtime: 600s,", "{runtime: &rt 900s,")
    text += "    runtime: *rt\n"
    assert parse_scenario(text).workload[0].runtime == 900.0


def test_alias_in_a_set_value_is_refused(scenario_file):
    status, _, err = cli("validate", str(scenario_file), "--set", "description=&a [*a]")
    assert status == 2 and "cannot read the value '&a [*a]' as YAML" in err


# ----------------------------------------------------------------------------- size estimate
def jobs_of(workload: str, simulation: str = "") -> float:
    text = SCENARIO.split("workload:")[0] + simulation + "workload:\n" + workload
    return estimate_size(parse_scenario(text)).jobs


SUBMIT = "    submit: {jobName: a, jobQueue: q, jobDefinition: work}\n"
ARRAY = "    submit: {jobName: a, jobQueue: q, jobDefinition: work, arrayProperties: {size: 50}}\n"


@pytest.mark.parametrize(
    "workload, simulation, expected",
    [
        ("  - name: a\n" + SUBMIT + "    count: 7\n", "", 7),
        ("  - name: a\n" + ARRAY + "    count: 3\n", "", 3 * 51),  # parent + 50 children
        ("  - name: a\n" + SUBMIT + "    arrivals: {poisson: {rate: 30/h}, until: 10h}\n", "", 300),
        (
            "  - name: a\n"
            + SUBMIT
            + "    arrivals: {poisson: {rate: 30/h}, start: 2h, until: 10h}\n",
            "",
            240,
        ),  # fmt: skip
        (
            "  - name: a\n" + SUBMIT + "    arrivals: {poisson: {rate: 30/h}, count: 1000}\n",
            "simulation: {stopAt: 4h}\n",
            120,
        ),  # fmt: skip
        (
            "  - name: a\n" + SUBMIT + "    arrivals: {times: [0, 60, 7200]}\n",
            "simulation: {stopAt: 1h}\n",
            2,
        ),  # fmt: skip
        (
            "  - name: a\n" + SUBMIT + "    schedule: rate(1 hour)\n    until: 1d\n    count: 2\n",
            "",
            25 * 2,
        ),  # fmt: skip
        ("  - name: a\n" + SUBMIT + "    at: 2h\n", "simulation: {stopAt: 1h}\n", 0),
    ],
)
def test_estimate_counts_jobs_in_closed_form(workload, simulation, expected):
    assert jobs_of(workload, simulation) == expected


def test_cron_firings_beyond_the_sample_are_extrapolated():
    workload = "  - name: a\n" + SUBMIT + "    schedule: cron(0/5 * * * ? *)\n    until: 30d\n"
    assert jobs_of(workload) == pytest.approx(30 * 288 + 1, abs=1)  # every 5 minutes, both ends


def test_estimate_states_jobs_and_memory():
    estimate = estimate_size(
        parse_scenario(SCENARIO.replace("name: a\n", "name: a\n    count: 10000\n", 1))
    )
    mib = BASE_MIB + 10000 * BYTES_PER_JOB / 2**20
    assert estimate.describe() == f"about 10,000 jobs, ~{mib:,.0f} MiB"


def test_validate_says_the_estimate(scenario_file):
    status, out, _ = cli("validate", str(scenario_file))
    assert status == 0 and f"about 1 jobs, ~{BASE_MIB} MiB)" in out


def test_run_too_large_for_memory_is_refused_and_can_be_forced(
    scenario_file, tmp_path, monkeypatch
):
    import batchsim.scenario.estimate as estimate

    monkeypatch.setattr(estimate, "available_memory_mib", lambda: 100.0)
    status, _, err = cli("run", str(scenario_file), "-o", str(tmp_path / "o"))
    assert status == 2 and "too large for this machine: about 1 jobs" in err
    assert "100 MiB are available" in err and "--no-size-check" in err
    assert not (tmp_path / "o").exists()
    status, _, err = cli("run", str(scenario_file), "-o", str(tmp_path / "o"), "--no-size-check")
    assert status == 0, err


def test_a_trillion_jobs_are_refused_without_running(scenario_file, tmp_path):
    scenario_file.write_text(
        SCENARIO.replace("name: a\n", "name: a\n    count: 1000000000000\n", 1)
    )
    status, _, err = cli("run", str(scenario_file), "-o", str(tmp_path / "o"))
    assert status == 2 and "about 1,000,000,000,000 jobs" in err


def test_compare_counts_parallel_workers(scenario_file, tmp_path, monkeypatch):
    import batchsim.scenario.estimate as estimate

    monkeypatch.setattr(estimate, "available_memory_mib", lambda: BASE_MIB * 1.5)
    status, _, err = cli("compare", str(scenario_file), "--replications", "2", "--workers", "2",
                         "-o", str(tmp_path / "c"))  # fmt: skip
    assert status == 2 and "2 runs at once, each about 1 jobs" in err

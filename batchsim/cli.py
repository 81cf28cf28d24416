"""The command line: ``batchsim run | compare | sweep | plan | explain | fit | validate | doctor |
import-aws | schema | catalog``.

``main(argv, stdout, stderr)`` returns an :class:`ExitStatus` and never lets a traceback reach
the user for a problem they can fix; tests call it in-process with their own streams.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from batchsim.errors import (
    Interrupted,
    Problem,
    RunTooLargeError,
    ScenarioError,
    UserError,
)

if TYPE_CHECKING:
    from batchsim.scenario.schema import Scenario


class ExitStatus(IntEnum):
    """Process exit codes.

    2 is every mistake the user can fix (scenario, arguments, output folder, a run too big for
    the machine); 3 is a bug in batchsim; 1 a run that failed for another reason (a full disk,
    memory exhausted); 4 jobs that can never run (``run`` left some RUNNABLE with a
    MISCONFIGURATION statusReason, its results written; ``doctor`` found some); 130 and 143 are
    SIGINT and SIGTERM (128 + the signal number), 141 a reader that closed the pipe early
    (SIGPIPE, as ``git log | head`` gives).
    """

    SUCCESS = 0
    RUN_FAILED = 1
    INVALID_SCENARIO = 2
    INTERNAL_ERROR = 3
    JOBS_CANNOT_RUN = 4
    INTERRUPTED = 130
    PIPE_CLOSED = 141
    TERMINATED = 143


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="batchsim", description="Simulate AWS Batch clusters.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="simulate a scenario and write its results")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument(
        "-o", "--output", default=None, help="output folder (default: out/<scenario name>)"
    )
    run.add_argument("--seed", type=_seed, default=None, help="override simulation.seed (≥ 0)")
    _add_switch(
        run, "events",
        "write events.jsonl even for a run with over 1,000,000 events (~2.5 KB per job)",
        "do not write events.jsonl (default: written up to 1,000,000 events)",
    )  # fmt: skip
    _add_aws_json(run)
    run.add_argument(
        "-q", "--quiet", action="store_true", help="no progress line on a terminal's stderr"
    )
    _add_guards(run)
    _add_set(run)
    compare = commands.add_parser(
        "compare", help="run scenarios on the same seeds; compare with 95 %% CIs"
    )
    compare.add_argument(
        "scenarios", nargs="+", metavar="FILE", help="scenario YAML files (first: the baseline)"
    )
    compare.add_argument(
        "--replications", type=_at_least_one, default=10, metavar="N",
        help="runs per scenario, on seeds S … S+N−1 (default 10)",
    )  # fmt: skip
    compare.add_argument(
        "--seed", type=_seed, default=1, metavar="S", help="first seed (≥ 0, default 1)"
    )
    compare.add_argument("--workers", type=_at_least_one, default=None, metavar="W",
                         help="processes (default 1; with --dask local: all cores)")  # fmt: skip
    _add_dask(compare)
    _add_resumable_output(compare, "out/compare")
    compare.add_argument("--deadline", type=_duration, default=None, metavar="D",
                         help="add P(makespan ≤ D) and makespan p50/p90/p95, e.g. 4h")  # fmt: skip
    compare.add_argument("--max-wait-p95", type=_duration, default=None, metavar="D",
                         help="add P(queue wait p95 ≤ D), e.g. 30m")  # fmt: skip
    compare.add_argument("--budget", type=_budget, default=None, metavar="USD",
                         help="add P(total cost ≤ USD)")  # fmt: skip
    _add_guards(compare)
    _add_set(compare)
    _add_sweep(commands)
    _add_plan(commands)
    _add_fit(commands)
    _add_explain(commands)
    validate = commands.add_parser("validate", help="check a scenario and report every problem")
    validate.add_argument("scenario", help="scenario YAML file")
    _add_set(validate)
    doctor = commands.add_parser("doctor", help="find problems in a scenario before running it")
    doctor.add_argument("scenario", help="scenario YAML file")
    _add_set(doctor)
    _add_import_aws(commands)
    commands.add_parser("schema", help="print the scenario JSON Schema (for editor completion)")
    catalog = commands.add_parser("catalog", help="list instance types and us-east-1 prices")
    catalog.add_argument(
        "--family", action="append", help="only these families or types (repeatable)"
    )
    return parser


def _add_sweep(commands) -> None:
    sweep = commands.add_parser("sweep", help="run a scenario over a grid of values × replications")
    sweep.add_argument("scenario", metavar="FILE", help="scenario YAML file, or a sweep file")
    sweep.add_argument(
        "--vary", action="append", default=[], metavar="PATH=VALUES",
        help="values of a scenario value: 64,128 | [c5],[c6i,m6i] | 64..1024*2 | 0..60+15 (repeatable)",
    )  # fmt: skip
    sweep.add_argument("--replications", type=_at_least_one, default=None, metavar="N",
                       help="runs per point, on seeds S … S+N−1 (default 10)")  # fmt: skip
    sweep.add_argument(
        "--seed", type=_seed, default=None, metavar="S", help="first seed (default 1)"
    )
    sweep.add_argument("--latin", type=_at_least_one, default=None, metavar="N",
                       help="N points of a Latin hypercube over the ranges instead of the grid")  # fmt: skip
    sweep.add_argument("--workers", type=_at_least_one, default=None, metavar="W",
                       help="processes (default: all cores); results are the same for every W")  # fmt: skip
    _add_dask(sweep)
    sweep.add_argument(
        "--deadline", type=_duration, default=None, metavar="D", help="add P(makespan ≤ D)"
    )
    sweep.add_argument("--max-wait-p95", type=_duration, default=None, metavar="D",
                       help="add P(queue wait p95 ≤ D)")  # fmt: skip
    sweep.add_argument(
        "--budget", type=_budget, default=None, metavar="USD", help="add P(total cost ≤ USD)"
    )
    _add_resumable_output(sweep, "out/sweep")
    _add_guards(sweep)
    _add_set(sweep)


def _add_dask(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dask", default=None, metavar="ADDRESS",
                        help="run on Dask: 'local' starts a LocalCluster of --workers processes, "
                             "tcp://host:8786 uses a running scheduler (pip install 'batchsim[dask]')")  # fmt: skip


def _add_import_aws(commands) -> None:
    command = commands.add_parser(
        "import-aws",
        help="write a scenario from aws batch describe-* output (JSON files or a folder)",
    )
    command.add_argument("inputs", nargs="+", metavar="FILE|FOLDER",
                         help="JSON of describe-compute-environments, -job-queues, -job-definitions")  # fmt: skip
    command.add_argument(
        "-o", "--output", required=True, metavar="SCENARIO", help="the YAML file to write"
    )
    command.add_argument("--all-revisions", action="store_true",
                         help="keep every job definition revision (older ones as <name>-r<revision>)")  # fmt: skip
    command.add_argument("--name", default=None, help="scenario name (default: from the file name)")
    command.add_argument("--replace", action="store_true", help="overwrite SCENARIO if it exists")


def _add_plan(commands) -> None:
    plan = commands.add_parser(
        "plan", help="the cheapest configuration that meets the targets with a confidence"
    )
    plan.add_argument("scenario", metavar="FILE", help="scenario YAML file, or a sweep file")
    plan.add_argument("--vary", action="append", default=[], metavar="PATH=VALUES",
                      help="values of a scenario value, as for sweep (repeatable)")  # fmt: skip
    plan.add_argument(
        "--deadline", type=_duration, default=None, metavar="D", help="makespan ≤ D, e.g. 8h"
    )
    plan.add_argument(
        "--max-wait-p95", type=_duration, default=None, metavar="D", help="queue wait p95 ≤ D"
    )
    plan.add_argument(
        "--budget", type=_budget, default=None, metavar="USD", help="total cost ≤ USD"
    )
    plan.add_argument("--confidence", type=_probability, default=0.9, metavar="P",
                      help="P(every target met) to show, 0 < P < 1 (default 0.9)")  # fmt: skip
    plan.add_argument("--replications-max", dest="replications", type=_at_least_one, default=None,
                      metavar="N", help="most runs per configuration (default 30, or the file's)")  # fmt: skip
    plan.add_argument(
        "--seed", type=_seed, default=None, metavar="S", help="first seed (default 1)"
    )
    plan.add_argument("--workers", type=_at_least_one, default=None, metavar="W",
                      help="processes (default: all cores); results are the same for every W")  # fmt: skip
    _add_dask(plan)
    plan.add_argument("--exhaustive", action="store_true",
                      help="run every configuration at every replication (to check the search)")  # fmt: skip
    _add_resumable_output(plan, "out/plan")
    _add_guards(plan)
    _add_set(plan)


def _add_resumable_output(parser: argparse.ArgumentParser, default: str) -> None:
    """Add ``-o/--output`` (default ``default``), ``--resume`` and ``-q/--quiet``: the options
    of a command that writes a folder of many runs (compare, sweep, plan)."""
    parser.add_argument(
        "-o", "--output", default=default, help=f"output folder (default: {default})"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the finished runs of the folder's runs.csv"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress line on a terminal's stderr"
    )


def _add_switch(parser: argparse.ArgumentParser, name: str, on: str, off: str) -> None:
    """Add ``--NAME`` / ``--no-NAME`` (help ``on`` / ``off``), setting ``NAME`` (dashes as
    underscores) to True / False, None when neither is given (the default by run size)."""
    dest = name.replace("-", "_")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(f"--{name}", dest=dest, action="store_true", default=None, help=on)
    group.add_argument(f"--no-{name}", dest=dest, action="store_false", help=off)


def _add_aws_json(run: argparse.ArgumentParser) -> None:
    _add_switch(
        run, "aws-json",
        "write jobs.json (DescribeJobs shape) even for a run of over 250,000 jobs",
        "do not write jobs.json (default: written up to 250,000 jobs)",
    )  # fmt: skip
    run.add_argument(
        "--start-time", type=_start_time, default=None, metavar="WHEN",
        help="wall-clock instant of t=0 in jobs.json: ISO 8601 (UTC unless it says) or epoch "
             "milliseconds (default 2026-01-01T00:00:00Z)",
    )  # fmt: skip


def _start_time(text: str):
    from datetime import UTC, datetime

    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        when = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise argparse.ArgumentTypeError(
            f"a start time is ISO 8601 (2026-01-01T00:00:00Z) or epoch milliseconds, got {text}"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _add_fit(commands) -> None:
    fit = commands.add_parser("fit", help="fit runtimes, delays and failure rates to job history")
    fit.add_argument("history", nargs="+", metavar="HISTORY",
                     help="DescribeJobs JSON ({\"jobs\": [...]} or a list, PascalCase too) or "
                          "EventBridge job state change events (JSON or JSON Lines)")  # fmt: skip
    fit.add_argument("-o", "--output", default=None, metavar="FILE",
                     help="write the scenario fragment here (default: print it)")  # fmt: skip
    fit.add_argument("--replace", action="store_true", help="overwrite FILE if it exists")


def _add_explain(commands) -> None:
    explain = commands.add_parser(
        "explain", help="one job's story: each state, when, how long and why"
    )
    explain.add_argument(
        "target",
        metavar="RUN",
        help="a run folder written by `batchsim run`, or a scenario YAML file",
    )
    explain.add_argument("--job", default=None, metavar="ID|NAME",
                         help="the jobId or jobName to explain (default: list the longest waits)")  # fmt: skip
    explain.add_argument("--json", action="store_true", help="print the story as JSON")
    explain.add_argument(
        "--seed", type=_seed, default=None, help="a scenario's seed (≥ 0), as for run"
    )
    _add_set(explain)
    _add_size_check(explain)


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"a probability strictly between 0 and 1, got {text}")
    return value


def _duration(text: str) -> float:
    from batchsim.scenario.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"a budget is a number of dollars ≥ 0, got {text}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is a whole number ≥ 0, got {text}")
    return value


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"a whole number ≥ 1, got {text}")
    return value


def _add_guards(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replace", action="store_true",
        help="replace the output folder even if it holds files that are not batchsim results",
    )  # fmt: skip
    _add_size_check(parser)


def _add_size_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-size-check", dest="size_check", action="store_false",
        help="run even if the estimated memory exceeds what the machine has available",
    )  # fmt: skip


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
        help="override a scenario value, e.g. computeEnvironments[0].computeResources.maxvCpus=128",
    )  # fmt: skip


def cmd_run(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Simulate the scenario, write every output file and print the headline figures.

    On a terminal, stderr shows a progress line while the run and the writing last (not with
    ``--quiet``). Jobs left that can never run end the summary with a loud line and exit 4.
    """
    from batchsim.api import simulate
    from batchsim.results.folder import check_output_folder
    from batchsim.results.progress import Progress, expected_jobs
    from batchsim.results.report import summary_table
    from batchsim.results.writer import (
        AWS_JSON_BY_DEFAULT_MAX,
        EVENTS_BY_DEFAULT_MAX,
        aws_json_by_default,
        estimated_events,
        events_by_default,
    )

    scenario = load_noted(args.scenario, args.overrides, err)
    folder = Path(args.output) if args.output else Path("out") / scenario.name
    check_output_folder(folder, args.replace)
    if args.size_check:
        check_size([scenario])
    shown = not args.quiet and err.isatty()
    progress = Progress(err, expected_jobs(scenario)) if shown else None
    try:
        result = simulate(scenario, seed=args.seed, observer=progress)
        result.write(folder, events=args.events, replace=args.replace, progress=progress,
                     aws_json=args.aws_json, start_time=args.start_time,
                     findings=_findings(scenario, args.scenario))  # fmt: skip
    finally:
        if progress is not None:
            progress.close()
    out.write(summary_table(result.summary) + "\n")
    if args.events is None and not events_by_default(result):
        out.write(
            f"events.jsonl not written: about {estimated_events(result):,} events, over "
            f"{EVENTS_BY_DEFAULT_MAX:,}; add --events to write it\n"
        )
    if args.aws_json is None and not aws_json_by_default(result):
        out.write(
            f"jobs.json not written: {len(result.jobs):,} jobs, over "
            f"{AWS_JSON_BY_DEFAULT_MAX:,}; add --aws-json to write it\n"
        )
    out.write(f"results written to {folder}/ (simulated in {result.wall_time_s:.2f} s)\n")
    return _never_ran(result, _doctor_arguments(args.scenario, args.overrides), out)


def _doctor_arguments(path: str, overrides: list[str]) -> str:
    """Return ``batchsim doctor``'s arguments for the scenario a run simulated: its file and
    ``--set`` options, quoted for a shell, so the doctor looks at the same scenario."""
    import shlex

    return shlex.join([path, *(word for o in overrides for word in ("--set", o))])


def _never_ran(result, source: str, out: TextIO) -> ExitStatus:
    """Say loudly how many jobs were left that can never run; exit 4 if any were."""
    from batchsim.results.never_ran import loud_line, never_ran

    left = never_ran(result.jobs)
    if not left:
        return ExitStatus.SUCCESS
    out.write(loud_line(left, source) + "\n")
    return ExitStatus.JOBS_CANNOT_RUN


def cmd_compare(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Load every scenario (all problems of all files at once), run the replications through
    the sweep's executors, print the table; exit 1 if any run failed.

    Interrupted, it keeps the finished runs in the folder for ``--resume``.
    """
    from batchsim.compare import load_scenarios
    from batchsim.results.folder import check_output_folder
    from batchsim.sweeps.command import sweep_executor
    from batchsim.sweeps.comparing import run_compare

    scenarios = load_scenarios(args.scenarios, args.overrides, on_note=_note_printer(err))
    folder = Path(args.output)
    check_output_folder(folder, args.replace)
    workers = args.workers or ((os.cpu_count() or 1) if args.dask == "local" else 1)
    executor = sweep_executor(args, workers)
    runs = len(scenarios) * args.replications
    if args.size_check and args.dask in (None, "local"):  # a remote cluster's memory is its own
        check_size(scenarios, parallel=min(workers, runs))
    started_at = time.perf_counter()
    comparison, ran = run_compare(scenarios, args, executor, err)
    elapsed_s = time.perf_counter() - started_at
    out.write(comparison.table() + "\n")
    out.write(_runs_written(folder, ran, runs, elapsed_s))
    if comparison.failed:
        failures = "".join(f"  {line}\n" for line in comparison.failures())
        err.write(f"batchsim: {comparison.failed} of {runs} runs failed:\n{failures}")
        return ExitStatus.RUN_FAILED
    return ExitStatus.SUCCESS


def cmd_sweep(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Run the sweep, write its folder, print one line per point; exit 1 if any run failed.

    Interrupted, it keeps the finished runs in the folder for ``--resume``.
    """
    from batchsim.results.folder import check_output_folder
    from batchsim.sweeps.command import build_spec, run_sweep, sweep_executor
    from batchsim.sweeps.outputs import format_points

    spec = build_spec(args)
    workers = args.workers or os.cpu_count() or 1
    executor = sweep_executor(args, workers)
    folder = Path(args.output)
    check_output_folder(folder, args.replace)
    runs = len(spec.points()) * spec.replications
    base = _base_noted(spec, err)
    if args.size_check and args.dask in (None, "local"):  # a remote cluster's memory is its own
        check_size([base], parallel=min(workers, runs))
    started_at = time.perf_counter()
    result = run_sweep(spec, args, folder, executor, err)
    elapsed_s = time.perf_counter() - started_at
    out.write(format_points(result) + "\n")
    out.write(_runs_written(folder, result.ran, runs, elapsed_s))
    if result.failed:
        err.write(
            f"batchsim: {result.failed} of {runs} runs failed; see status and error in runs.csv\n"
        )
        return ExitStatus.RUN_FAILED
    return ExitStatus.SUCCESS


def cmd_plan(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Search for the cheapest configuration meeting every target; exit 1 when none does.

    Interrupted, it keeps the finished runs in the folder for ``--resume``.
    """
    from batchsim.results.folder import check_output_folder
    from batchsim.sweeps.command import sweep_executor
    from batchsim.sweeps.planning import plan_spec, run_plan_command

    spec = plan_spec(args)
    folder = Path(args.output)
    check_output_folder(folder, args.replace)
    workers = args.workers or os.cpu_count() or 1
    executor = sweep_executor(args, workers)
    base = _base_noted(spec, err)
    if args.size_check and args.dask in (None, "local"):  # a remote cluster's memory is its own
        check_size([base], parallel=workers)
    started_at = time.perf_counter()
    result = run_plan_command(spec, args, folder, executor, err)
    elapsed_s = time.perf_counter() - started_at
    out.write(result.table() + "\n")
    out.write(_runs_written(folder, result.plan.ran, result.runs_made, elapsed_s))
    if result.answer is None:
        err.write(
            f"batchsim: no configuration meets every target with confidence {args.confidence:g}\n"
        )
        return ExitStatus.RUN_FAILED
    return ExitStatus.SUCCESS


def _runs_written(folder: Path, ran: int, runs: int, elapsed_s: float) -> str:
    """The last line of compare, sweep and plan: where, how many of the ``runs`` were
    simulated now (``ran``) and how many an earlier, interrupted command had made."""
    reused = f", {runs - ran} resumed" if ran < runs else ""
    return f"results written to {folder}/ ({ran} runs simulated in {elapsed_s:.2f} s{reused})\n"


def check_size(scenarios: list[Scenario], parallel: int = 1) -> None:
    """Raise RunTooLargeError when ``parallel`` runs of the largest scenario would not fit in
    the memory available now (nothing is checked when the system does not say)."""
    from batchsim.scenario.estimate import available_memory_mib, estimate_size

    available = available_memory_mib()
    biggest = max((estimate_size(scenario) for scenario in scenarios), key=lambda e: e.jobs)
    if available is None or biggest.memory_mib * parallel <= available:
        return
    runs = f"{parallel} runs at once, each " if parallel > 1 else ""
    raise RunTooLargeError(
        f"this run is too large for this machine: {runs}{biggest.describe()}, and "
        f"{available:,.0f} MiB are available. Shorten it (simulation.stopAt, until, count), "
        "or pass --no-size-check to run anyway"
    )


def cmd_fit(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Fit every job definition in the history; print or write the scenario fragment."""
    from batchsim.fit import fit_history, fragment_yaml, load_history

    jobs = load_history([Path(p) for p in args.history])
    text = fragment_yaml(fit_history(jobs), list(args.history), len(jobs))
    if args.output is None:
        out.write(text)
    else:
        _write_file(Path(args.output), text, args.replace)
        out.write(f"scenario fragment for {len(jobs):,} jobs written to {args.output}\n")
    return ExitStatus.SUCCESS


def _write_file(target: Path, text: str, replace: bool) -> None:
    """Write a file the user named (``-o``): an existing one only with ``replace`` (--replace);
    a path that cannot be written is the user's to fix (exit 2), not an internal error."""
    from batchsim.results.files import write_text

    if target.exists() and not replace:
        raise UserError(f"{target} exists; pass --replace to overwrite it")
    try:
        write_text(target, text)  # NOTE: atomic: a failed write leaves the old file whole
    except OSError as error:
        raise UserError(f"{target}: cannot be written ({error.strerror or error})") from None


def load_noted(path: str, overrides: list[str], err: TextIO) -> Scenario:
    """Load the scenario file at ``path``, printing the loader's notes (pasted AWS fields
    ignored, ARNs resolved) on ``err`` as warnings."""
    from batchsim.scenario.loader import load_scenario_notes

    scenario, notes = load_scenario_notes(path, overrides)
    for note in notes:
        _note_printer(err)(path, note)
    return scenario


def _note_printer(err: TextIO) -> Callable[[str, Problem], None]:
    """Return ``print(path, note)``: one loader note as a warning on ``err``."""

    def note_on_err(path: str, note: Problem) -> None:
        err.write(f"{path}: note: {note}\n")

    return note_on_err


def _base_noted(spec, err: TextIO) -> Scenario:
    """A sweep's or plan's scenario as given (before its variations), its loader notes (pasted
    AWS fields ignored, ARNs resolved) printed on ``err`` once, not once per run."""
    from batchsim.scenario.loader import parse_scenario_notes

    scenario, notes = parse_scenario_notes(spec.scenario_text, spec.source, spec.overrides)
    for note in notes:
        _note_printer(err)(spec.source, note)
    return scenario


def cmd_explain(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Tell one job's story (``--job``), or list the jobs that waited longest; a scenario file
    is run in memory first (``--seed``, ``--set``), a run folder is read as written."""
    import batchsim.explain as ex

    target = Path(args.target)
    if target.is_dir():
        if args.seed is not None or args.overrides:
            raise UserError(
                f"{target}: --seed and --set apply to a scenario file, not a run folder"
            )
        run = ex.read_folder(target)
    else:
        from batchsim.api import simulate

        scenario = load_noted(args.target, args.overrides, err)
        if args.size_check:
            check_size([scenario])
        run = ex.RunTables.of(simulate(scenario, seed=args.seed))
    if args.job is None:
        hints = ex.longest_waits(run)
        out.write((hints.to_json(orient="records") if args.json else ex.hints_text(hints)) + "\n")
        return ExitStatus.SUCCESS
    story = ex.explain(run, args.job)
    out.write((ex.story_json(story) if args.json else ex.story_text(story)) + "\n")
    return ExitStatus.SUCCESS


def cmd_validate(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Validate the scenario; print a one-line confirmation with the estimated size, and the
    doctor's findings on stderr (they never change the exit status)."""
    from batchsim.scenario.estimate import estimate_size

    scenario = load_noted(args.scenario, args.overrides, err)
    out.write(
        f"{args.scenario}: valid scenario '{scenario.name}' ({len(scenario.computeEnvironments)} compute "
        f"environments, {len(scenario.jobQueues)} queues, {len(scenario.workload)} workload entries; "
        f"{estimate_size(scenario).describe()})\n"
    )
    for finding in _findings(scenario, args.scenario):
        err.write(finding.format() + "\n")
    return ExitStatus.SUCCESS


def _diagnosed(scenario: Scenario, path: str) -> list:
    """Return every doctor's finding on ``scenario``, read from ``path`` (whose text gives the
    findings their lines and the ``# doctor: accept`` comments)."""
    from batchsim.doctor import diagnose

    return diagnose(scenario, Path(path).read_text(encoding="utf-8-sig"), path)


def _findings(scenario: Scenario, path: str) -> list:
    """Return the doctor's findings on ``scenario`` that it does not accept: what ``validate``
    warns of and report.html's "Doctor's findings" list."""
    return [finding for finding in _diagnosed(scenario, path) if not finding.accepted]


def cmd_doctor(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Print every finding about the scenario; exit 4 when some jobs can never run."""
    from batchsim.doctor import Severity, counted, format_findings

    findings = _diagnosed(load_noted(args.scenario, args.overrides, err), args.scenario)
    out.write(format_findings(findings, args.scenario) + "\n")
    if counted(findings, Severity.ERROR):
        return ExitStatus.JOBS_CANNOT_RUN
    return ExitStatus.SUCCESS


def cmd_import_aws(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Write the scenario for the describe output given, then validate it: what is left to fix
    (a type the catalog lacks, a queue whose compute environment was not given) is listed with
    its line in the written file, exit status 2."""
    from batchsim.aws_import import import_aws
    from batchsim.scenario.loader import SCENARIO_NAME, parse_scenario

    target = Path(args.output)
    if target.exists() and not args.replace:
        raise UserError(f"{target} exists; pass --replace to overwrite it")  # NOTE: before the work
    stem = target.stem if SCENARIO_NAME.fullmatch(target.stem) else "imported"
    text, imported = import_aws(args.inputs, args.name or stem, args.all_revisions)
    _write_file(target, text, args.replace)
    out.write(f"{target} written ({imported.counts()}); edit the lines marked CHECK\n")
    parse_scenario(text, str(target))
    return ExitStatus.SUCCESS


def cmd_schema(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Print the JSON Schema of the scenario format."""
    from batchsim.scenario.schema import Scenario

    out.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")
    return ExitStatus.SUCCESS


def cmd_catalog(args, out: TextIO, err: TextIO) -> ExitStatus:
    """Print instance types (all, or the given families/types) with prices."""
    from batchsim.catalog import CATALOG_SOURCE, format_table, load_catalog

    catalog = load_catalog()
    types = catalog.resolve(args.family) if args.family else catalog.all()
    out.write(format_table(types) + "\n" + CATALOG_SOURCE + "\n")
    return ExitStatus.SUCCESS


COMMANDS = {
    "run": cmd_run,
    "compare": cmd_compare,
    "sweep": cmd_sweep,
    "plan": cmd_plan,
    "fit": cmd_fit,
    "explain": cmd_explain,
    "validate": cmd_validate,
    "doctor": cmd_doctor,
    "import-aws": cmd_import_aws,
    "schema": cmd_schema,
    "catalog": cmd_catalog,
}


def main(
    argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> ExitStatus:
    """Run the CLI with ``argv`` (default: sys.argv[1:]) and return the exit status."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its message
        return ExitStatus.SUCCESS if exit_.code == 0 else ExitStatus.INVALID_SCENARIO
    if args.version:
        from batchsim.api import engine_build, package_version

        out.write(f"batchsim {package_version()} (engine: {engine_build()})\n")
        return ExitStatus.SUCCESS
    if args.command is None:
        parser.print_help(out)
        return ExitStatus.INVALID_SCENARIO
    with _signals_raise():
        return _dispatch(args, out, err)


_SIGNAL_STATUS = {signal.SIGINT: ExitStatus.INTERRUPTED, signal.SIGTERM: ExitStatus.TERMINATED}


def _raise_interrupted(signum: int, _frame) -> None:
    raise Interrupted(signum)


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` while a command runs, so output
    folders are cleaned up on the way out; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield  # NOTE: only the main thread may install handlers (tests may call main elsewhere)
        return
    previous = {signum: signal.signal(signum, _raise_interrupted) for signum in _SIGNAL_STATUS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _dispatch(args, out: TextIO, err: TextIO) -> ExitStatus:
    try:
        return COMMANDS[args.command](args, out, err)
    except ScenarioError as error:
        err.write(error.format() + "\n")
        return ExitStatus.INVALID_SCENARIO
    except UserError as error:
        err.write(f"batchsim: {error}\n")
        return ExitStatus.INVALID_SCENARIO
    except (KeyboardInterrupt, Interrupted) as error:
        signum = getattr(error, "signum", signal.SIGINT)
        err.write(f"batchsim: interrupted ({signal.Signals(signum).name})\n")
        return _SIGNAL_STATUS.get(signum, ExitStatus.INTERRUPTED)
    except MemoryError:
        err.write("batchsim: out of memory; shorten the run (simulation.stopAt, until, count)\n")
        return ExitStatus.RUN_FAILED
    except BrokenPipeError:
        _drop_stdout()
        return ExitStatus.PIPE_CLOSED
    except OSError as error:
        err.write(f"batchsim: {error.strerror or error}: {error.filename or ''}\n")
        return ExitStatus.RUN_FAILED
    except Exception as error:  # InternalError, or a bug nobody named
        return _internal_error(error, err)


def _drop_stdout() -> None:
    """The reader of our output went away (``batchsim run … | head``): say nothing more, and
    point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # NOTE: stdout replaced by a non-file (tests): nothing to do
        pass


def _internal_error(error: Exception, err: TextIO) -> ExitStatus:
    """A bug in batchsim: say so plainly, trace only on request (BATCHSIM_DEBUG=1)."""
    if os.environ.get("BATCHSIM_DEBUG"):
        raise error
    err.write(
        f"batchsim: internal error: {type(error).__name__}: {error}\n"
        "This is a bug in batchsim, not a mistake in your scenario; please report it with your "
        "scenario (set BATCHSIM_DEBUG=1 to see the traceback).\n"
    )
    return ExitStatus.INTERNAL_ERROR


def main_entry() -> None:
    """Console-script entry point: exit with main()'s status."""
    status = main()
    # NOTE: the interpreter's exit collects every object still alive, pandas', matplotlib's and
    # the schema's included: 0.25 s after a sweep. Frozen objects are skipped; the process ends
    # anyway, and atexit handlers, weakref finalizers and stream flushes still run.
    gc.freeze()
    sys.exit(int(status))

"""What ``batchsim compare`` does between loading its scenarios and printing its table: the
runs through the sweep's executors, its progress line, ``--resume`` and an interrupted
comparison's finished runs.

A finished comparison's folder holds ``compare.csv``, ``compare.json`` and ``report.html``. An
interrupted one holds ``runs.csv`` (one row per finished run, the sweep's format, see
:data:`batchsim.compare.RUN_COLUMNS`) and ``compare.partial.json`` (how many runs finished),
which ``--resume`` reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from batchsim.compare import (
    RUN_COLUMNS,
    Comparison,
    column_labels,
    compare,
    reusable_runs,
    run_identities,
)
from batchsim.errors import Interrupted, RunnersLost, UserError
from batchsim.scenario.schema import Scenario
from batchsim.sweeps.runner import Executor, SweepProgress
from batchsim.sweeps.table import csv_text, read_runs

PARTIAL = "compare.partial.json"
"""Written beside ``runs.csv`` by an interrupted comparison."""


def resumed(folder: Path, scenarios: list[Scenario], sources: list[str], seeds: list[int]) -> dict:
    """Return the finished runs of ``folder/runs.csv`` this comparison would make again, by run
    number; none without the file. Raises UserError when it cannot be read as compare's."""
    path = folder / "runs.csv"
    if not path.is_file():
        return {}
    try:
        rows = read_runs(path.read_text(encoding="utf-8"), RUN_COLUMNS)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"cannot resume from {folder}: {error}") from None
    labels = column_labels([scenario.name for scenario in scenarios], sources)
    return reusable_runs(rows, run_identities(scenarios, labels), seeds)


def write_partial(folder: Path, finished: dict[int, dict], total: int, replace: bool) -> None:
    """Write the finished rows of an interrupted comparison, for ``--resume``."""
    from batchsim.results.files import write_text
    from batchsim.results.folder import staged_folder

    rows = [finished[k] for k in sorted(finished)]
    state = {"runs_finished": len(rows), "runs": total, "resume": "rerun with --resume"}
    with staged_folder(folder, replace) as staging:
        write_text(staging / "runs.csv", csv_text(RUN_COLUMNS, rows))
        write_text(staging / PARTIAL, json.dumps(state, indent=2) + "\n")


def run_compare(
    scenarios: list[Scenario], args: Any, executor: Executor, err: TextIO
) -> tuple[Comparison, int]:
    """Run the comparison of the options on ``executor`` and write its folder; return it and
    how many runs were made now (the others came from ``--resume``).

    On SIGINT/SIGTERM, or a Dask cluster lost midway, the finished runs are written for a
    later ``--resume``, then the interruption or error goes on up to the command line.
    """
    folder, total = Path(args.output), len(scenarios) * args.replications
    seeds = [args.seed + r for r in range(args.replications)]
    finished = resumed(folder, scenarios, args.scenarios, seeds) if args.resume else {}
    reused = len(finished)
    shown = not args.quiet and err.isatty()
    progress = SweepProgress(err, total - reused, label="compare") if shown else None
    try:
        comparison = compare(scenarios, args.replications, args.seed, sources=args.scenarios,
                             deadline_s=args.deadline, executor=executor, progress=progress,
                             finished=finished, max_wait_p95_s=args.max_wait_p95,
                             budget_usd=args.budget)  # fmt: skip
    except (KeyboardInterrupt, Interrupted, RunnersLost):
        _close(progress)
        write_partial(folder, finished, total, args.replace)
        err.write(f"batchsim: compare interrupted; {len(finished)} finished runs kept in "
                  f"{folder}/runs.csv (add --resume to go on)\n")  # fmt: skip
        raise
    _close(progress)
    comparison.write(folder, replace=args.replace)
    return comparison, total - reused


def _close(progress: SweepProgress | None) -> None:
    if progress is not None:
        progress.close()

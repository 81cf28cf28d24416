"""What ``batchsim sweep`` does between parsing its options and printing its table."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TextIO

from batchsim.errors import Interrupted, Problem, RunnersLost, SweepError
from batchsim.sweeps.execute import SweepResult, execute, reusable
from batchsim.sweeps.load import is_sweep_file, load_sweep_file, spec_from_options
from batchsim.sweeps.outputs import WRITER_MODULES, resumed_rows, write_partial, write_sweep
from batchsim.sweeps.runner import Executor, SweepProgress, executor_for
from batchsim.sweeps.spec import SweepSpec, Targets


def _targets(args: Any, base: Targets) -> Targets:
    """The file's targets, each replaced by its option when given."""
    return Targets(
        args.deadline if args.deadline is not None else base.deadline_s,
        args.max_wait_p95 if args.max_wait_p95 is not None else base.max_wait_p95_s,
        args.budget if args.budget is not None else base.budget_usd,
    )


def _is_sweep_file(path: str) -> bool:
    try:
        return is_sweep_file(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return False  # NOTE: the scenario loader reports the unreadable file


def build_spec(args: Any) -> SweepSpec:
    """Return the spec of a sweep file (options replace its settings) or of ``--vary`` options.

    Raises SweepError or ScenarioError listing every problem.
    """
    if not _is_sweep_file(args.scenario):
        return spec_from_options(
            args.scenario, args.vary, args.replications or 10,
            1 if args.seed is None else args.seed, args.overrides,
            _targets(args, Targets()), args.latin,
        )  # fmt: skip
    if args.vary:
        raise SweepError([Problem("--vary", "a sweep file says what varies; add it to the file's vary")],
                         args.scenario)  # fmt: skip
    spec = load_sweep_file(args.scenario, args.overrides)
    changes: dict[str, Any] = {"targets": _targets(args, spec.targets)}
    for name in ("replications", "seed", "latin"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    return dataclasses.replace(spec, **changes)


def sweep_executor(args: Any, workers: int) -> Executor:
    """Return the executor of the options: Dask with ``--dask``, else ``workers`` processes.

    Raises DaskUnavailable (a UserError) when ``--dask`` is given and Dask is not installed.
    """
    if args.dask is None:
        return executor_for(workers)
    from batchsim.sweeps.dask_executor import LOCAL, DaskExecutor

    if args.dask != LOCAL and args.workers is not None:
        raise SweepError([Problem("--workers", f"the Dask scheduler at {args.dask} has its own "
                                  "workers; --workers sizes only --dask local")],
                          getattr(args, "scenario", None) or args.scenarios[0])  # fmt: skip
    return DaskExecutor(args.dask, workers if args.dask == LOCAL else None)


def run_sweep(
    spec: SweepSpec, args: Any, folder: Path, executor: Executor, err: TextIO
) -> SweepResult:
    """Run the sweep on ``executor`` (resuming the folder's finished runs with ``--resume``)
    and write it.

    On SIGINT/SIGTERM, or a Dask cluster lost midway, the finished runs are written for a
    later ``--resume``, then the interruption or error goes on up to the command line.
    """
    points = spec.points()
    finished = reusable(spec, points, resumed_rows(folder, spec)) if args.resume else {}
    todo = len(points) * spec.replications - len(finished)
    shown = not args.quiet and err.isatty()
    progress = SweepProgress(err, todo) if shown else None
    try:
        result = execute(spec, executor, progress, finished, WRITER_MODULES)
    except (KeyboardInterrupt, Interrupted, RunnersLost):
        if progress is not None:
            progress.close()
        write_partial(folder, spec, finished, args.replace)
        err.write(f"batchsim: sweep interrupted; {len(finished)} finished runs kept in "
                  f"{folder}/runs.csv (add --resume to go on)\n")  # fmt: skip
        raise
    if progress is not None:
        progress.close()
    write_sweep(folder, result, args.replace)
    return result

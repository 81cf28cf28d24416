"""What ``batchsim plan`` does between parsing its options and printing its answer: the spec
(a sweep's, checked for a plan) and the search through an executor."""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from batchsim.errors import Interrupted, Problem, RunnersLost, SweepError
from batchsim.sweeps.command import _is_sweep_file, build_spec
from batchsim.sweeps.decide import fewest_runs, lower_bound
from batchsim.sweeps.plan import Plan
from batchsim.sweeps.plan_output import RUNNERS_UP, format_plan, plan_json, point_record, write_plan
from batchsim.sweeps.runner import Executor, PlanProgress, executor_for
from batchsim.sweeps.spec import SweepSpec
from batchsim.sweeps.table import run_columns

if TYPE_CHECKING:
    import pandas as pd


REPLICATIONS = 30
"""Most runs per configuration when neither the option nor a sweep file says: the fewest that
can show P(meet) ≥ 0.9 (29) and one more."""


def plan_spec(args: Any) -> SweepSpec:
    """Return the spec of a plan from its options (a sweep file or ``--vary``).

    Raises SweepError when no target is set, or when the most runs per configuration cannot
    show the confidence even if every run meets the targets.
    """
    if args.replications is None and not _is_sweep_file(args.scenario):
        args.replications = REPLICATIONS
    args.latin = None
    spec = build_spec(args)
    check_plan_spec(spec, args.confidence, args.scenario)
    return dataclasses.replace(spec)


def check_plan_spec(spec: SweepSpec, confidence: float, source: str) -> None:
    """Raise SweepError (every problem, ``source`` named) unless ``spec`` can be planned with
    ``confidence``: a target set, a grid (no Latin sample), enough replications."""
    problems = []
    if not spec.targets.named():
        problems.append(
            Problem("targets", "a plan needs a target: --deadline, --max-wait-p95 or --budget")
        )
    if spec.latin is not None:
        problems.append(Problem("sample", "a plan searches the grid; remove sample: {latin: N}"))
    total, needed = spec.replications, fewest_runs(confidence)
    if needed is None or total < needed:
        problems.append(Problem("--replications-max", (
            f"{total} of {total} runs meeting the targets show P(meet) ≥ "
            f"{100 * lower_bound(total, total):.1f} % at most, below the confidence "
            f"{confidence:g}; use " + (f"at least {needed} replications or " if needed else "")
            + "a lower --confidence")))  # fmt: skip
    if problems:
        raise SweepError(problems, source)


def run_plan(
    spec: SweepSpec,
    confidence: float,
    executor: Executor | int,
    exhaustive: bool = False,
    resumed: dict[int, dict] | None = None,
    progress: PlanProgress | None = None,
    plan: Plan | None = None,
) -> Plan:
    """Run the adaptive search (or, with ``exhaustive``, every run of the grid) on ``executor``
    (or that many local processes), taking the runs of ``resumed`` (run number → row) from
    there. ``plan``, when given, is the Plan to fill (a caller keeps it to save its runs if
    interrupted)."""
    plan = plan or Plan(spec, confidence, resumed=resumed, progress=progress)
    runner = executor_for(executor) if isinstance(executor, int) else executor
    session = getattr(runner, "session", None)
    with session() if session is not None else contextlib.nullcontext():
        return plan.exhaustive(runner) if exhaustive else plan.search(runner)


@dataclass(frozen=True)
class PlanResult:
    """A finished plan: the answer, the runners-up, the cheaper configurations that failed and
    every run made, as :func:`batchsim.plan` returns it.

    Records (``answer``, ``runners_up``, ``cheaper_failures``) are dicts as ``plan.json``
    holds them: ``point``, ``values`` (path → YAML text), ``status``, ``runs``, ``met``,
    ``p_meet``, ``p_meet_lower``, ``total_cost_usd_mean``, ``makespan_s_mean``.
    """

    plan: Plan
    grid_runs: int

    @property
    def answer(self) -> dict[str, Any] | None:
        """The cheapest configuration that meets every target with the confidence, or None."""
        found = self.plan.answer
        return point_record(self.plan, found, False) if found is not None else None

    @property
    def runners_up(self) -> list[dict[str, Any]]:
        """The next cheapest configurations that meet the plan (up to three)."""
        return [
            point_record(self.plan, p, False) for p in self.plan.met_points()[1 : 1 + RUNNERS_UP]
        ]

    @property
    def cheaper_failures(self) -> list[dict[str, Any]]:
        """Every configuration decided "fails" whose mean cost is below the answer's."""
        return [point_record(self.plan, p, False) for p in self.plan.cheaper_failures()]

    @property
    def runs_made(self) -> int:
        """How many runs the search made (resumed ones included), against :attr:`grid_runs`."""
        return self.plan.runs

    @property
    def runs(self) -> pd.DataFrame:
        """Every run made, one row each in the columns of ``runs.csv``."""
        import pandas as pd

        return pd.DataFrame(self.plan.rows(), columns=run_columns(self.plan.spec))

    def to_json(self) -> str:
        """Return the text of ``plan.json``."""
        return plan_json(self.plan, self.grid_runs)

    def table(self) -> str:
        """Return what the command prints: the answer, runners-up and cheaper failures."""
        return format_plan(self.plan, self.grid_runs)

    def write(self, folder: str | Path, replace: bool = False) -> None:
        """Write the command's folder (plan.json, runs.csv, plan.png, sweep.yaml, scenario.yaml)."""
        write_plan(folder, self.plan, self.grid_runs, replace)


def run_plan_command(
    spec: SweepSpec, args: Any, folder: Path, executor: Executor, err: TextIO
) -> PlanResult:
    """Run the plan of the options on ``executor`` (taking the folder's finished runs with
    ``--resume``, showing a progress line on a terminal) and write its folder.

    On SIGINT/SIGTERM, or a Dask cluster lost midway, the runs made so far are written as an
    interrupted sweep's (``sweep.yaml``, ``scenario.yaml``, ``runs.csv``) for a later
    ``--resume``, then the interruption or error goes on up to the command line.
    """
    from batchsim.sweeps.execute import reusable
    from batchsim.sweeps.outputs import resumed_rows, write_partial

    grid_runs = len(spec.points()) * spec.replications
    resumed = reusable(spec, spec.points(), resumed_rows(folder, spec)) if args.resume else {}
    shown = not args.quiet and err.isatty()
    progress = PlanProgress(err, grid_runs) if shown else None
    plan = Plan(spec, args.confidence, resumed=resumed, progress=progress)
    try:
        run_plan(spec, args.confidence, executor, args.exhaustive, plan=plan)
    except (KeyboardInterrupt, Interrupted, RunnersLost):
        _close(progress)
        finished = plan.finished()
        write_partial(folder, spec, resumed | finished, args.replace)
        err.write(f"batchsim: plan interrupted; {len(resumed | finished)} finished runs kept in "
                  f"{folder}/runs.csv (add --resume to go on)\n")  # fmt: skip
        raise
    _close(progress)
    result = PlanResult(plan, grid_runs)
    result.write(folder, args.replace)
    return result


def _close(progress: PlanProgress | None) -> None:
    if progress is not None:
        progress.close()

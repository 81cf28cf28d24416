"""What ``batchsim plan`` does between parsing its options and printing its answer: the spec
(a sweep's, checked for a plan) and the search through an executor."""

from __future__ import annotations

import dataclasses
from typing import Any

from batchsim.errors import Problem, SweepError
from batchsim.sweeps.command import _is_sweep_file, build_spec
from batchsim.sweeps.decide import fewest_runs, lower_bound
from batchsim.sweeps.plan import Plan
from batchsim.sweeps.runner import executor_for
from batchsim.sweeps.spec import SweepSpec

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
    args.latin, args.resume, args.quiet = None, False, True
    spec = build_spec(args)
    problems = []
    if not spec.targets.named():
        problems.append(
            Problem("targets", "a plan needs a target: --deadline, --max-wait-p95 or --budget")
        )
    if spec.latin is not None:
        problems.append(Problem("sample", "a plan searches the grid; remove sample: {latin: N}"))
    total, needed = spec.replications, fewest_runs(args.confidence)
    if needed is None or total < needed:
        problems.append(Problem("--replications-max", (
            f"{total} of {total} runs meeting the targets show P(meet) ≥ "
            f"{100 * lower_bound(total, total):.1f} % at most, below the confidence "
            f"{args.confidence:g}; use at least {needed} replications or a lower --confidence")))  # fmt: skip
    if problems:
        raise SweepError(problems, args.scenario)
    return dataclasses.replace(spec)


def run_plan(spec: SweepSpec, confidence: float, workers: int, exhaustive: bool = False) -> Plan:
    """Run the adaptive search (or, with ``exhaustive``, every run of the grid) on ``workers``."""
    plan = Plan(spec, confidence)
    executor = executor_for(workers)
    return plan.exhaustive(executor) if exhaustive else plan.search(executor)

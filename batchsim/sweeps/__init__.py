"""Sweeps: a scenario run at every point of a grid (or a Latin hypercube) × replications.

``batchsim.sweep(scenario, vary={...}, replications=…, workers=…)`` returns a DataFrame with
one row per run; ``batchsim sweep`` on the command line also writes the output folder (see
``docs/sweep.md``). Modules: ``values`` (value lists and ranges), ``spec`` (points, seeds),
``load`` (sweep files and ``--vary`` options), ``runner`` (one run, executors, progress),
``execute`` (the runs in order, resume), ``table`` and ``stats`` (runs.csv, points.csv,
intervals), ``outputs`` and ``plots`` (the folder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchsim.sweeps.dask_executor import DaskExecutor
from batchsim.sweeps.spec import Factor, SweepSpec, Targets

if TYPE_CHECKING:
    import pandas as pd

    from batchsim.scenario.schema import Scenario
    from batchsim.sweeps.planning import PlanResult
    from batchsim.sweeps.runner import Executor

__all__ = ["DaskExecutor", "Factor", "SweepSpec", "Targets", "plan", "sweep"]


def _vary_texts(vary: Mapping[str, Any]) -> list[str]:
    """Turn ``{path: values}`` into ``--vary`` texts (a list's items, or a range string)."""
    from batchsim.sweeps.values import value_text

    texts = []
    for path, values in vary.items():
        if isinstance(values, str):
            texts.append(f"{path}={values}")
        else:
            texts.append(f"{path}=" + ",".join(value_text(value) or "null" for value in values))
    return texts


def sweep(
    scenario: str | Path | Scenario,
    vary: Mapping[str, Any] | Sequence[str] = (),
    replications: int = 10,
    workers: int | None = 1,
    seed: int = 1,
    overrides: Sequence[str] = (),
    targets: Targets | None = None,
    latin: int | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` at every point of ``vary`` × ``replications`` and return the runs.

    ``scenario`` is a path or a :class:`Scenario`; ``vary`` maps a PATH to a list of values or
    a range text ("64..1024*2"), or is a list of ``PATH=VALUES`` texts as on the command line.
    Replication r runs on seed ``seed + r`` at every point. ``workers`` processes run the
    runs (None: all cores); ``executor`` (such as ``DaskExecutor("tcp://host:8786")``), when
    given, runs them instead. The result is the same for every count and executor. The
    DataFrame has the columns of ``runs.csv`` (see docs/sweep.md). Raises ScenarioError or SweepError for bad
    input; a failed run is a row with status "error".
    """
    from batchsim.sweeps.execute import execute
    from batchsim.sweeps.runner import executor_for

    spec = _spec_of(scenario, vary, replications, seed, overrides, targets, latin)
    return execute(spec, executor or executor_for(workers)).runs_frame()


def _spec_of(
    scenario: str | Path | Scenario,
    vary: Mapping[str, Any] | Sequence[str],
    replications: int,
    seed: int,
    overrides: Sequence[str],
    targets: Targets | None,
    latin: int | None,
) -> SweepSpec:
    """The spec of :func:`sweep`'s (and :func:`plan`'s) arguments; a Scenario is read from its
    resolved YAML."""
    import tempfile

    from batchsim.scenario.loader import resolved_yaml
    from batchsim.scenario.schema import Scenario
    from batchsim.sweeps.load import spec_from_options

    texts = _vary_texts(vary) if isinstance(vary, Mapping) else list(vary)
    with tempfile.TemporaryDirectory() as folder:
        if isinstance(scenario, Scenario):
            path = Path(folder) / f"{scenario.name}.yaml"
            path.write_text(resolved_yaml(scenario), encoding="utf-8")
            scenario = path
        return spec_from_options(scenario, texts, replications, seed, overrides, targets, latin)


def _seconds(value: float | str | None) -> float | None:
    from batchsim.scenario.units import parse_duration

    return parse_duration(value) if isinstance(value, str) else value


def plan(
    scenario: str | Path | Scenario,
    vary: Mapping[str, Any] | Sequence[str] = (),
    deadline: float | str | None = None,
    max_wait_p95: float | str | None = None,
    budget: float | None = None,
    confidence: float = 0.9,
    replications: int = 30,
    seed: int = 1,
    overrides: Sequence[str] = (),
    workers: int | None = 1,
    executor: Executor | None = None,
    exhaustive: bool = False,
) -> PlanResult:
    """Find the cheapest configuration of ``vary`` that meets every target with ``confidence``.

    The same search as ``batchsim plan`` (docs/plan.md), on ``scenario`` (a path or a
    :class:`Scenario`) with ``vary`` as for :func:`batchsim.sweep`. ``deadline`` and
    ``max_wait_p95`` are seconds or durations ("6h", "30m"), ``budget`` dollars; at least one
    is needed. ``replications`` is the most runs a configuration gets (seeds ``seed …``).
    Runs go to ``executor`` (such as ``DaskExecutor("local")``) or ``workers`` processes
    (None: all cores); the result is the same for every one. Raises SweepError or
    ScenarioError for bad input (no target, too few replications for the confidence).
    """
    from batchsim.sweeps.planning import PlanResult, check_plan_spec, run_plan
    from batchsim.sweeps.runner import executor_for

    targets = Targets(_seconds(deadline), _seconds(max_wait_p95), budget)
    spec = _spec_of(scenario, vary, replications, seed, overrides, targets, None)
    check_plan_spec(spec, confidence, spec.source)
    found = run_plan(spec, confidence, executor or executor_for(workers), exhaustive)
    return PlanResult(found, len(found.points) * spec.replications)

"""The public entry points: load a scenario, simulate it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from batchsim.engine.simulation import run_engine
from batchsim.gc_pause import paused_gc
from batchsim.observer import RunObserver
from batchsim.results.run_result import RunResult
from batchsim.scenario.schema import Scenario


def package_version() -> str:
    """Return the installed batchsim version (or "0+unknown" when run from a bare checkout)."""
    try:
        return version("batchsim")
    except PackageNotFoundError:
        return "0+unknown"


def engine_build() -> str:
    """Say which build of the engine is imported: "compiled with mypyc" (a wheel built by
    ``pip install .``) or "pure Python" (an editable install, a checkout, or a fallback build)."""
    import batchsim.engine.calendar

    return (
        "pure Python"
        if batchsim.engine.calendar.__file__.endswith(".py")
        else "compiled with mypyc"
    )


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError listing every problem found."""
    from batchsim.scenario.loader import load_scenario as _load

    return _load(path, overrides)


def simulate(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    observer: RunObserver | None = None,
) -> RunResult:
    """Run ``scenario`` (a Scenario or a path to its YAML) and return its RunResult.

    ``seed`` overrides ``simulation.seed``; the same scenario and seed give identical results.
    ``observer`` (e.g. a :class:`batchsim.results.progress.Progress`) watches the run phase.
    """
    if seed is not None and (not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be a whole number ≥ 0, got {seed!r}")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    with paused_gc():
        run = run_engine(scenario, seed, observer)
        return RunResult.from_engine(scenario, run, package_version())

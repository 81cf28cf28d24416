"""batchsim: a discrete-event simulator of AWS Batch clusters.

Write a scenario in AWS Batch's own terms, then::

    import batchsim
    result = batchsim.simulate(batchsim.load_scenario("scenarios/quickstart.yaml"))
    result.summary["makespan_s"], result.summary["total_cost_usd"]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from batchsim.gc_pause import paused_gc as _paused_gc

# NOTE: importing numpy and the schema's models makes no garbage worth collecting, and the
# collector's passes over them took 0.04 s of the start-up: every command pays it first
with _paused_gc():
    from batchsim.api import load_scenario, package_version, simulate, simulate_summary
    from batchsim.errors import BatchsimError, ScenarioError
    from batchsim.scenario.schema import Scenario
    from batchsim.sweeps import plan, sweep

if TYPE_CHECKING:
    from batchsim.results.run_result import RunResult

_LAZY = {
    "explain": ("batchsim.explain", None),
    "RunResult": ("batchsim.results.run_result", "RunResult"),
}
"""Names imported on first use: the module and the attribute (None: the module itself).

NOTE: both need pandas (0.2–0.3 s to import), which neither a sweep nor ``batchsim validate``
needs (unless the scenario replays a trace, whose reader uses it): a sweep's runs keep only
their summary (``simulate_summary``) and its files are written without it."""


def __getattr__(name: str) -> Any:
    """Import a name of :data:`_LAZY` on first use (PEP 562): ``batchsim.explain`` (the
    module: ``batchsim.explain.story_text``, …) and ``batchsim.RunResult``."""
    if name not in _LAZY:
        raise AttributeError(f"module 'batchsim' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    with _paused_gc():
        module = importlib.import_module(module_name)
    return module if attribute is None else getattr(module, attribute)


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BatchsimError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "package_version",
    "plan",
    "simulate",
    "simulate_summary",
    "sweep",
]
__version__ = package_version()

"""batchsim: a discrete-event simulator of AWS Batch clusters.

Write a scenario in AWS Batch's own terms, then::

    import batchsim
    result = batchsim.simulate(batchsim.load_scenario("scenarios/quickstart.yaml"))
    result.summary["makespan_s"], result.summary["total_cost_usd"]
"""

from batchsim.gc_pause import paused_gc as _paused_gc

# NOTE: importing pandas, numpy and the schema's models makes no garbage worth collecting, and
# the collector's passes over them took 0.04 s of the 0.6 s: every command pays it first
with _paused_gc():
    import batchsim.explain  # noqa: F401 (the module: batchsim.explain.story_text, …)
    from batchsim.api import load_scenario, package_version, simulate, simulate_summary
    from batchsim.errors import BatchsimError, ScenarioError
    from batchsim.results.run_result import RunResult
    from batchsim.scenario.schema import Scenario
    from batchsim.sweeps import plan, sweep

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

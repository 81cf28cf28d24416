"""The loader's checks of ``trace:`` entries: mapped queues exist, and every trace file reads.

A trace is read here once (the readers cache it), so a bad line is reported with the file and
line before a run starts, at the YAML line of the entry's ``trace.path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchsim.scenario.schema import Scenario
    from batchsim.scenario.yamlmap import Path as YamlPath


def trace_problems(scenario: Scenario, base_dir: str | None) -> list[tuple[YamlPath, str]]:
    """Return (YAML path, message) for every problem of the scenario's trace entries."""
    found: list[tuple[YamlPath, str]] = []
    queues = {q.jobQueueName for q in scenario.jobQueues}
    for index, entry in enumerate(scenario.workload):
        if entry.trace is None:
            continue
        where: YamlPath = ("workload", index, "trace")
        mapping = entry.trace.queues
        for key, name in mapping.map.items() if mapping is not None else ():
            if name not in queues:
                found.append(((*where, "queues", "map", key), f"no job queue named {name!r}"))
        problem = _read_problem(entry.trace, base_dir, entry.submit.jobQueue)
        if problem is not None:
            found.append(((*where, "path"), problem))
    return found


def _read_problem(trace, base_dir: str | None, queue: str) -> str | None:
    """The reader's message if the trace cannot be read or has bad content, else None."""
    # NOTE: late import: pandas is only loaded for scenarios that have a trace
    from batchsim.scenario.trace_jobs import load_trace_jobs
    from batchsim.scenario.traces import TraceError

    try:
        jobs = load_trace_jobs(trace, Path(base_dir) if base_dir is not None else None, queue)
    except TraceError as error:
        return str(error)
    trace.read_as(jobs.jobs_created())
    return None

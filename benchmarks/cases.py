"""The timed cases: one shape simulated by the hand-written twin, the engine, or simulate().

Each case function builds its input outside the timer, times only the simulation call, and
returns a flat dict of measurements (wall and CPU time, RSS before the call) and of facts about
the simulated queue (mean wait, makespan, completions) that the driver checks afterwards.
"""

from __future__ import annotations

import math
import statistics
import sys
import time

from shapes import Shape

BATCHES = 20  # batch means for the standard error of the mean wait


def current_rss_mib() -> float:
    """Return this process's resident set size now (Linux), in MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def timed(fn, profile: bool):
    """Run ``fn()``; return (its result, wall s, CPU s), printing a cProfile if asked."""
    if not profile:
        cpu, started = time.process_time(), time.perf_counter()
        result = fn()
        return result, time.perf_counter() - started, time.process_time() - cpu
    import cProfile
    import pstats

    # NOTE: CPU time, not wall time: on a shared machine waiting for a core would otherwise be
    # charged to whichever function happened to be running.
    profiler = cProfile.Profile(time.process_time)
    cpu, started = time.process_time(), time.perf_counter()
    result = profiler.runcall(fn)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(15)
    stats.sort_stats("tottime").print_stats(15)
    return result, wall, cpu


def wait_stats(waits: list[float]) -> dict:
    """Return the mean queue wait, its standard error (batch means) and P(wait > 0).

    Waits of successive jobs are strongly correlated, so the standard error comes from the
    means of BATCHES consecutive blocks of jobs in arrival order, not from the per-job spread.
    """
    n = len(waits)
    se = float("nan")
    if n >= BATCHES * 2:
        size = n // BATCHES
        means = [math.fsum(waits[i * size : (i + 1) * size]) / size for i in range(BATCHES)]
        se = statistics.stdev(means) / math.sqrt(BATCHES)
    return {
        "mean_wait_s": math.fsum(waits) / n if n else float("nan"),
        "mean_wait_se": se,
        "p_wait": sum(1 for w in waits if w > 1e-9) / n if n else float("nan"),
    }


def span_stats(starts: list[float], ends: list[float]) -> dict:
    """Return the makespan (last end, from t=0), total RUNNING time and longest runtime, in s."""
    runtimes = [e - s for s, e in zip(starts, ends, strict=True)]
    return {
        "makespan_s": max(ends, default=0.0),
        "work_s": math.fsum(runtimes),
        "max_runtime_s": max(runtimes, default=0.0),
    }


def case_handwritten(shape: Shape, n: int, seed: int, profile: bool) -> dict:
    """Time the hand-written SimPy twin of ``shape`` on ``n`` jobs."""
    from handwritten import run_backlog, run_mmc

    if shape.twin == "backlog":
        call = lambda: run_backlog(n, shape.slots, shape.mean_service, seed)  # noqa: E731
    else:
        call = lambda: run_mmc(n, shape.slots, shape.rate, shape.mean_service, seed)  # noqa: E731
    rss_before = current_rss_mib()
    (arrival, start, end), wall, cpu = timed(call, profile)
    out = {"wall_s": wall, "cpu_s": cpu, "rss_before_mib": rss_before, "jobs_done": n}
    out["completed"] = sum(1 for e in end if e > 0)
    out.update(wait_stats([s - a for a, s in zip(arrival, start, strict=True)]))
    out.update(span_stats(start, end))
    return out


def scenario_of(shape: Shape, n: int):
    """Return the validated scenario of ``shape`` for ``n`` jobs and its job count."""
    import yaml

    from batchsim.scenario.schema import Scenario

    workload = shape.build(n, shape)
    return Scenario.model_validate(yaml.safe_load(workload.yaml)), workload.jobs


def case_engine(shape: Shape, n: int, seed: int, profile: bool) -> dict:
    """Time ``batchsim.engine.simulation.run_engine`` on ``shape``: records as plain tuples."""
    from batchsim.engine.recorder import ATTEMPT_FIELDS, CAPACITY_FIELDS
    from batchsim.engine.simulation import JOB_FIELDS, run_engine

    scenario, jobs = scenario_of(shape, n)
    rss_before = current_rss_mib()
    run, wall, cpu = timed(lambda: run_engine(scenario, seed), profile)
    col = {name: JOB_FIELDS.index(name) for name in JOB_FIELDS}
    rows = [row for row in run.jobs if row[col["arraySize"]] is None]  # children, not parents
    out = {"wall_s": wall, "cpu_s": cpu, "rss_before_mib": rss_before, "jobs_done": jobs}
    out["completed"] = sum(1 for row in rows if row[col["status"]] == "SUCCEEDED")
    out["ended"] = sum(1 for row in rows if row[col["status"]] in ("SUCCEEDED", "FAILED"))
    ran = [row for row in rows if row[col["startingAt"]] is not None]
    out.update(wait_stats([row[col["startingAt"]] - row[col["runnableAt"]] for row in ran]))
    out.update(span_stats([row[col["startedAt"]] for row in ran], [row[col["stoppedAt"]] for row in ran]))  # fmt: skip
    out["instances"] = len(run.instances)
    desired, outcome = CAPACITY_FIELDS.index("desiredvCpus"), ATTEMPT_FIELDS.index("outcome")
    out["max_desired_vcpus"] = max((row[desired] for row in run.capacity), default=0)
    out["interruptions"] = sum(1 for row in run.attempts if row[outcome] == "spot_interrupted")
    out["share_mean_wait_s"] = share_waits(rows, col)
    return out


def share_waits(rows: list[tuple], col: dict) -> dict:
    """Return the mean queue wait in s of each workload entry (a share in shape h)."""
    waits: dict[str, list[float]] = {}
    for row in rows:
        if row[col["startingAt"]] is not None:
            waits.setdefault(row[col["workload"]], []).append(
                row[col["startingAt"]] - row[col["runnableAt"]]
            )
    return {k: math.fsum(v) / len(v) for k, v in waits.items()} if len(waits) <= 8 else {}


def case_full(shape: Shape, n: int, seed: int, profile: bool) -> dict:
    """Time ``batchsim.simulate`` on ``shape``: the engine plus DataFrames and the summary."""
    import batchsim

    scenario, jobs = scenario_of(shape, n)
    rss_before = current_rss_mib()
    result, wall, cpu = timed(lambda: batchsim.simulate(scenario, seed), profile)
    summary, frame = result.summary, result.jobs
    frame = frame[frame["arraySize"].isna()]
    out = {"wall_s": wall, "cpu_s": cpu, "rss_before_mib": rss_before, "jobs_done": jobs}
    out["engine_s"] = result.wall_time_s
    out["completed"] = int((frame["status"] == "SUCCEEDED").sum())
    out["ended"] = int(frame["status"].isin(["SUCCEEDED", "FAILED"]).sum())
    ran = frame[frame["startingAt"].notna()]
    out.update(wait_stats((ran["startingAt"] - ran["runnableAt"]).tolist()))  # arrival order
    out.update(span_stats(ran["startedAt"].tolist(), ran["stoppedAt"].tolist()))
    out["instances"] = summary["instances_launched"]
    out["interruptions"] = summary["interruptions"]
    return out


CASE_FUNCS = {
    "simpy-handwritten": case_handwritten,
    "batchsim-engine": case_engine,
    "batchsim-full": case_full,
}

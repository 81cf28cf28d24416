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
    """Time ``batchsim.engine.simulation.run_engine`` on ``shape``: records as columns."""
    import numpy as np

    from batchsim.engine.simulation import run_engine

    scenario, jobs = scenario_of(shape, n)
    rss_before = current_rss_mib()
    run, wall, cpu = timed(lambda: run_engine(scenario, seed), profile)
    columns = run.jobs  # batchsim.records.JOB, one NumPy array per column
    children = np.isnan(columns["arraySize"].astype(float))  # children, not array parents
    status = columns["status"][children]
    out = {"wall_s": wall, "cpu_s": cpu, "rss_before_mib": rss_before, "jobs_done": jobs}
    out["completed"] = int((status == "SUCCEEDED").sum())
    out["ended"] = int(((status == "SUCCEEDED") | (status == "FAILED")).sum())
    starting = columns["startingAt"][children].astype(float)
    ran = ~np.isnan(starting)
    waits = (starting - columns["runnableAt"][children].astype(float))[ran]
    out.update(wait_stats(waits.tolist()))
    started = columns["startedAt"][children].astype(float)[ran]
    stopped = columns["stoppedAt"][children].astype(float)[ran]
    out.update(span_stats(started.tolist(), stopped.tolist()))
    out["instances"] = len(run.instances["instanceId"])
    out["max_desired_vcpus"] = float(max(run.capacity["desiredvCpus"], default=0))
    out["interruptions"] = int((run.attempts["outcome"] == "spot_interrupted").sum())
    workload = columns["workload"][children][ran]
    out["share_mean_wait_s"] = share_waits(workload.tolist(), waits.tolist())
    return out


def share_waits(entries: list[str], waits: list[float]) -> dict:
    """Return the mean queue wait in s of each workload entry (a share in shape h)."""
    by_entry: dict[str, list[float]] = {}
    for entry, wait in zip(entries, waits, strict=True):
        by_entry.setdefault(entry, []).append(wait)
    return {k: math.fsum(v) / len(v) for k, v in by_entry.items()} if len(by_entry) <= 8 else {}


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

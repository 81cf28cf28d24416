"""batchsim against a hand-written SimPy M/M/c model, on the same Poisson workload.

    python benchmarks/run.py                      # 10k, 100k, 1M jobs; 3 repeats; all cases
    python benchmarks/run.py --quick              # 10k and 100k only
    python benchmarks/run.py --case batchsim-engine --jobs 100000 [--profile]   # one case

Every (case, N, repeat) runs in a fresh interpreter, so its peak RSS is its own; repeats
interleave the cases so machine noise hits all of them. Only the simulation is timed (not
imports, not YAML parsing, not the checks afterwards). Results: a Markdown table on stdout and
``benchmarks/results/latest.json``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # use the checkout's batchsim even when it is not installed

CASES = ("simpy-handwritten", "batchsim-engine", "batchsim-full")
BASELINE = "simpy-handwritten"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
RESULT_TAG = "BENCH-RESULT "
GIB = 1024.0
BATCHES = 20  # batch means for the standard error of the mean wait

SCENARIO = """\
name: bench-mmc
simulation: {{seed: 1}}
computeEnvironments:
  - computeEnvironmentName: fixed
    computeResources:
      type: EC2
      allocationStrategy: BEST_FIT_PROGRESSIVE
      minvCpus: {capacity}
      maxvCpus: {capacity}
      instanceTypes: [c5.large]
    simulation: {{minvCpusReadyAtStart: true, bootTime: 0s}}
jobQueues:
  - jobQueueName: q
    computeEnvironmentOrder: [{{order: 1, computeEnvironment: fixed}}]
jobDefinitions:
  - jobDefinitionName: unit
    containerProperties:
      resourceRequirements: [{{type: VCPU, value: "1"}}, {{type: MEMORY, value: "256"}}]
    simulation: {{runtime: {{exponential: {{mean: {mean}}}}}, startTime: 0s, imagePullTime: 0s}}
workload:
  - name: stream
    submit: {{jobName: unit, jobQueue: q, jobDefinition: unit}}
    arrivals: {{poisson: {{rate: {rate}}}, count: {jobs}}}
"""
# c5.large has 2 vCPUs: capacity vCPUs = capacity/2 instances = capacity one-vCPU slots.
# bootTime is irrelevant (the floor is ready at t=0); it is spelled out so the scenario does not
# depend on how the schema fills in that default. The rate is per second, as a plain number.


def decimal(value: float) -> str:
    """Return ``value`` as a plain decimal YAML reads as a float (never ``1e-05``, a string)."""
    text = f"{value:.17f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


# ------------------------------------------------------------------------------------ theory
def erlang_c_wait(c: int, rate: float, mean_service: float) -> tuple[float, float]:
    """Return (P(wait), mean queue wait in s) of an M/M/c queue, from Erlang C."""
    a = rate * mean_service  # offered load in servers
    if a >= c:
        return 1.0, math.inf
    b = 1.0  # Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    p_wait = c * b / (c - a * (1.0 - b))
    return p_wait, p_wait * mean_service / (c - a)


# ------------------------------------------------------------------------------------ one case
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


def peak_rss_mib() -> float:
    """Return this process's peak resident set size, in MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _timed(fn, profile: bool):
    """Run ``fn()``; return (its result, wall s, CPU s), printing a cProfile if asked."""
    if not profile:
        cpu, started = time.process_time(), time.perf_counter()
        result = fn()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        return result, wall, cpu
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    cpu, started = time.process_time(), time.perf_counter()
    result = profiler.runcall(fn)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(25)
    return result, wall, cpu


def _wait_stats(waits) -> dict:
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


def case_handwritten(args, profile: bool) -> dict:
    from handwritten import run_mmc

    rss_before = current_rss_mib()
    (arrival, start, end), wall, cpu = _timed(
        lambda: run_mmc(args.jobs, args.capacity, args.rate, args.mean_service, args.seed), profile
    )
    out = {"wall_s": wall, "cpu_s": cpu, "rss_before_mib": rss_before}
    out["completed"] = sum(1 for e in end if e > 0)
    out.update(_wait_stats([s - a for a, s in zip(arrival, start, strict=True)]))
    out["sim_end_s"] = max(end)
    return out


def _scenario(args):
    import yaml

    from batchsim.scenario.schema import Scenario

    text = SCENARIO.format(
        capacity=args.capacity,
        mean=decimal(args.mean_service),
        rate=decimal(args.rate),
        jobs=args.jobs,
    )
    return Scenario.model_validate(yaml.safe_load(text))


def case_engine(args, profile: bool) -> dict:
    from batchsim.engine.simulation import run_engine

    scenario = _scenario(args)
    rss_before = current_rss_mib()
    run, wall, cpu = _timed(lambda: run_engine(scenario, args.seed), profile)
    jobs = run.jobs  # columns (batchsim.records.JOB)
    out = {"wall_s": wall, "cpu_s": cpu, "rss_before_mib": rss_before}
    out["completed"] = int((jobs["status"] == "SUCCEEDED").sum())
    out.update(_wait_stats((jobs["startingAt"] - jobs["runnableAt"]).tolist()))
    out["sim_end_s"] = run.end_at
    out["instances"] = len(run.instances["instanceId"])
    out["instance_vcpus"] = int(run.instances["vcpus"].sum())
    return out


def case_full(args, profile: bool) -> dict:
    import batchsim

    scenario = _scenario(args)
    rss_before = current_rss_mib()
    result, wall, cpu = _timed(lambda: batchsim.simulate(scenario, args.seed), profile)
    summary, jobs = result.summary, result.jobs
    out = {"wall_s": wall, "cpu_s": cpu, "engine_s": result.wall_time_s}
    out["rss_before_mib"] = rss_before
    out["completed"] = summary["jobs_by_status"]["SUCCEEDED"]
    out.update(_wait_stats((jobs["startingAt"] - jobs["runnableAt"]).tolist()))  # arrival order
    out["summary_mean_wait_s"] = summary["queue_wait_s"]["mean"]
    out["sim_end_s"] = summary["end_of_run_s"]
    out["instances"] = summary["instances_launched"]
    return out


CASE_FUNCS = {
    "simpy-handwritten": case_handwritten,
    "batchsim-engine": case_engine,
    "batchsim-full": case_full,
}


def run_one_case(args) -> None:
    """Worker mode: run one case in this process and print its result as one JSON line."""
    out = CASE_FUNCS[args.case](args, args.profile)
    out.update(
        case=args.case,
        jobs=args.jobs,
        seed=args.seed,
        jobs_per_s=args.jobs / out["wall_s"],
        jobs_per_cpu_s=args.jobs / out["cpu_s"],
        peak_rss_mib=peak_rss_mib(),
    )
    print(RESULT_TAG + json.dumps(out), flush=True)


# ------------------------------------------------------------------------------------ driver
def spawn(case: str, jobs: int, seed: int, args) -> dict:
    """Run one case in a fresh interpreter and return its result."""
    command = [
        sys.executable, str(Path(__file__).resolve()), "--case", case, "--jobs", str(jobs),
        "--seed", str(seed), "--capacity", str(args.capacity), "--load", str(args.load),
        "--mean-service", str(args.mean_service),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG) :])
            result["loadavg_1m_after"] = os.getloadavg()[0]  # how busy the (shared) machine was
            return result
    raise RuntimeError(f"{case} N={jobs} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")


def machine_info() -> dict:
    """Return what the numbers depend on: CPU, cores, Python and library versions, commit."""
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu": platform.processor() or None,
    }
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            info["cpu"] = next(
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    from importlib.metadata import PackageNotFoundError, version

    for package in ("simpy", "numpy", "pandas", "pydantic"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "batchsim"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        info["batchsim_modified_since_commit"] = bool(changed.strip())
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = None
    info["loadavg"] = os.getloadavg()
    return info


def summarize(runs: list[dict], sizes, cases, theory: dict) -> dict:
    """Return medians per (case, N), ratios against the baseline, scaling and checks."""
    table = {}
    for n in sizes:
        for case in cases:
            rows = [r for r in runs if r["case"] == case and r["jobs"] == n]
            if not rows:
                continue
            table[f"{case}@{n}"] = {
                "case": case,
                "jobs": n,
                "repeats": len(rows),
                "wall_s": statistics.median(r["wall_s"] for r in rows),
                "jobs_per_s": statistics.median(r["jobs_per_s"] for r in rows),
                "jobs_per_s_min": min(r["jobs_per_s"] for r in rows),
                "jobs_per_s_max": max(r["jobs_per_s"] for r in rows),
                "cpu_s": statistics.median(r["cpu_s"] for r in rows),
                "jobs_per_cpu_s": statistics.median(r["jobs_per_cpu_s"] for r in rows),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in rows),
                "rss_before_mib": statistics.median(r["rss_before_mib"] for r in rows),
                "mean_wait_s": statistics.fmean(r["mean_wait_s"] for r in rows),
                "mean_wait_se": math.sqrt(sum(r["mean_wait_se"] ** 2 for r in rows)) / len(rows),
                "p_wait": statistics.fmean(r["p_wait"] for r in rows),
                "all_completed": all(r["completed"] == n for r in rows),
            }
    summary = {
        "table": table,
        "ratio_vs_handwritten": {},
        "scaling_largest_vs_smallest": {},
        "cpu_scaling_largest_vs_smallest": {},
        "checks": [],
    }
    for row in table.values():
        base = table.get(f"{BASELINE}@{row['jobs']}")
        row["ratio_vs_handwritten"] = row["jobs_per_s"] / base["jobs_per_s"] if base else None
        row["cpu_ratio_vs_handwritten"] = (
            row["jobs_per_cpu_s"] / base["jobs_per_cpu_s"] if base else None
        )
        row["wait_rel_error"] = row["mean_wait_s"] / theory["mean_wait_s"] - 1.0
        if row["case"] != BASELINE and base:
            summary["ratio_vs_handwritten"].setdefault(row["case"], {})[str(row["jobs"])] = row[
                "ratio_vs_handwritten"
            ]
    small, large = min(sizes), max(sizes)
    for case in cases:
        lo, hi = table.get(f"{case}@{small}"), table.get(f"{case}@{large}")
        if lo and hi and large > small:
            summary["scaling_largest_vs_smallest"][case] = hi["jobs_per_s"] / lo["jobs_per_s"]
            summary["cpu_scaling_largest_vs_smallest"][case] = (
                hi["jobs_per_cpu_s"] / lo["jobs_per_cpu_s"]
            )
    summary["checks"] = checks(table, summary, sizes, theory)
    return summary


def checks(table: dict, summary: dict, sizes, theory: dict) -> list[dict]:
    """Return the issue's targets and the M/M/c sanity check, each with pass/fail."""
    out = []
    for n in sizes:
        ratio = summary["ratio_vs_handwritten"].get("batchsim-engine", {}).get(str(n))
        if ratio is not None:
            out.append(
                {
                    "check": f"engine/handwritten jobs/s at N={n} >= 1.0",
                    "value": ratio,
                    "ok": ratio >= 1.0,
                }
            )
    scaling = summary["scaling_largest_vs_smallest"].get("batchsim-engine")
    if scaling is not None:
        label = f"engine jobs/s at N={max(sizes)} within 30% of N={min(sizes)}"
        out.append({"check": label, "value": scaling, "ok": scaling >= 0.7})
    for case in ("batchsim-engine", "batchsim-full"):
        row = table.get(f"{case}@{1_000_000}")
        if row:
            label = f"{case} peak RSS at 1M <= 2 GiB"
            out.append(
                {"check": label, "value": row["peak_rss_mib"], "ok": row["peak_rss_mib"] <= 2 * GIB}
            )
    for n in sizes:
        if n < 100_000:
            continue
        base = table.get(f"{BASELINE}@{n}")
        for case in ("batchsim-engine", "batchsim-full"):
            row = table.get(f"{case}@{n}")
            if base and row:
                gap = row["mean_wait_s"] - base["mean_wait_s"]
                se = math.hypot(row["mean_wait_se"], base["mean_wait_se"])
                label = (
                    f"mean wait {case} vs handwritten at N={n}: {gap / base['mean_wait_s']:+.1%}, "
                    f"within 3 standard errors (±{3 * se / base['mean_wait_s']:.1%}); z ="
                )
                out.append({"check": label, "value": gap / se, "ok": abs(gap) <= 3 * se})
        for case in (BASELINE, "batchsim-engine", "batchsim-full"):
            row = table.get(f"{case}@{n}")
            if row:
                gap = row["mean_wait_s"] - theory["mean_wait_s"]
                label = (
                    f"mean wait {case} vs Erlang C at N={n}: {gap / theory['mean_wait_s']:+.1%}, "
                    f"within 3 standard errors (±{3 * row['mean_wait_se'] / theory['mean_wait_s']:.1%}); z ="
                )
                out.append(
                    {
                        "check": label,
                        "value": gap / row["mean_wait_se"],
                        "ok": abs(gap) <= 3 * row["mean_wait_se"],
                    }
                )
    for key, row in table.items():
        if not row["all_completed"]:
            out.append({"check": f"{key}: every job SUCCEEDED", "value": None, "ok": False})
    return out


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def markdown(summary: dict, theory: dict, info: dict, args) -> str:
    """Return the results as Markdown: the table, ratios, scaling, checks."""
    lines = [
        f"M/M/c: c={args.capacity}, load ρ={args.load}, mean service {args.mean_service:g} s, "
        f"arrival rate {args.rate:.6g}/s; medians of {args.repeats} repeats, fresh process each "
        "(wall time is the target; CPU time is shown because it is less disturbed on a busy machine).",
        f"Machine: {info.get('cpu')}, {info.get('cpu_count')} cores, Python {info['python']}, "
        f"SimPy {info.get('simpy')}, commit {info.get('commit')}.",
        "",
        "| case | jobs | wall s | jobs/s | min–max jobs/s | × hand-written | CPU s | jobs/CPU-s "
        "| × hand (CPU) | peak RSS MiB | RSS before MiB | mean wait s (±95%) | vs Erlang C |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["table"].values():
        lines.append(
            f"| {row['case']} | {row['jobs']:,} | {row['wall_s']:.2f} | {row['jobs_per_s']:,.0f} | "
            f"{row['jobs_per_s_min']:,.0f}–{row['jobs_per_s_max']:,.0f} | "
            f"{_ratio(row['ratio_vs_handwritten'])} | {row['cpu_s']:.2f} | {row['jobs_per_cpu_s']:,.0f} | "
            f"{_ratio(row['cpu_ratio_vs_handwritten'])} | "
            f"{row['peak_rss_mib']:,.0f} | {row['rss_before_mib']:,.0f} | "
            f"{row['mean_wait_s']:.4g} ± {1.96 * row['mean_wait_se']:.2g} | {row['wait_rel_error']:+.1%} |"
        )
    lines += [
        "",
        f"Erlang C: P(wait) = {theory['p_wait']:.4f}, mean queue wait = {theory['mean_wait_s']:.4f} s.",
        "",
    ]
    for case, value in summary["scaling_largest_vs_smallest"].items():
        cpu = summary["cpu_scaling_largest_vs_smallest"][case]
        lines.append(
            f"- scaling {case}: jobs/s at largest N ÷ jobs/s at smallest N = {value:.2f} "
            f"(by CPU time {cpu:.2f})"
        )
    lines.append("")
    for check in summary["checks"]:
        value = check["value"]
        shown = (
            "" if value is None else f" ({value:.3f})" if abs(value) < 100 else f" ({value:,.0f})"
        )
        lines.append(f"- [{'x' if check['ok'] else ' '}] {check['check']}{shown}")
    return "\n".join(lines)


def run_all(args) -> None:
    """Driver mode: every case × size × repeat in fresh interpreters; print and save results."""
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    cases = args.cases or CASES
    p_wait, mean_wait = erlang_c_wait(args.capacity, args.rate, args.mean_service)
    theory = {"p_wait": p_wait, "mean_wait_s": mean_wait}
    info = machine_info()
    runs = []
    for n in sizes:
        for repeat in range(args.repeats):
            order = (
                cases[repeat % len(cases) :] + cases[: repeat % len(cases)]
            )  # rotate who goes first
            for case in order:
                result = spawn(case, n, args.seed + repeat, args)
                result["repeat"] = repeat
                runs.append(result)
                print(
                    f"  {case:18s} N={n:>9,} rep {repeat}: {result['wall_s']:7.2f} s "
                    f"{result['jobs_per_s']:>9,.0f} jobs/s  peak {result['peak_rss_mib']:7,.0f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
    info["loadavg_end"] = os.getloadavg()
    summary = summarize(runs, sizes, list(cases), theory)
    report = markdown(summary, theory, info, args)
    print(report)
    params = {
        "capacity": args.capacity, "load": args.load, "mean_service_s": args.mean_service,
        "arrival_rate_per_s": args.rate, "sizes": list(sizes), "cases": list(cases),
        "repeats": args.repeats, "seed": args.seed,
    }  # fmt: skip
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": info,
        "params": params,
        "theory": theory,
        "summary": summary,
        "runs": runs,
        "markdown": report,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {output}", file=sys.stderr)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--case", choices=CASES, help="run only this case, in this process (worker mode)"
    )
    parser.add_argument(
        "--jobs", type=int, default=100_000, help="jobs for --case (default 100000)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="with --case: print a cProfile to stderr"
    )
    parser.add_argument(
        "--cases", type=lambda s: tuple(s.split(",")), help="comma-separated cases to run"
    )
    parser.add_argument(
        "--sizes", type=lambda s: tuple(int(float(x)) for x in s.split(",")), help="e.g. 1e4,1e5"
    )
    parser.add_argument("--quick", action="store_true", help="10k and 100k jobs only")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each case and size (default 3)"
    )
    parser.add_argument(
        "--capacity", type=int, default=64, help="one-vCPU slots, even (default 64)"
    )
    parser.add_argument("--load", type=float, default=0.85, help="utilisation ρ (default 0.85)")
    parser.add_argument(
        "--mean-service", type=float, default=60.0, help="mean runtime in s (default 60)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the first repeat (default 1)")
    parser.add_argument(
        "--output", default=str(HERE / "results" / "latest.json"), help="JSON output path"
    )
    args = parser.parse_args(argv)
    if args.capacity % 2:
        parser.error("--capacity must be even (c5.large instances have 2 vCPUs)")
    if args.cases and set(args.cases) - set(CASES):
        parser.error(f"--cases must be among {', '.join(CASES)}")
    # Both models use exactly the rate and mean written into the scenario.
    args.mean_service = float(decimal(args.mean_service))
    args.rate = float(decimal(args.load * args.capacity / args.mean_service))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.case:
        run_one_case(args)
    else:
        run_all(args)


if __name__ == "__main__":
    main()

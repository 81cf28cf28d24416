"""batchsim against hand-written SimPy models, on a suite of workload shapes.

    python benchmarks/run.py                                  # shapes a–h; 10k, 100k, 1M jobs
    python benchmarks/run.py --quick                          # shapes a–h; 10k and 100k only
    python benchmarks/run.py --shapes a,b,c,d --sizes 1e4,1e5,1e6 --repeats 3
    python benchmarks/run.py --case batchsim-engine --shape c --jobs 100000 [--profile]
    python benchmarks/run.py --shapes a,b,c,d --sizes 1e5 --pythonpath /tmp/batchsim-compiled

Every (shape, case, N, repeat) runs in a fresh interpreter, so its peak RSS is its own; repeats
interleave the cases so machine noise hits all of them. Only the simulation is timed (not
imports, not YAML parsing, not the checks afterwards). Results: a Markdown table on stdout and
``benchmarks/results/latest.json``. The shapes are in shapes.py; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
from measured_build import announce, describe, engine_compiled, select  # noqa: E402

# NOTE: before batchsim is imported below: the installed build, or a copy named by --pythonpath
PYTHONPATH = select(sys.argv)

from cases import CASE_FUNCS  # noqa: E402  (after the path set-up above)
from report import BASELINE, markdown, summarize, theory  # noqa: E402
from shapes import SHAPES, shape_with  # noqa: E402

CASES = tuple(CASE_FUNCS)
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
RESULT_TAG = "BENCH-RESULT "


def peak_rss_mib() -> float:
    """Return this process's peak resident set size, in MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def run_one_case(args) -> None:
    """Worker mode: run one case in this process and print its result as one JSON line."""
    shape = shape_with(args.shape, args.capacity, args.load, args.mean_service)
    out = CASE_FUNCS[args.case](shape, args.jobs, args.seed, args.profile)
    out.update(
        shape=args.shape,
        case=args.case,
        jobs=args.jobs,
        seed=args.seed,
        jobs_per_s=out["jobs_done"] / out["wall_s"],
        jobs_per_cpu_s=out["jobs_done"] / out["cpu_s"],
        peak_rss_mib=peak_rss_mib(),
        compiled=engine_compiled(),
    )
    print(RESULT_TAG + json.dumps(out), flush=True)


# ------------------------------------------------------------------------------------ driver
def spawn(shape: str, case: str, jobs: int, seed: int, args) -> dict:
    """Run one case in a fresh interpreter; return its result, or its error after a failure."""
    command = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--shape", shape,
               "--jobs", str(jobs), "--seed", str(seed)]  # fmt: skip
    for flag, value in (("--capacity", args.capacity), ("--load", args.load),
                        ("--mean-service", args.mean_service)):  # fmt: skip
        if value is not None:
            command += [flag, str(value)]
    if PYTHONPATH is not None:
        command += ["--pythonpath", PYTHONPATH]
    head = {"shape": shape, "case": case, "jobs": jobs, "seed": seed}
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=args.timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return head | {"error": f"timed out after {args.timeout:g} s"}
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG) :])
            result["loadavg_1m_after"] = os.getloadavg()[0]  # how busy the (shared) machine was
            return result
    return head | {"error": f"exit {done.returncode}: {done.stderr[-2000:]}"}


def machine_info() -> dict:
    """Return what the numbers depend on: CPU, cores, Python and library versions, commit."""
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "cpu": platform.processor() or None}  # fmt: skip
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
    info["commit"] = _git("rev-parse", "--short", "HEAD")
    info["pythonpath"] = PYTHONPATH  # a compiled copy, when one was measured
    info["compiled_engine"] = engine_compiled()
    changed = _git("status", "--porcelain", "--", "batchsim")
    info["batchsim_modified_since_commit"] = bool(changed) if changed is not None else None
    info["loadavg"] = os.getloadavg()
    return info


def _git(*argv: str) -> str | None:
    """Return git's stripped output in the checkout, or None if git is not available."""
    try:
        done = subprocess.run(["git", *argv], capture_output=True, text=True, cwd=ROOT, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def plan(args) -> list[tuple[int, str, int, str]]:
    """Return the (N, shape, repeat, case) runs in order: cases rotate who goes first."""
    runs = []
    for n in args.sizes:
        for key in args.shapes:
            cases = [c for c in args.cases if c != BASELINE or SHAPES[key].twin]
            for repeat in range(args.repeats):
                turn = repeat % len(cases)
                runs += [(n, key, repeat, case) for case in cases[turn:] + cases[:turn]]
    return runs


def run_all(args) -> None:
    """Driver mode: every shape × size × case × repeat in fresh interpreters; print and save."""
    info = machine_info()
    info["batchsim"] = describe()
    print(announce(), file=sys.stderr, flush=True)
    runs = []
    for n, key, repeat, case in plan(args):
        result = spawn(key, case, n, args.seed + repeat, args) | {"repeat": repeat}
        runs.append(result)
        shown = result.get("error") or (
            f"{result['wall_s']:7.2f} s {result['jobs_per_s']:>9,.0f} jobs/s  "
            f"peak {result['peak_rss_mib']:7,.0f} MiB"
        )
        print(f"  ({key}) {case:18s} N={n:>9,} rep {repeat}: {shown}", file=sys.stderr, flush=True)
    info["loadavg_end"] = os.getloadavg()
    save(runs, info, args)


def merge(args) -> None:
    """Rebuild the report from the runs of saved JSON files (e.g. a quick run and a 1M run)."""
    documents = [json.loads(Path(path).read_text()) for path in args.from_json]
    runs = [run for document in documents for run in document["runs"]]
    done = {_key(run) for run in runs if "error" not in run}
    runs = [run for run in runs if "error" not in run or _key(run) not in done]  # re-run since
    args.shapes = tuple(sorted({run["shape"] for run in runs}))
    args.sizes = tuple(sorted({run["jobs"] for run in runs}))
    args.repeats = max(run["repeat"] for run in runs) + 1
    info = documents[-1]["machine"] | {"merged_from": list(args.from_json)}
    save(runs, info, args)


def _key(run: dict) -> tuple:
    """Return what identifies a run: shape, case, N and seed."""
    return run["shape"], run["case"], run["jobs"], run["seed"]


def save(runs: list[dict], info: dict, args) -> None:
    """Summarize ``runs``, print the Markdown report and write the JSON document."""
    shapes = {k: shape_with(k, args.capacity, args.load, args.mean_service) for k in args.shapes}
    summary = summarize(runs, shapes)
    summary["failures"] = [
        f"({r['shape']}) {r['case']} N={r['jobs']:,} seed {r['seed']}: {r['error']}"
        for r in runs
        if "error" in r
    ]
    params = {"shapes": list(args.shapes), "sizes": list(args.sizes), "cases": list(args.cases),
              "repeats": args.repeats, "seed": args.seed, "timeout_s": args.timeout,
              "shape_params": {k: vars(s) | {"build": s.build.__name__, "rate": s.rate}
                               for k, s in shapes.items()},
              "theory": {k: theory(k, s) for k, s in shapes.items()}}  # fmt: skip
    report = markdown(summary, shapes, info, params)
    print(report)
    document = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": info,
                "params": params, "summary": summary, "runs": runs, "markdown": report}  # fmt: skip
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {output}", file=sys.stderr)


def _csv(kind):
    """Return an argparse type reading a comma-separated list of ``kind``."""
    return lambda text: tuple(kind(x) for x in text.split(",") if x)


def parse_args(argv=None):
    """Parse the command line; fill in the shapes, sizes and cases a run uses."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--shapes", type=_csv(str), help="comma-separated shapes, from a–h (default all)")
    add("--sizes", type=_csv(lambda x: int(float(x))), help="job counts, e.g. 1e4,1e5,1e6")
    add("--quick", action="store_true", help="10k and 100k jobs only")
    add("--cases", type=_csv(str), help=f"comma-separated cases among {', '.join(CASES)}")
    add("--repeats", type=int, default=3, help="runs of each case, shape and size (default 3)")
    add("--seed", type=int, default=1, help="seed of the first repeat (default 1)")
    add("--timeout", type=float, default=3600.0, help="s before one case is abandoned")
    add("--output", default=str(HERE / "results" / "latest.json"), help="JSON output path")
    add("--from-json", nargs="+", help="no runs: rebuild the report from these saved JSON files")
    add("--case", choices=CASES, help="run only this case, in this process (worker mode)")
    add("--shape", default="a", choices=sorted(SHAPES), help="with --case: the shape (default a)")
    add("--jobs", type=int, default=100_000, help="with --case: jobs (default 100000)")
    add("--profile", action="store_true", help="with --case: print a cProfile to stderr")
    add("--capacity", type=int, help="shape a: one-vCPU slots, even (default 64)")
    add("--load", type=float, help="shape a: utilisation ρ (default 0.85)")
    add("--mean-service", type=float, help="shape a: mean runtime in s (default 60)")
    add("--pythonpath", help="import batchsim from this folder first (e.g. a compiled copy)")
    args = parser.parse_args(argv)
    if args.capacity is not None and args.capacity % 2:
        parser.error("--capacity must be even (c5.large instances have 2 vCPUs)")
    args.shapes = args.shapes or tuple(SHAPES)
    if set(args.shapes) - set(SHAPES):
        parser.error(f"--shapes must be among {','.join(SHAPES)}")
    args.cases = args.cases or CASES
    if set(args.cases) - set(CASES):
        parser.error(f"--cases must be among {', '.join(CASES)}")
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    return args


def main(argv=None) -> None:
    """Run one case (``--case``) or the whole suite."""
    args = parse_args(argv)
    if args.case:
        run_one_case(args)
    elif args.from_json:
        merge(args)
    else:
        run_all(args)


if __name__ == "__main__":
    main()

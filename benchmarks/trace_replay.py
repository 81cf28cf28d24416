"""Full SWF traces replayed by batchsim against the independent strict FCFS reference.

    python benchmarks/trace_replay.py                      # KTH-SP2, HPC2N, SDSC-BLUE; 3 repeats
    python benchmarks/trace_replay.py --traces HPC2N --repeats 1
    python benchmarks/trace_replay.py --data /path/to/swf/folder

Each trace (from ``../shared/data`` beside the checkout, or ``--data``; skipped when absent) is
replayed on one UNMANAGED instance of P vCPUs (P = the trace's MaxProcs), one processor = one
vCPU, backfill off, no start or pull time, and compared with ``tests/fcfs_reference.py``:
makespan and mean wait must agree to the second. Each repeat runs in a fresh interpreter:

- ``simulate``: ``load_scenario`` (reads the trace) + ``simulate()``, in-process: wall time,
  CPU time (user + system of the process) and peak RSS;
- ``run``: ``python -m batchsim run FILE -o DIR --quiet`` timed from outside (every file written).

Results: a Markdown table on stdout (medians) and ``benchmarks/results/trace_replay.json``,
with the load average at the start, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(1, str(ROOT / "tests"))  # fcfs_reference.py
from measured_build import child_env, select  # noqa: E402

PYTHONPATH = select(sys.argv)  # NOTE: the installed batchsim, or --pythonpath DIR's

TRACES = {
    "KTH-SP2": ("KTH-SP2-1996-2.1-cln.swf.gz", 100),
    "HPC2N": ("HPC2N-2002-2.1-cln.swf.gz", 240),
    "SDSC-BLUE": ("SDSC-BLUE-2000-4.2-cln.swf.gz", 1152),
}
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TAG = "TRACE-RESULT "


def scenario_text(trace: Path, processors: int) -> str:
    """The fixed-cluster scenario of the exact check (``tests/fcfs_reference.py``), replaying
    ``trace``."""
    from fcfs_reference import fixed_cluster

    return fixed_cluster(processors, f"{{path: {trace}, format: swf}}")


def case_simulate(scenario: Path) -> dict:
    """Load (the trace read included) and simulate in this process."""
    import batchsim

    wall, cpu = time.perf_counter(), time.process_time()
    result = batchsim.simulate(batchsim.load_scenario(scenario))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    summary = result.summary
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "makespan_s": summary["makespan_s"],
        "mean_wait_s": summary["queue_wait_s"]["mean"],
        "jobs": next(iter(summary["traces"].values()))["submitted"],  # the one trace entry
    }


def case_run(scenario: Path) -> dict:
    """The whole command, from outside."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "batchsim", "run", str(scenario), "-o", out, "--quiet"],
            check=True, cwd=out, env=child_env(PYTHONPATH),
        )  # fmt: skip
        wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024.0,
    }


def in_child(case: str, scenario: Path) -> dict:
    """Run one case in a fresh interpreter and return its result."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", case, str(scenario)]
        + (["--pythonpath", PYTHONPATH] if PYTHONPATH else []),
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    line = next(line for line in done.stdout.splitlines() if line.startswith(TAG))
    return json.loads(line[len(TAG) :])


def reference(trace: Path, processors: int) -> dict:
    """The independent strict FCFS replay, timed."""
    from fcfs_reference import fcfs, swf_rows

    started = time.perf_counter()
    replay = fcfs(swf_rows(trace), processors)
    return {
        "makespan_s": replay.makespan_s,
        "mean_wait_s": replay.mean_wait_s,
        "jobs": replay.jobs,
        "skipped": replay.skipped,
        "wall_s": time.perf_counter() - started,
    }


def measure(name: str, trace: Path, processors: int, repeats: int, folder: Path) -> dict:
    """Every case of one trace, ``repeats`` times, and the reference once."""
    scenario = folder / f"{name}.yaml"
    scenario.write_text(scenario_text(trace, processors))
    runs: dict[str, list[dict]] = {"simulate": [], "run": []}
    for _ in range(repeats):
        for case in runs:
            runs[case].append(in_child(case, scenario))
    expected = reference(trace, processors)
    got = runs["simulate"][0]
    return {
        "trace": name,
        "processors": processors,
        "reference": expected,
        "batchsim": {k: got[k] for k in ("makespan_s", "mean_wait_s", "jobs")},
        "exact": got["makespan_s"] == expected["makespan_s"]
        and abs(got["mean_wait_s"] - expected["mean_wait_s"]) < 0.5
        and got["jobs"] == expected["jobs"],
        "median": {
            case: {
                k: statistics.median(r[k] for r in results)
                for k in ("wall_s", "cpu_s", "peak_rss_mib")
            }
            for case, results in runs.items()
        },
        "runs": runs,
    }


def table(rows: list[dict]) -> str:
    """The Markdown table of the results."""
    lines = [
        "| trace | jobs (skipped) | makespan s batchsim / reference | mean wait s batchsim / reference | exact | "
        "simulate wall / CPU s | run wall / CPU s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ref, got, med = row["reference"], row["batchsim"], row["median"]
        lines.append(
            f"| {row['trace']} | {got['jobs']} ({ref['skipped']}) | {got['makespan_s']:.0f} / {ref['makespan_s']:.0f} | "
            f"{got['mean_wait_s']:.3f} / {ref['mean_wait_s']:.3f} | {'yes' if row['exact'] else 'NO'} | "
            f"{med['simulate']['wall_s']:.2f} / {med['simulate']['cpu_s']:.2f} | "
            f"{med['run']['wall_s']:.2f} / {med['run']['cpu_s']:.2f} | {med['simulate']['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse the options, measure every trace present, print and save the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--traces", nargs="*", default=list(TRACES), choices=list(TRACES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--pythonpath", help="measure the batchsim in this folder (a built copy)")
    args = parser.parse_args()
    if args.child:
        case, scenario = args.child
        result = (case_simulate if case == "simulate" else case_run)(Path(scenario))
        print(TAG + json.dumps(result))
        return
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.traces:
            file, processors = TRACES[name]
            if not (args.data / file).exists():
                print(f"skipped {name}: {args.data / file} not found")
                continue
            rows.append(measure(name, args.data / file, processors, args.repeats, Path(folder)))
    print(
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs"
    )
    print(table(rows))
    out = HERE / "results" / "trace_replay.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"load_average": load, "results": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()

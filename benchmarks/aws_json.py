"""What ``jobs.json`` costs: ``simulate()`` and the output files with and without it, in CPU seconds.

    python benchmarks/aws_json.py                    # 100k jobs, 3 repeats, off/on interleaved
    python benchmarks/aws_json.py --jobs 1e6 --repeats 1
    python benchmarks/aws_json.py --pythonpath /tmp/copy   # a copy, not the installed batchsim

Shape (a) of benchmarks/shapes.py (as ``endtoend.py``). Each case runs in a fresh interpreter and
reports CPU seconds (``time.process_time``) of ``simulate()``, of ``RunResult.write`` (without
``events.jsonl``) and of ``jobs.json`` alone, wall seconds of both, the file's size and the peak
RSS. CPU seconds are reported because on the shared machine the wall time depends on the others'
load; they are what decides the run ÷ simulate ratio on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
from measured_build import select  # noqa: E402

PYTHONPATH = select(sys.argv)  # NOTE: the installed batchsim, or --pythonpath DIR's

TAG = "AWS-JSON-RESULT "


def one_case(jobs: int, aws: bool) -> dict:
    """Simulate shape (a) and write its outputs with or without jobs.json; return the timings."""
    from endtoend import scenario_text

    import batchsim
    from batchsim.results import writer
    from batchsim.scenario.loader import parse_scenario

    scenario = parse_scenario(scenario_text(jobs), "bench.yaml")
    cpu, wall = time.process_time(), time.perf_counter()
    result = batchsim.simulate(scenario)
    sim_cpu, sim_wall = time.process_time() - cpu, time.perf_counter() - wall
    spent = {"jobs_json_cpu": 0.0}
    original = writer.write_chunks

    def timed(path, chunks):
        started = time.process_time()
        out = original(path, chunks)
        spent["jobs_json_cpu"] = time.process_time() - started
        return out

    writer.write_chunks = timed
    with tempfile.TemporaryDirectory() as temp:
        cpu, wall = time.process_time(), time.perf_counter()
        result.write(Path(temp) / "out", events=False, aws_json=aws)
        write_cpu, write_wall = time.process_time() - cpu, time.perf_counter() - wall
        size = (Path(temp) / "out" / "jobs.json").stat().st_size if aws else 0
    return {
        "jobs": jobs, "aws": aws, "sim_cpu": sim_cpu, "write_cpu": write_cpu,
        "sim_wall": sim_wall, "write_wall": write_wall, "bytes": size,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **spent,
    }  # fmt: skip


def spawn(jobs: int, aws: bool) -> dict:
    """Run :func:`one_case` in a fresh interpreter."""
    command = [sys.executable, __file__, "--case", "on" if aws else "off", "--jobs", str(jobs)]
    command += ["--pythonpath", PYTHONPATH] if PYTHONPATH else []
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith(TAG))
    return json.loads(line[len(TAG) :])


def main() -> None:
    """Run the cases (interleaved per repeat) and print the medians as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=lambda s: int(float(s)), default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", choices=("off", "on"), help="run one case here")
    parser.add_argument("--pythonpath", help="measure the batchsim in this folder (a built copy)")
    args = parser.parse_args()
    if args.case:
        print(TAG + json.dumps(one_case(args.jobs, args.case == "on")), flush=True)
        return
    runs = [spawn(args.jobs, aws) for _ in range(args.repeats) for aws in (False, True)]
    print(
        "| jobs.json | simulate CPU s | write CPU s | jobs.json CPU s | (write+simulate) ÷ simulate | MB | peak RSS MiB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for aws in (False, True):
        mine = [r for r in runs if r["aws"] == aws]
        med = {
            k: statistics.median(r[k] for r in mine)
            for k in ("sim_cpu", "write_cpu", "jobs_json_cpu")
        }
        ratio = (med["sim_cpu"] + med["write_cpu"]) / med["sim_cpu"]
        print(f"| {'on' if aws else 'off'} | {med['sim_cpu']:.2f} | {med['write_cpu']:.2f} | "
              f"{med['jobs_json_cpu']:.2f} | {ratio:.2f} | {mine[0]['bytes'] / 1e6:,.0f} | "
              f"{max(r['peak_rss_mib'] for r in mine):,.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()

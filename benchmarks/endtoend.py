"""End to end: ``simulate()`` against the whole ``batchsim run`` command, files included.

    python benchmarks/endtoend.py                          # 10k, 100k, 1M jobs; 3 repeats
    python benchmarks/endtoend.py --sizes 1e5 --repeats 1  # one size, once
    python benchmarks/endtoend.py --run-args=--events      # pass flags to `batchsim run`
    python benchmarks/endtoend.py --case outputs --jobs 100000 [--profile]   # one case, here
    python benchmarks/endtoend.py --pythonpath /tmp/copy    # a copy built by pip install --target

The workload is shape (a) of benchmarks/shapes.py, the light M/M/c (c = 64, ρ = 0.85, mean 60 s). Cases, each
in a fresh interpreter, interleaved per repeat:

- ``simulate``: ``batchsim.simulate(scenario)`` timed in-process (the engine and DataFrames);
- ``run``: ``python -m batchsim run FILE -o DIR --quiet`` timed from outside (wall time of the
  whole command: start-up, YAML, simulation, every file), peak RSS of that child;
- ``outputs``: ``simulate()``, then ``write_outputs`` with each file's writer wrapped in a timer
  (the instrumentation lives here, not in the product), to see where the output time goes.

It measures the installed batchsim (``benchmarks/measured_build.py``: the compiled wheel after
``pip install .``), or the copy named by ``--pythonpath``. Results: a Markdown table on stdout
and ``benchmarks/results/endtoend.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
from measured_build import announce, child_env, describe, select  # noqa: E402
from shapes import SHAPES  # noqa: E402

# NOTE: before batchsim is imported: the installed build, or a copy named by --pythonpath
PYTHONPATH = select(sys.argv)

CASES = ("simulate", "run", "outputs")
RESULT_TAG = "E2E-RESULT "


def scenario_text(jobs: int) -> str:
    """Return shape (a), the light M/M/c of ``benchmarks/shapes.py``, for ``jobs`` jobs, as YAML."""
    light = SHAPES["a"]
    return light.build(jobs, light).yaml


def peak_rss_mib(who: int) -> float:
    """Return the peak RSS of this process or of its waited-for children (Linux KiB → MiB)."""
    return resource.getrusage(who).ru_maxrss / 1024.0


def case_simulate(scenario: Path, folder: Path, args) -> dict:
    """Time ``simulate()`` alone (the scenario is loaded before the timer)."""
    import batchsim

    loaded = batchsim.load_scenario(scenario)
    started = time.perf_counter()
    batchsim.simulate(loaded)
    return {"wall_s": time.perf_counter() - started, "peak_rss_mib": peak_rss_mib(0)}


def case_run(scenario: Path, folder: Path, args) -> dict:
    """Time the whole command the user types, in a child process (with ``--memory``, also the
    peak of the summed PSS of it and its forked writers, sampled every 20 ms)."""
    command = [sys.executable, "-m", "batchsim", "run", str(scenario), "-o", str(folder)]
    command += ["--quiet", *args.run_args]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=folder.parent, env=child_env(PYTHONPATH))  # fmt: skip
    sampler = PssSampler(child.pid) if args.memory else None
    _, stderr = child.communicate()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"batchsim run failed ({child.returncode}):\n{stderr[-3000:]}")
    sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    out = {"wall_s": wall, "peak_rss_mib": peak_rss_mib(resource.RUSAGE_CHILDREN), "bytes": sizes}
    if sampler is not None:
        out["peak_pss_sum_mib"] = sampler.stop()
    return out


class PssSampler:
    """Samples, in a thread, the proportional set size (PSS: shared pages split among their
    sharers) summed over a process and its descendants; keeps the peak. ``ru_maxrss`` is the
    largest single process, which undercounts a run whose writers are forked."""

    def __init__(self, root: int, interval_s: float = 0.02):
        self.root, self.interval_s, self.peak_kib = root, interval_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling; return the peak in MiB."""
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_kib = max(self.peak_kib, sum(map(_pss_kib, _family(self.root))))


def _family(root: int) -> list[int]:
    """``root`` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    family, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        family += frontier
    return family


def _pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)


def case_outputs(scenario: Path, folder: Path, args) -> dict:
    """``simulate()``, then ``write_outputs`` with every file writer timed."""
    import batchsim
    from batchsim.results import writer

    result = batchsim.simulate(batchsim.load_scenario(scenario))
    files: dict[str, float] = {}
    for name in ("write_csv", "write_events", "write_chunks", "write_png", "write_text"):
        original = getattr(writer, name)

        def timed(path, *rest, _original=original, **kw):
            started = time.perf_counter()
            out = _original(path, *rest, **kw)
            files[Path(path).name] = time.perf_counter() - started
            return out

        setattr(writer, name, timed)
    started = time.perf_counter()
    # NOTE: one worker, so that every file is written here, where its timer is
    _profiled(lambda: result.write(folder, events=args.events, workers=1), args.profile)
    total = time.perf_counter() - started
    return {"wall_s": total, "simulate_s": result.wall_time_s, "files_s": files}


def _profiled(fn, profile: bool) -> None:
    if not profile:
        fn()
        return
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(fn)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(30)


CASE_FUNCS = {"simulate": case_simulate, "run": case_run, "outputs": case_outputs}


def run_one_case(args) -> None:
    """Worker mode: run one case in this process; print its result as one JSON line."""
    with tempfile.TemporaryDirectory(prefix="batchsim-e2e-") as temp:
        scenario = Path(temp) / "bench.yaml"
        scenario.write_text(scenario_text(args.jobs))
        out = CASE_FUNCS[args.case](scenario, Path(temp) / "out", args)
    out.update(case=args.case, jobs=args.jobs)
    print(RESULT_TAG + json.dumps(out), flush=True)


def spawn(case: str, jobs: int, args) -> dict:
    """Run one case in a fresh interpreter and return its result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--jobs", str(jobs)]
    command += [f"--run-args={a}" for a in args.run_args]
    command += [] if args.events else ["--no-events"]
    command += ["--pythonpath", PYTHONPATH] if PYTHONPATH else []
    command += ["--memory"] if args.memory else []
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    raise RuntimeError(f"{case} N={jobs} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def summarize(runs: list[dict], sizes, cases) -> list[dict]:
    """Return one row of medians per (N, case), with run ÷ simulate."""
    rows = []
    for n in sizes:
        med = {}
        for case in cases:
            mine = [r for r in runs if r["jobs"] == n and r["case"] == case]
            if mine:
                med[case] = statistics.median(r["wall_s"] for r in mine)
                row = {"jobs": n, "case": case, "repeats": len(mine), "wall_s": med[case]}
                row["peak_rss_mib"] = max(r.get("peak_rss_mib", float("nan")) for r in mine)
                if case == "outputs":
                    names = mine[0]["files_s"]
                    row["files_s"] = {
                        k: statistics.median(r["files_s"][k] for r in mine) for k in names
                    }
                if case == "run":
                    row["bytes"] = mine[-1]["bytes"]
                    pss = [r["peak_pss_sum_mib"] for r in mine if "peak_pss_sum_mib" in r]
                    if pss:
                        row["peak_pss_sum_mib"] = max(pss)
                rows.append(row)
        if "run" in med and "simulate" in med:
            rows.append(
                {"jobs": n, "case": "run ÷ simulate", "ratio": med["run"] / med["simulate"]}
            )
    return rows


def table(rows: list[dict]) -> str:
    """Return the summary rows as Markdown."""
    lines = [
        "| jobs | case | wall s (median) | peak RSS MiB | detail |",
        "|---:|---|---:|---:|---|",
    ]
    for row in rows:
        if "ratio" in row:
            lines.append(f"| {row['jobs']:,} | **run ÷ simulate** | **{row['ratio']:.2f}** | | |")
            continue
        detail = ""
        if "files_s" in row:
            top = sorted(row["files_s"].items(), key=lambda kv: -kv[1])[:6]
            detail = ", ".join(f"{k} {v:.2f}" for k, v in top)
        if "bytes" in row:
            detail = f"{sum(row['bytes'].values()) / 1e6:,.1f} MB written"
            if "events.jsonl" in row["bytes"]:
                detail += f" (events.jsonl {row['bytes']['events.jsonl'] / 1e6:,.1f} MB)"
        if "peak_pss_sum_mib" in row:
            detail += f"; peak PSS, the command and its writer together: {row['peak_pss_sum_mib']:,.0f} MiB"
        rss = row["peak_rss_mib"]
        lines.append(
            f"| {row['jobs']:,} | {row['case']} | {row['wall_s']:.2f} | {rss:,.0f} | {detail} |"
        )
    return "\n".join(lines)


def run_all(args) -> None:
    """Every (repeat, N, case) in a fresh process; print the table, save the JSON."""
    print(announce(), file=sys.stderr, flush=True)
    runs = []
    for repeat in range(args.repeats):
        for n in args.sizes:
            for case in args.cases:
                result = spawn(case, n, args)
                print(f"repeat {repeat} N={n} {case}: {result['wall_s']:.2f} s", file=sys.stderr)
                runs.append(result)
    rows = summarize(runs, args.sizes, args.cases)
    print(table(rows))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    info = {"batchsim": describe(), "pythonpath": PYTHONPATH}
    output.write_text(
        json.dumps({"runs": runs, "summary": rows, "measured": info}, indent=2) + "\n"
    )


def parse_args(argv=None):
    """Return the command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", choices=CASES, help="run only this case, in this process")
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs for --case")
    parser.add_argument("--profile", action="store_true", help="outputs: cProfile to stderr")
    parser.add_argument(
        "--sizes",
        type=lambda s: tuple(int(float(x)) for x in s.split(",")),
        default=(10_000, 100_000, 1_000_000),
    )
    parser.add_argument("--cases", type=lambda s: tuple(s.split(",")), default=CASES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--run-args", action="append", default=[], help="extra flag for `batchsim run`"
    )
    parser.add_argument(
        "--no-events", dest="events", action="store_false", help="outputs: skip events"
    )
    parser.add_argument("--output", default=str(HERE / "results" / "endtoend.json"))
    parser.add_argument("--memory", action="store_true",
                        help="run: also sample the summed PSS of the command and its writers")  # fmt: skip
    parser.add_argument(
        "--pythonpath", help="measure the batchsim in this folder (e.g. a built copy)"
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Run one case (``--case``) or the whole benchmark."""
    args = parse_args(argv)
    if args.case:
        run_one_case(args)
    else:
        run_all(args)


if __name__ == "__main__":
    main()

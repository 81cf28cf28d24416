"""Time ``batchsim sweep`` on 200-run sweeps: 1 against 2 workers, or the process pool against
Dask, side by side, with the serial seconds of each command.

Runs the command a user types (``batchsim sweep …`` through ``batchsim.cli.main``, files
included), alternating the configurations so that load on a shared machine hits both alike,
and prints, per sweep, the median wall time of each configuration and their ratio, and the
load average before and after. Beside the wall time it prints the command's **serial** time,
outside the run phase (start-up, reading the scenario, statistics, plots, report.html): its
wall time, and the CPU time (user + system) of the command's own process in it, which load
on the machine barely changes.

Usage::

    python3 benchmarks/sweep_workers.py [repeats] [--quickstart] [--genomics] [--genomics10k]
                                        [--dask] [--replications N] [--repo DIR]
                                        [--against DIR] [--pythonpath DIR]
                                        [--against-pythonpath DIR]

With no sweep named, all three run: ``--quickstart`` (the 222-job quickstart over
``maxvCpus=32,64,128,256``), ``--genomics`` (the shipped 1,000-job ``genomics-array`` over
``maxvCpus=128,256,384,512``) and ``--genomics10k`` (the same at 10,000 jobs a run over
``maxvCpus=256,512,1024,2048``), each 4 points × 50 replications = 200 runs. ``repeats``
(default 3) is the number of runs of each configuration; ``--dask`` compares 2 pool workers
with a Dask LocalCluster of 2 (needs the dask extra); ``--replications N`` changes the 50;
``--repo DIR`` times the batchsim of another checkout (its own ``scenarios/``);
``--against DIR`` times each configuration in that checkout and this one, alternated (a before
and after under the same load); ``--pythonpath DIR`` imports batchsim from DIR (a copy installed
with ``pip install --target DIR .``, compiled engine and all, as users run it) with this
checkout's scenarios, and ``--against-pythonpath DIR`` alternates such a copy with it. Each
report names the batchsim it imported and its engine build. Python caches bytecode as the environment says: ``PYTHONDONTWRITEBYTECODE=1`` makes
every command compile batchsim's modules again (about 0.3 s more of start-up).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEPS = {
    "quickstart": ["scenarios/quickstart.yaml", "--vary", "maxvCpus=32,64,128,256"],
    "genomics": ["scenarios/genomics-array.yaml", "--vary", "maxvCpus=128,256,384,512"],
    "genomics10k": [
        "scenarios/genomics-array.yaml", "--set", "workload[0].submit.arrayProperties.size=10000",
        "--vary", "maxvCpus=256,512,1024,2048",
    ],
}  # fmt: skip
"""The sweeps, each 4 points; ``--replications 50`` (the default) makes 200 runs."""
WORKERS = {"1 worker": ["--workers", "1"], "2 workers": ["--workers", "2"]}
DASK = {
    "pool, 2 workers": ["--workers", "2"],
    "dask, 2 workers": ["--dask", "local", "--workers", "2"],
}
"""The configurations compared, each by its options: the first is the baseline."""
HARNESS = """
import json, os, sys, time
started = time.perf_counter()
import batchsim.cli as cli
import batchsim.sweeps.execute as execute
spans, plain = [], execute.run_tasks
def cpu():
    times = os.times()
    return times.user + times.system
def run_tasks(*args, **kwargs):
    begun, cpu_begun = time.perf_counter(), cpu()
    try:
        return plain(*args, **kwargs)
    finally:
        spans.append((time.perf_counter() - begun, cpu() - cpu_begun))
execute.run_tasks = run_tasks
sys.argv[0], sys.stdout = "batchsim", open(os.devnull, "w")
try:
    cli.main_entry()
except SystemExit as end:
    status = end.code
    from batchsim.api import engine_build  # after the command, so as not to load it early
    sys.stderr.write(json.dumps({"runs_s": sum(wall for wall, _ in spans),
                                 "serial_cpu_s": cpu() - sum(used for _, used in spans),
                                 "status": int(status or 0), "engine": engine_build(),
                                 "imported": os.path.dirname(os.path.dirname(cli.__file__))})
                     + "\\n")
    raise
"""
"""The command, run in-process with its run phase timed: ``batchsim sweep`` as ``python3 -m
batchsim`` runs it (through the console script's ``main_entry``, the interpreter's exit
included in the wall time), plus one JSON line on stderr: the run phase's wall time and this
process's CPU time outside it (the exit's not included)."""


Target = tuple[Path, Path | None]
"""Where a command runs: the checkout (its scenarios, and its batchsim unless the second) and
the folder batchsim is imported from instead (a ``pip install --target`` copy), or None."""
IMPORTED: dict[str, str] = {}
"""Each batchsim imported (its folder) and its engine build, as the commands reported them."""


def timed(argv: list[str], target: Target = (REPO, None)) -> tuple[float, float, float]:
    """Run ``batchsim`` with ``argv``; return its wall time, serial wall and serial CPU (s).

    The serial wall is the wall time outside the run phase, the interpreter's start included;
    the serial CPU is the command's own CPU time outside the run phase (not its workers').
    """
    repo, pythonpath = target
    command, env = [sys.executable, "-c", HARNESS, *argv], dict(os.environ)
    if pythonpath is not None:
        # NOTE: -P keeps the checkout (the working directory) off sys.path: the copy is imported
        command, env["PYTHONPATH"] = [sys.executable, "-P", *command[1:]], str(pythonpath)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    found = json.loads(done.stderr.strip().splitlines()[-1])
    IMPORTED[found["imported"]] = found["engine"]
    return wall, wall - found["runs_s"], found["serial_cpu_s"]


def measure(
    sweep: list[str], configurations: dict[str, tuple[list[str], Target]], repeats: int
) -> dict:
    """Return ``{configuration: [(wall, serial, cpu), …]}``, configurations alternated; each
    configuration is its options and where it runs (:data:`Target`)."""
    found: dict[str, list[tuple[float, float, float]]] = {name: [] for name in configurations}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(repeats):
            for number, (name, (options, repo)) in enumerate(configurations.items()):
                folder = str(Path(scratch) / str(number))
                found[name].append(timed(["sweep", *sweep, *options, "-q", "-o", folder], repo))
    return found


def report(title: str, found: dict) -> None:
    """Print each configuration's medians, each baseline's ratio to the configuration after it
    (1 worker / 2 workers) and, with two targets, each configuration's ratio between them."""
    print(f"{title}")
    medians = {}
    print("  imported: " + "; ".join(f"{path} ({build})" for path, build in IMPORTED.items()))
    IMPORTED.clear()
    for name, values in found.items():
        walls = [wall for wall, _, _ in values]
        medians[name] = statistics.median(walls)
        serial = statistics.median(s for _, s, _ in values)
        cpu = statistics.median(c for _, _, c in values)
        shown = ", ".join(f"{wall:.2f}" for wall in walls)
        print(f"  {name}: median {medians[name]:.2f} s ({shown}); "
              f"serial wall {serial:.2f} s, serial CPU {cpu:.2f} s")  # fmt: skip
    names = list(medians)
    for first, second in zip(names[::2], names[1::2], strict=True):
        print(f"  ratio ({first} / {second}): {medians[first] / medians[second]:.2f}x")
    if len(names) == 4:  # two targets: each configuration, the first target against the second
        for first, second in ((names[0], names[2]), (names[1], names[3])):
            print(f"  ratio ({first} / {second}): {medians[first] / medians[second]:.2f}x")


def load() -> str:
    """The load average now, as /proc/loadavg shows it (1, 5, 15 minutes)."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main(
    repeats: int = 3,
    configurations: dict[str, list[str]] = WORKERS,
    names: list[str] | None = None,
    replications: int = 50,
    repo: Target = (REPO, None),
    against: Target | None = None,
) -> None:
    """Measure every sweep of ``names`` (default: all) where ``repo`` says (:data:`Target`) and
    print its report with the load; with ``against`` (another target), every configuration in
    both, all four alternated, in one report."""
    targets = [repo] if against is None else [against, repo]
    group = {
        f"{_label(target)}, {name}" if against is not None else name: (options, target)
        for target in targets
        for name, options in configurations.items()
    }
    for name in names or list(SWEEPS):
        sweep = [*SWEEPS[name], "--replications", str(replications)]
        before = load()
        found = measure(sweep, group, repeats)
        report(f"{name}, {4 * replications} runs (load average before {before}, after {load()})",
               found)  # fmt: skip


def _label(target: Target) -> str:
    repo, pythonpath = target
    return str(pythonpath) if pythonpath is not None else str(repo)


def _path_after(args: list[str], option: str) -> Path | None:
    return Path(args[args.index(option) + 1]).resolve() if option in args else None


if __name__ == "__main__":
    args = sys.argv[1:]
    extra = args[args.index("--replications") :][:2] if "--replications" in args else []
    replications = int(extra[1]) if extra else 50
    numbers = [int(arg) for arg in args if arg.isdigit() and arg not in extra]
    chosen = [name for name in SWEEPS if f"--{name}" in args]
    repo = _path_after(args, "--repo") or REPO
    mine: Target = (repo, _path_after(args, "--pythonpath"))
    other = _path_after(args, "--against-pythonpath")
    against: Target | None = (repo, other) if other else None
    if "--against" in args:
        against = (_path_after(args, "--against") or REPO, None)
    configurations = DASK if "--dask" in args else WORKERS
    main(numbers[0] if numbers else 3, configurations, chosen, replications, mine, against)

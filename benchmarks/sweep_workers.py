"""Time ``batchsim sweep`` on a 200-run sweep: 1 against 2 workers, or the process pool against
Dask, side by side.

Runs the command a user types (``python3 -m batchsim sweep …``, files included), alternating
the configurations so that load on a shared machine hits both alike, and prints the median wall
time of each and their ratio. Usage: ``python3 benchmarks/sweep_workers.py [repeats]`` (1 and 2
workers) or ``python3 benchmarks/sweep_workers.py [repeats] --dask`` (2 pool workers against a
Dask LocalCluster of 2 workers, ``--dask local --workers 2``; needs the dask extra).
``--replications N`` changes the 50 replications per point (4 × N runs). ``--genomics`` sweeps
the shipped ``scenarios/genomics-array.yaml`` (1,000 jobs a run) over ``maxvCpus=128,256,384,512``
instead of the quickstart. The load average is printed before and after: on a shared machine
the figures are only comparable side by side.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = ["scenarios/quickstart.yaml", "--vary", "maxvCpus=32,64,128,256", "--replications", "50"]
"""4 points × 50 replications = 200 runs of the shipped quickstart scenario."""
GENOMICS = [
    "scenarios/genomics-array.yaml", "--vary", "maxvCpus=128,256,384,512", "--replications", "50",
]  # fmt: skip
"""4 points × 50 replications = 200 runs of the shipped genomics-array scenario (``--genomics``)."""
WORKERS = {"1 worker": ["--workers", "1"], "2 workers": ["--workers", "2"]}
DASK = {
    "pool, 2 workers": ["--workers", "2"],
    "dask, 2 workers": ["--dask", "local", "--workers", "2"],
}
"""The configurations compared, each by its options: the first is the baseline."""


def timed(options: list[str], folder: Path, sweep: list[str] = SWEEP) -> float:
    """Return the wall time (s) of one sweep run with ``options`` (they may replace ``sweep``'s)."""
    argv = [sys.executable, "-m", "batchsim", "sweep", *sweep, *options]
    started = time.perf_counter()
    subprocess.run([*argv, "-q", "-o", str(folder)], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def main(
    repeats: int = 3,
    configurations: dict[str, list[str]] = WORKERS,
    extra: list[str] | None = None,
    sweep: list[str] = SWEEP,
) -> None:
    """Print the median of ``repeats`` sweeps per configuration (each with the ``extra``
    options) and the baseline's ratio to the second (above 1: the second is faster)."""
    times: dict[str, list[float]] = {name: [] for name in configurations}
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(repeats):
            for number, (name, options) in enumerate(configurations.items()):
                folder = Path(scratch) / str(number)
                times[name].append(timed([*options, *(extra or [])], folder, sweep))
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        shown = ", ".join(f"{value:.2f}" for value in values)
        print(f"{name}: median {medians[name]:.2f} s  ({shown})")
    first, second = medians.values()
    print(f"ratio (first / second): {first / second:.2f}x")


if __name__ == "__main__":
    args = sys.argv[1:]
    extra = args[args.index("--replications") :][:2] if "--replications" in args else []
    repeats = [int(arg) for arg in args if arg.isdigit() and arg not in extra]
    sweep = GENOMICS if "--genomics" in args else SWEEP
    main(repeats[0] if repeats else 3, DASK if "--dask" in args else WORKERS, extra, sweep)

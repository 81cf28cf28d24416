"""Time ``batchsim sweep`` on a 200-run sweep with 1 and 2 workers, side by side.

Runs the command a user types (``python3 -m batchsim sweep …``, files included), alternating
the worker counts so that load on a shared machine hits both alike, and prints the median wall
time of each and the speed-up. Usage: ``python3 benchmarks/sweep_workers.py [repeats]``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = ["scenarios/quickstart.yaml", "--vary", "maxvCpus=32,64,128,256", "--replications", "50"]
"""4 points × 50 replications = 200 runs of the shipped quickstart scenario."""


def timed(workers: int, folder: Path) -> float:
    """Return the wall time (s) of one sweep with ``workers`` processes."""
    argv = [sys.executable, "-m", "batchsim", "sweep", *SWEEP, "--workers", str(workers)]
    started = time.perf_counter()
    subprocess.run([*argv, "-q", "-o", str(folder)], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def main(repeats: int = 3) -> None:
    """Print the median of ``repeats`` sweeps per worker count and the speed-up."""
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(repeats):
            for workers in times:
                times[workers].append(timed(workers, Path(scratch) / f"w{workers}"))
    medians = {workers: statistics.median(values) for workers, values in times.items()}
    for workers, values in times.items():
        shown = ", ".join(f"{value:.2f}" for value in values)
        print(f"{workers} worker(s): median {medians[workers]:.2f} s  ({shown})")
    print(f"speed-up: {medians[1] / medians[2]:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)

"""A seeded mutation fuzzer over the shipped scenarios, through the CLI in-process.

Each mutant is a shipped scenario with one to three random changes (a value swapped for a
hostile one, a key renamed, deleted or added, a list item duplicated, a line dropped or
broken). It is validated; when valid and small it is run. The promise under test: every case
exits 0, or exits 2 naming a YAML line, or 4 (a valid mutant whose jobs can never run, e.g. a
memory no type has); never 1, never 3 (an internal error), never a traceback, never a hang (a
per-case time limit)::

    python3 -m tests.fuzz --mutants 2000              # the long run (about 10 minutes)
    python3 -m tests.fuzz --mutants 200 --seed 7 -v   # another sample, each case listed

The suite runs a short sample (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import copy
import io
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the checkout's batchsim, even when another is installed

from batchsim.cli import main  # noqa: E402
from batchsim.scenario.estimate import estimate_size  # noqa: E402
from batchsim.scenario.loader import parse_scenario  # noqa: E402

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
HOSTILE = (
    -1, 0, 1, 2.5, 10**12, 1e308, float("nan"), "", "abc", "90x", "-5s", "1e9/s", "8TB",
    None, True, [], {}, [1, 2], {"x": 1}, "rate(1 minutes)", "cron(0 2 * * ?)", "\0",
    "../../x", "a" * 300, "c5.larg", "BEST_FIT", "SPOT", 10001, "0-", "1d", "30/h",
)  # fmt: skip
RUN_CAP_JOBS = 3000
"""Valid mutants estimated above this many jobs are validated only (a run would be slow)."""


class CaseTimeout(BaseException):
    """A case ran past its time limit (a hang, for the fuzzer's purpose)."""


@dataclass
class Tally:
    """Outcomes of a fuzzing session: counts by kind and the cases that broke the promise."""

    outcomes: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def report(self) -> str:
        """One line of counts, then each failure."""
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(self.outcomes.items()))
        return "\n".join([counts, *self.failures])


# ----------------------------------------------------------------------------- mutations
def _containers(data: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every (path, dict-or-list) in ``data``, the root included."""
    found = [(path, data)]
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        if isinstance(value, dict | list):
            found += _containers(value, (*path, key))
    return found


def _replace_value(rng: random.Random, node: Any) -> None:
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    if keys:
        node[rng.choice(keys)] = copy.deepcopy(rng.choice(HOSTILE))


def _delete(rng: random.Random, node: Any) -> None:
    if node:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        del node[key]


def _rename_key(rng: random.Random, node: Any) -> None:
    if isinstance(node, dict) and node:
        key = rng.choice(list(node))
        cut = rng.randrange(len(str(key)) or 1)
        node[str(key)[:cut] + str(key)[cut + 1 :]] = node.pop(key)


def _add_key(rng: random.Random, node: Any) -> None:
    if isinstance(node, dict):
        node[rng.choice(["extra", "count", "until", "size", "name", "schedule"])] = rng.choice(
            HOSTILE
        )
    elif node:
        node.append(copy.deepcopy(rng.choice(node)))  # a duplicated list item


MUTATIONS = (_replace_value, _replace_value, _delete, _rename_key, _add_key)


def _text_mutation(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(lines))
    kind = rng.randrange(3)
    if kind == 0:
        del lines[at]
    elif kind == 1:
        lines.insert(at, lines[at])
    else:
        lines[at] = lines[at][:-1] + rng.choice([" [", ": {", "\t", " &a", " *b", " '"]) + "\n"
    return "".join(lines)


def mutant(rng: random.Random) -> tuple[str, str]:
    """Return (label, YAML text) of one mutant of a shipped scenario."""
    source = rng.choice(SCENARIOS)
    text = source.read_text()
    if rng.random() < 0.2:
        return f"{source.stem}:text", _text_mutation(rng, text)
    data = yaml.safe_load(text)
    for _ in range(rng.randint(1, 3)):
        _path, node = rng.choice(_containers(data))
        rng.choice(MUTATIONS)(rng, node)
    return f"{source.stem}:data", yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# ----------------------------------------------------------------------------- one case
def _alarm(_signum, _frame) -> None:
    raise CaseTimeout()


def run_case(path: Path, folder: Path, timeout_s: float, run_cap: int = RUN_CAP_JOBS) -> tuple:
    """Validate ``path`` and, when valid and small, run it. Return (outcome, problem or None)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        status, err = _cli("validate", str(path))
        if status == 0 and _jobs(path) <= run_cap:
            status, err = _cli("run", str(path), "-o", str(folder), "--no-events", "--replace")
            outcome = f"ran:{status}"
        else:
            outcome = f"validate:{status}" + (":large" if status == 0 else "")
    except CaseTimeout:
        return "hang", f"no answer within {timeout_s:g} s"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return outcome, _broken_promise(status, err)


def _jobs(path: Path) -> float:
    return estimate_size(parse_scenario(path.read_text())).jobs


def _cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    return int(main(list(argv), io.StringIO(), err)), err.getvalue()


def _broken_promise(status: int, err: str) -> str | None:
    if "Traceback" in err:
        return f"exit {status} with a traceback"
    if status not in (0, 2, 4):
        return f"exit {status}: {err.strip()[:300]}"
    if status == 2 and "(line " not in err and "too large for this machine" not in err:
        return f"exit 2 without a line: {err.strip()[:300]}"
    return None


# ----------------------------------------------------------------------------- session
def fuzz(
    mutants: int,
    seed: int,
    timeout_s: float,
    verbose: bool = False,
    run_cap: int = RUN_CAP_JOBS,
    fresh_every: int = 0,
) -> Tally:
    """Run ``mutants`` cases from ``seed`` (valid ones of at most ``run_cap`` jobs are run);
    return the tally. ``fresh_every > 0`` runs the cases in a child process replaced after that
    many cases (an in-process run keeps a few MB alive, which adds up over thousands)."""
    rng, tally = random.Random(seed), Tally()
    with tempfile.TemporaryDirectory() as work, _worker(fresh_every) as submit:
        for number in range(mutants):
            label, text = mutant(rng)
            outcome, problem = submit(_case, text, work, timeout_s, run_cap)
            tally.outcomes[outcome] += 1
            if problem is not None:
                kept = Path(work).parent / f"batchsim-fuzz-{seed}-{number}.yaml"
                kept.write_text(text)
                tally.failures.append(f"case {number} ({label}, kept in {kept}): {problem}")
            if verbose:
                print(f"{number:5d} {label:40s} {outcome}", flush=True)
    return tally


def _case(text: str, work: str, timeout_s: float, run_cap: int) -> tuple:
    path = Path(work) / f"mutant-{os.getpid()}.yaml"
    path.write_text(text)
    return run_case(path, Path(work) / f"out-{os.getpid()}", timeout_s, run_cap)


@contextmanager
def _worker(fresh_every: int) -> Iterator[Callable]:
    """Yield ``submit(fn, *args)``: in this process, or in a child replaced every few cases."""
    if fresh_every <= 0:
        yield lambda fn, *args: fn(*args)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=fresh_every) as pool:
        yield lambda fn, *args: pool.submit(fn, *args).result()


def main_fuzz(argv: list[str] | None = None) -> int:
    """Command line of the long run; exit 1 if any case broke the promise."""
    parser = argparse.ArgumentParser(prog="python3 -m tests.fuzz", description=__doc__)
    parser.add_argument("--mutants", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case")
    parser.add_argument("--fresh-every", type=int, default=25, help="cases per child process")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tally = fuzz(args.mutants, args.seed, args.timeout, args.verbose, fresh_every=args.fresh_every)
    print(f"{args.mutants} mutants (seed {args.seed}) in {time.perf_counter() - started:.0f} s")
    print(tally.report())
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main_fuzz())

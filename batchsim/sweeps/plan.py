"""``batchsim plan``: the cheapest configuration of a sweep's grid that meets every target with
the stated confidence, found with far fewer runs than the whole grid.

The points are a sweep's (:class:`~batchsim.sweeps.spec.SweepSpec`); runs go through the sweep's
executors and rows (:func:`~batchsim.sweeps.runner.run_task`, ``runs.csv``), replication r on
seed S + r at every point. The decision per point is :mod:`batchsim.sweeps.decide`'s.

The search, in rounds (every round's runs go to the executor at once):

1. **Coarse pass**: the first ``coarse`` replications at every point.
2. **Bisection** on the *ordered* parameter (the swept ``…maxvCpus``, by value) within each
   combination of the other parameters, assuming P(meet) never falls as it grows (more vCPUs
   never lengthen the makespan or the waits). A point decided "meets" settles every larger
   value, "fails" every smaller one. The first probe is the smallest undecided value whose runs
   so far all met the targets; later probes halve the interval left.
3. **Cost check** above the boundary: a larger value whose coarse mean cost is below the
   boundary's is evaluated in full too; the others are assumed to cost at least the boundary
   (more capacity adds boot and idle time, never work).
4. **Downward check** below it, once steps 2 and 3 want nothing more: a value only *assumed*
   to fail (its own runs leave it undecided) whose coarse mean cost is below the answer's
   (every such value when nothing meets) is evaluated in full too, because P(meet) can dip: a
   larger value may be unlucky on a few seeds where a smaller one is not. An evaluated value
   that meets may become the answer and move the boundary, so steps 3 and 4 repeat until
   nothing is left to check.

A point under evaluation gets 1, 1, 2, 4, … more runs per round (doubling what it has) until
its decision is fixed. The answer is the point of lowest mean cost among those decided
"meets", each of which ran every replication, so its cost is the grid's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from statistics import mean

from batchsim.sweeps.decide import decided, meets
from batchsim.sweeps.execute import run_tasks
from batchsim.sweeps.runner import OK, Executor, Outcome, PlanProgress, Task
from batchsim.sweeps.spec import Point, SweepSpec, assignments
from batchsim.sweeps.table import TARGET_COLUMNS, run_row

COARSE = 2
"""Replications per point in the coarse pass."""
ORDERED_KEY = "maxvCpus"
"""The swept path ending in this key is the ordered parameter the bisection runs along."""


def run_meets(row: dict, limits: dict[str, float]) -> bool:
    """Whether one run ended ok and met every target of ``limits`` (name → limit)."""
    if row["status"] != OK:
        return False
    values = [(row[TARGET_COLUMNS[name]], limit) for name, limit in limits.items()]
    return all(value is not None and value <= limit for value, limit in values)


@dataclass
class PointRuns:
    """One point of the grid: its values, its position on the ordered axis and its runs."""

    index: int
    point: Point
    rows: list[dict] = field(default_factory=list)

    def met(self, limits: dict[str, float]) -> int:
        """How many of its runs met every target."""
        return sum(run_meets(row, limits) for row in self.rows)

    def mean_cost(self, runs: int | None = None) -> float | None:
        """Mean total cost (USD) of its first ``runs`` ok runs (all when None)."""
        costs = [r["total_cost_usd"] for r in self.rows[:runs] if r["status"] == OK]
        return mean(costs) if costs else None


@dataclass
class Combination:
    """The points of one combination of the other parameters, by ordered value ascending."""

    points: list[int]
    lo: int = 0
    hi: int = -1
    checked: bool = False

    def __post_init__(self) -> None:
        self.hi = len(self.points) if self.hi < 0 else self.hi


def ordered_factor(spec: SweepSpec) -> int | None:
    """Return the index of the factor the bisection runs along, or None (every point alone)."""
    found = [
        i
        for i, factor in enumerate(spec.factors)
        if len(factor.paths) == 1
        and factor.paths[0].rsplit(".", 1)[-1] == ORDERED_KEY
        and all(isinstance(v, int | float) and not isinstance(v, bool) for (v,) in factor.levels)
    ]
    return found[0] if len(found) == 1 else None


def combinations(spec: SweepSpec) -> list[Combination]:
    """Group the grid's point indices by the values of every factor but the ordered one."""
    axis = ordered_factor(spec)
    groups: dict[tuple, list[tuple[float, int]]] = {}
    shape = [range(len(factor.levels)) for factor in spec.factors]
    for index, levels in enumerate(itertools.product(*shape)):
        if axis is None:
            groups[(index,)] = [(0.0, index)]
            continue
        key = levels[:axis] + levels[axis + 1 :]
        groups.setdefault(key, []).append((spec.factors[axis].levels[levels[axis]][0], index))
    return [Combination([index for _, index in sorted(group)]) for group in groups.values()]


class Plan:
    """The search over one spec: its points, their runs and decisions, and the answer.

    ``confidence`` is the P(meet) to show (see :mod:`batchsim.sweeps.decide`); the spec's
    ``replications`` is the most runs a point gets, and its targets are the constraints.
    Call :meth:`search` (adaptive) or :meth:`exhaustive` (every point, every replication).
    ``resumed`` (run number → row, an earlier plan's ``runs.csv``) serves the runs it holds
    instead of the executor; ``progress`` is told each round's size and redrawn as runs end.
    ``runs`` counts the runs the search used, ``ran`` those made now.
    """

    def __init__(
        self,
        spec: SweepSpec,
        confidence: float,
        coarse: int = COARSE,
        resumed: dict[int, dict] | None = None,
        progress: PlanProgress | None = None,
    ):
        self.spec, self.confidence = spec, confidence
        self.coarse = min(coarse, spec.replications)
        self.limits = spec.targets.named()
        self.points = [PointRuns(index, point) for index, point in enumerate(spec.points())]
        self.combinations = combinations(spec)
        self.decisions: dict[int, bool] = {}
        self.runs = 0
        self.ran = 0
        self.resumed = resumed or {}
        self.progress = progress
        self._round: tuple[list[tuple[int, int]], dict[int, dict]] = ([], {})

    # ------------------------------------------------------------------ running
    def _extend(self, executor: Executor, totals: dict[int, int]) -> None:
        """Run each point up to ``totals[index]`` replications, all in one executor call.

        A run in ``resumed`` (run number → row, an earlier plan's) is taken from there, so a
        resumed plan makes the same search with fewer runs.
        """
        size, seeds = self.spec.replications, self.spec.seeds
        wanted = [
            (i, r)
            for i, total in sorted(totals.items())
            for r in range(len(self.points[i].rows), total)
        ]
        tasks = [
            Task(self.spec.scenario_text, self.spec.source,
                 (*self.spec.overrides, *assignments(self.points[i].point)), seeds[r])
            for i, r in wanted
        ]  # fmt: skip
        found = {
            n: self.resumed[i * size + r]
            for n, (i, r) in enumerate(wanted)
            if i * size + r in self.resumed
        }
        self._round = (wanted, found)
        progress = self.progress.round(len(wanted) - len(found)) if self.progress else None

        def row_of(n: int, outcome: Outcome) -> dict:
            i, r = wanted[n]
            return run_row(i, self.points[i].point, r, seeds[r], outcome)

        self.ran += run_tasks(tasks, executor, row_of, found, progress, warm=("scipy.stats",))
        for n, (i, _) in enumerate(wanted):  # NOTE: replication order, whatever finished first
            self.points[i].rows.append(found[n])
        self._round = ([], {})
        self.runs += len(wanted)

    def finished(self) -> dict[int, dict]:
        """Every run made so far, by run number (point × replications + replication), the
        round under way included: what an interrupted plan keeps for ``--resume``."""
        size = self.spec.replications
        rows = {p.index * size + r: row for p in self.points for r, row in enumerate(p.rows)}
        wanted, found = self._round
        return rows | {wanted[n][0] * size + wanted[n][1]: row for n, row in found.items()}

    def decision(self, index: int) -> bool | None:
        """Return the point's decision at full replications if its runs so far fix it."""
        if index not in self.decisions:
            point, total = self.points[index], self.spec.replications
            found = decided(point.met(self.limits), len(point.rows), total, self.confidence)
            if found is not None:
                self.decisions[index] = found
        return self.decisions.get(index)

    def exhaustive(self, executor: Executor) -> Plan:
        """Run every point at every replication and decide each from all its runs."""
        total = self.spec.replications
        self._extend(executor, {index: total for index in range(len(self.points))})
        for point in self.points:
            self.decisions[point.index] = meets(point.met(self.limits), total, self.confidence)
        return self

    def search(self, executor: Executor) -> Plan:
        """Run the adaptive search (module docstring) until no point needs another run."""
        self._extend(executor, {index: self.coarse for index in range(len(self.points))})
        while wanted := self._wanted():
            size = self.spec.replications
            self._extend(
                executor, {i: min(size, 2 * len(self.points[i].rows) or 1) for i in wanted}
            )
        return self

    # ------------------------------------------------------------------ the search
    def _wanted(self) -> list[int]:
        wanted = {i for combination in self.combinations for i in self._wants(combination)}
        size = self.spec.replications
        wanted |= {
            i for i, met in self.decisions.items() if met and len(self.points[i].rows) < size
        }
        return sorted(wanted) if wanted else self._downward_checks()

    def _downward_checks(self) -> list[int]:
        """The points only assumed to fail (below a failing value) whose own runs leave them
        undecided and whose coarse mean cost is below the answer's (all of them without one).

        NOTE: step 4 of the search, asked only once the others want nothing: the answer is then
        the search's, and a dip in P(meet) (a larger value unlucky where a smaller one is not)
        must not hide a cheaper configuration that meets. Evaluating one may change the answer,
        so the search asks again until no such point is left.
        """
        answer = self.answer
        limit = answer.mean_cost(self.coarse) if answer is not None else None
        below = [i for c in self.combinations for i in c.points[: c.hi] if self.decision(i) is None]
        costs = [(i, self.points[i].mean_cost(self.coarse)) for i in below]
        return sorted(
            i for i, cost in costs if limit is None or (cost is not None and cost < limit)
        )

    def _wants(self, combination: Combination) -> list[int]:
        if not combination.checked:
            probe = self._probe(combination)
            if probe is not None:
                return [probe]
            combination.checked = True
        return [i for i in self._cost_checks(combination) if self.decision(i) is None]

    def _narrow(self, combination: Combination) -> None:
        decisions = [self.decision(index) for index in combination.points]
        for rank, found in enumerate(decisions):
            if found is True:
                combination.hi = min(combination.hi, rank)
        for rank, found in enumerate(decisions[: combination.hi]):
            if found is False:
                combination.lo = max(combination.lo, rank + 1)

    def _probe(self, combination: Combination) -> int | None:
        self._narrow(combination)
        lo, hi = combination.lo, combination.hi
        if lo >= hi:
            return None
        clean = [
            rank
            for rank in range(lo, hi)
            if self.points[combination.points[rank]].met(self.limits)
            == len(self.points[combination.points[rank]].rows)
        ]
        return combination.points[clean[0] if clean else (lo + hi) // 2]

    def _cost_checks(self, combination: Combination) -> list[int]:
        """The points above the boundary whose coarse mean cost is below the boundary's."""
        if combination.hi >= len(combination.points):
            return []
        base = self.points[combination.points[combination.hi]].mean_cost(self.coarse)
        above = combination.points[combination.hi + 1 :]
        costs = [(i, self.points[i].mean_cost(self.coarse)) for i in above]
        return [i for i, cost in costs if base is not None and cost is not None and cost < base]

    # ------------------------------------------------------------------ the answer
    def status(self, index: int) -> str:
        """How the point was settled: "meets" / "fails" (decided from its runs), "assumed
        meets" / "assumed fails" (from the ordered parameter), or "not evaluated"."""
        if index in self.decisions:
            return "meets" if self.decisions[index] else "fails"
        for combination in self.combinations:
            if index in combination.points:
                rank = combination.points.index(index)
                return "assumed fails" if rank < combination.hi else "assumed meets"
        return "not evaluated"

    def met_points(self) -> list[PointRuns]:
        """The points decided "meets", cheapest first (mean cost of all their runs; ties by index)."""
        found = [self.points[i] for i, met in self.decisions.items() if met]
        return sorted(found, key=lambda p: (p.mean_cost() or float("inf"), p.index))

    @property
    def answer(self) -> PointRuns | None:
        """The cheapest point that meets every target with the confidence, or None."""
        met = self.met_points()
        return met[0] if met else None

    def cheaper_failures(self) -> list[PointRuns]:
        """Points decided "fails" whose mean cost (of the runs made) is below the answer's."""
        limit = self.answer.mean_cost() if self.answer is not None else float("inf")
        failed = [self.points[i] for i, met in self.decisions.items() if not met]
        cheaper = [p for p in failed if (p.mean_cost() or float("inf")) < (limit or 0.0)]
        return sorted(cheaper, key=lambda p: (p.mean_cost() or 0.0, p.index))

    def rows(self) -> list[dict]:
        """Every run made, by point then replication (the rows of runs.csv)."""
        return [row for point in self.points for row in point.rows]

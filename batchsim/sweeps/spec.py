"""The sweep spec: the scenario, the parameters that vary, the points and the seeds.

Points are the cartesian product of the factors, the first factor varying slowest, unless
``latin`` asks for N points of a Latin hypercube (``scipy.stats.qmc.LatinHypercube``, seeded
with the sweep's ``seed``) over the factors. A factor is one path (``vary``) or several that
move together (``zip``: their i-th values form level i).

Seed rule (common random numbers): replication r (0-based) runs on seed ``seed + r`` at every
point, so the runs of replication r at two points see the same arrivals and runtimes and their
difference is paired, as in ``batchsim compare``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import yaml

from batchsim.sweeps.values import Span, value_text

Point = tuple[tuple[str, Any], ...]
"""One point of a sweep: (path, value) for every swept path, in factor order."""


@dataclass(frozen=True)
class Factor:
    """Scenario paths that move together and their values.

    ``levels`` holds one tuple per level with one value per path; a single-path factor may
    instead carry a ``span`` (a continuous range, for Latin sampling only).
    """

    paths: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...] = ()
    span: Span | None = None

    def at(self, fraction: float) -> tuple[Any, ...]:
        """Return the values of this factor at ``fraction`` (in [0, 1)) of its range or levels."""
        if self.span is not None:
            return (self.span.at(fraction),)
        return self.levels[min(int(fraction * len(self.levels)), len(self.levels) - 1)]

    def yaml_values(self) -> dict[str, Any]:
        """Return path → values as a resolved sweep file writes them."""
        if self.span is not None:
            return {self.paths[0]: self.span.text()}
        return {path: [level[i] for level in self.levels] for i, path in enumerate(self.paths)}


@dataclass(frozen=True)
class Targets:
    """The targets whose probability of being met each point reports; None where not set.

    ``deadline_s`` bounds the makespan, ``max_wait_p95_s`` the p95 queue wait (seconds),
    ``budget_usd`` the total cost.
    """

    deadline_s: float | None = None
    max_wait_p95_s: float | None = None
    budget_usd: float | None = None

    def named(self) -> dict[str, float]:
        """Return the set targets by their sweep-file names (deadline, maxWaitP95, budget)."""
        pairs = (
            ("deadline", self.deadline_s),
            ("maxWaitP95", self.max_wait_p95_s),
            ("budget", self.budget_usd),
        )
        return {name: value for name, value in pairs if value is not None}


@dataclass(frozen=True)
class SweepSpec:
    """A resolved sweep: the scenario text, its overrides, the factors, seeds and targets.

    ``scenario_text`` is the scenario file's content (the output folder keeps a copy, so a sweep
    reruns even if the file changes); ``source`` names it in messages; ``overrides`` are
    ``PATH=VALUE`` assignments applied at every point before the point's own.
    """

    scenario_text: str
    source: str
    factors: tuple[Factor, ...]
    replications: int = 10
    seed: int = 1
    latin: int | None = None
    overrides: tuple[str, ...] = ()
    targets: Targets = field(default_factory=Targets)

    @property
    def seeds(self) -> list[int]:
        """The seed of each replication: ``seed + r``, the same at every point."""
        return [self.seed + replication for replication in range(self.replications)]

    @property
    def paths(self) -> list[str]:
        """Every swept path, in factor order (the parameter columns of the outputs)."""
        return [path for factor in self.factors for path in factor.paths]

    def points(self) -> list[Point]:
        """Return the points: the grid, or ``latin`` Latin hypercube draws."""
        if self.latin is not None:
            return [self._point(row) for row in self._latin_levels()]
        grid = itertools.product(*(factor.levels for factor in self.factors))
        return [self._point(levels) for levels in grid]

    def _latin_levels(self) -> list[tuple[tuple[Any, ...], ...]]:
        from scipy.stats import qmc  # NOTE: late import; workers never load scipy

        draws = qmc.LatinHypercube(d=len(self.factors), rng=self.seed).random(self.latin or 0)
        return [
            tuple(factor.at(float(u)) for factor, u in zip(self.factors, row, strict=True))
            for row in draws
        ]

    def _point(self, levels: tuple[tuple[Any, ...], ...]) -> Point:
        return tuple(
            (path, value)
            for factor, level in zip(self.factors, levels, strict=True)
            for path, value in zip(factor.paths, level, strict=True)
        )

    def to_yaml(self, scenario_file: str = "scenario.yaml") -> str:
        """Return the resolved spec as a sweep file whose ``scenario`` is ``scenario_file``.

        Ranges with a step appear expanded, so the file reads as the list of values swept.
        """
        data: dict[str, Any] = {"scenario": scenario_file}
        if self.overrides:
            data["set"] = list(self.overrides)
        data["vary"] = {
            k: v for f in self.factors if len(f.paths) == 1 for k, v in f.yaml_values().items()
        }
        zips = [f.yaml_values() for f in self.factors if len(f.paths) > 1]
        if zips:
            data["zip"] = zips
        if self.latin is not None:
            data["sample"] = {"latin": self.latin}
        data |= {"replications": self.replications, "seed": self.seed}
        if self.targets.named():
            data["targets"] = self.targets.named()
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def assignments(point: Point) -> tuple[str, ...]:
    """Return the ``PATH=VALUE`` overrides that make ``point``."""
    return tuple(f"{path}={value_text(value)}" for path, value in point)

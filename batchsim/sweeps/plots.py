"""Plots of a sweep's points: cost against makespan with the Pareto front, a two-parameter heat map.

Each function takes the rows of ``points.csv`` (dicts, as ``SweepResult.point_rows`` gives
them) and returns a matplotlib Figure (built without pyplot, as :mod:`batchsim.results.plots`).
No pandas: a sweep writes its folder without importing it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

Points = Sequence[Mapping[str, Any]]
"""The rows of ``points.csv``."""

FILENAMES = {"cost_makespan": "cost_vs_makespan.png", "heatmap": "heatmap.png"}
"""File name of each sweep figure."""


def pareto_front(makespan: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Return a mask of the points no other point beats: none has a makespan and a cost both
    at most theirs with one strictly lower. NaN points are never on the front."""
    valid = ~(np.isnan(makespan) | np.isnan(cost))
    front = valid.copy()
    for i in np.flatnonzero(valid):
        no_worse = (makespan[valid] <= makespan[i]) & (cost[valid] <= cost[i])
        better = (makespan[valid] < makespan[i]) | (cost[valid] < cost[i])
        front[i] = not np.any(no_worse & better)
    return front


def _column(points: Points, column: str) -> np.ndarray:
    """One column of the rows as floats, NaN where a point has no value (no run finished)."""
    return np.array([math.nan if row[column] is None else row[column] for row in points], float)


def cost_makespan_figure(points: Points) -> Figure:
    """Mean total cost against mean makespan per point, 95 % CIs as error bars, the Pareto
    front (cheapest for its makespan) joined and labelled by point number."""
    figure = Figure(figsize=(7.0, 5.0), layout="constrained")
    ax = figure.subplots()
    makespan = _column(points, "makespan_s.mean") / 3600.0
    cost = _column(points, "total_cost_usd.mean")
    x_err = np.nan_to_num(_column(points, "makespan_s.ci95") / 3600.0)
    y_err = np.nan_to_num(_column(points, "total_cost_usd.ci95"))
    ax.errorbar(
        makespan,
        cost,
        xerr=x_err,
        yerr=y_err,
        fmt="o",
        color="0.55",
        capsize=3,
        label="point (95 % CI)",
    )
    front = pareto_front(makespan, cost)
    order = np.argsort(makespan[front])
    ax.plot(makespan[front][order], cost[front][order], "o-", color="C3", label="Pareto front")
    for number, x, y in zip((row["point"] for row in points), makespan, cost, strict=True):
        if not (np.isnan(x) or np.isnan(y)):
            ax.annotate(str(number), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("makespan, mean (h)")
    ax.set_ylabel("total cost, mean (USD)")
    ax.set_title("Cost against makespan per point")
    ax.legend(loc="best")
    return figure


def grid(points: Points, x: str, y: str, column: str) -> tuple[list, list, np.ndarray]:
    """Return the values of ``x`` and of ``y`` in order of first appearance and the table of
    ``column`` over them (a row per ``y`` value, NaN where no point or no value)."""
    xs = list(dict.fromkeys(row[x] for row in points))
    ys = list(dict.fromkeys(row[y] for row in points))
    table = np.full((len(ys), len(xs)), math.nan)
    for row, value in zip(points, _column(points, column), strict=True):
        table[ys.index(row[y]), xs.index(row[x])] = value
    return xs, ys, table


def heatmap_figure(points: Points, x: str, y: str) -> Figure:
    """Heat maps of mean makespan and mean cost over the grid of parameters ``x`` and ``y``."""
    figure = Figure(figsize=(11.0, 4.5), layout="constrained")
    for ax, (column, title, scale) in zip(
        figure.subplots(1, 2),
        (
            ("makespan_s.mean", "makespan, mean (h)", 3600.0),
            ("total_cost_usd.mean", "total cost, mean (USD)", 1.0),
        ),
        strict=True,
    ):
        xs, ys, table = grid(points, x, y, column)
        image = ax.imshow(table / scale, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(xs)), [str(c) for c in xs], rotation=45)
        ax.set_yticks(range(len(ys)), [str(i) for i in ys])
        ax.set_xlabel(_short(x))
        ax.set_ylabel(_short(y))
        ax.set_title(title)
        figure.colorbar(image, ax=ax)
    return figure


def _short(path: str) -> str:
    """The last key of a path: the axis label of ``…computeResources.maxvCpus`` is maxvCpus."""
    return path.rsplit(".", 1)[-1]

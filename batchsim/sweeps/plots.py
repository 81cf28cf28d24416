"""Plots of a sweep's points: cost against makespan with the Pareto front, a two-parameter heat map.

Each function takes the ``points.csv`` DataFrame and returns a matplotlib Figure (built
without pyplot, as :mod:`batchsim.results.plots`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

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


def _hours(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float, na_value=np.nan) / 3600.0


def cost_makespan_figure(points: pd.DataFrame) -> Figure:
    """Mean total cost against mean makespan per point, 95 % CIs as error bars, the Pareto
    front (cheapest for its makespan) joined and labelled by point number."""
    figure = Figure(figsize=(7.0, 5.0), layout="constrained")
    ax = figure.subplots()
    makespan, cost = (
        _hours(points, "makespan_s.mean"),
        points["total_cost_usd.mean"].to_numpy(dtype=float, na_value=np.nan),
    )
    x_err = np.nan_to_num(_hours(points, "makespan_s.ci95"))
    y_err = np.nan_to_num(points["total_cost_usd.ci95"].to_numpy(dtype=float, na_value=np.nan))
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
    for number, x, y in zip(points["point"], makespan, cost, strict=True):
        if not (np.isnan(x) or np.isnan(y)):
            ax.annotate(str(number), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("makespan, mean (h)")
    ax.set_ylabel("total cost, mean (USD)")
    ax.set_title("Cost against makespan per point")
    ax.legend(loc="best")
    return figure


def heatmap_figure(points: pd.DataFrame, x: str, y: str) -> Figure:
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
        table = (
            points.pivot_table(index=y, columns=x, values=column, sort=False, dropna=False) / scale
        )
        image = ax.imshow(
            table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis"
        )
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], rotation=45)
        ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
        ax.set_xlabel(_short(x))
        ax.set_ylabel(_short(y))
        ax.set_title(title)
        figure.colorbar(image, ax=ax)
    return figure


def _short(path: str) -> str:
    """The last key of a path: the axis label of ``…computeResources.maxvCpus`` is maxvCpus."""
    return path.rsplit(".", 1)[-1]

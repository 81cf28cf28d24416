"""Plots of a run's tables: each function takes DataFrames and returns a matplotlib Figure.

Figures are built with :class:`matplotlib.figure.Figure` rather than pyplot, so nothing global
changes (no backend switch, no figure registry) and saving to PNG uses Agg whatever the caller's
backend. Pass ``ax`` to draw into an existing Axes instead; its figure is returned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

FILENAMES = {"capacity": "capacity.png", "jobs": "jobs.png", "queue_wait": "queue_wait.png"}
"""File name of each standard figure, as written next to the tables and linked from the report."""
FIGSIZE = (8.0, 4.0)
_SCALES = ((600.0, 1.0, "s"), (3 * 3600.0, 60.0, "min"), (float("inf"), 3600.0, "h"))


def time_unit(span_s: float) -> tuple[float, str]:
    """Return (seconds per unit, unit name) for an axis covering ``span_s`` seconds.

    Seconds up to 10 minutes, minutes up to 3 hours, hours beyond.
    """
    for limit, divisor, name in _SCALES:
        if span_s <= limit:
            return divisor, name
    return 3600.0, "h"


def _axes(ax: Axes | None) -> Axes:
    """Return ``ax`` or the single Axes of a new Figure."""
    if ax is not None:
        return ax
    return Figure(figsize=FIGSIZE, layout="constrained").subplots()


def _no_data(ax: Axes, title: str) -> Figure:
    ax.set_title(title)
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    return _figure_of(ax)


def _levels_figure(
    timeline: pd.DataFrame, columns: dict[str, str], title: str, ylabel: str, ax
) -> Figure:
    """Step-plot ``columns`` (column → legend label) of the timeline against time."""
    ax = _axes(ax)
    if timeline.empty:
        return _no_data(ax, title)
    seconds = timeline["time"].to_numpy(float)
    divisor, unit = time_unit(float(seconds.max() - seconds.min()))
    for column, label in columns.items():
        levels = timeline[column].to_numpy(float)
        if len(seconds) > MAX_STEPS:
            ax.plot(*step_envelope(seconds / divisor, levels, ENVELOPE_BUCKETS), label=label)
        else:
            # "post": each timeline row holds its levels until the next row's time.
            ax.step(seconds / divisor, levels, where="post", label=label)
    ax.set_title(title)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    # Outside the axes: lines fill the plot, and loc="best" is slow on long timelines.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _figure_of(ax)


MAX_STEPS = 20_000
"""Timelines longer than this are drawn as their envelope (:func:`step_envelope`)."""
ENVELOPE_BUCKETS = 4_000
"""Time buckets of an envelope: several per pixel column of a saved figure."""


def step_envelope(
    times: np.ndarray, levels: np.ndarray, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return (x, y) of a line that looks like the step plot of ``levels`` (held from each of
    the sorted ``times`` until the next) at a resolution of ``buckets`` equal time slices: in
    each slice a vertical stroke from its lowest to its highest level, joined by the level held
    between slices. Millions of steps become at most 5 points per slice, so a long run's plot
    costs what a short one's does and shows every peak and trough.
    """
    edges = np.linspace(times[0], times[-1], buckets + 1)
    starts = np.unique(np.searchsorted(times, edges[:-1], side="left"))
    starts = starts[starts < len(times)]
    ends = np.append(starts[1:], len(times)) - 1
    low = np.minimum.reduceat(levels, starts)
    high = np.maximum.reduceat(levels, starts)
    begin = times[starts]
    following = np.append(begin[1:], times[-1])  # the last level is held to the last time
    x = np.column_stack([begin, begin, begin, begin, following]).ravel()
    y = np.column_stack([levels[starts], high, low, levels[ends], levels[ends]]).ravel()
    return x, y


def capacity_figure(timeline: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Return vCPUs desired, ready and in use over time, from the ``timeline`` table."""
    columns = {"vcpusDesired": "desired", "vcpusReady": "ready", "vcpusInUse": "in use"}
    return _levels_figure(timeline, columns, "Compute capacity", "vCPUs", ax)


def jobs_figure(timeline: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Return the number of RUNNABLE, STARTING and RUNNING jobs over time."""
    columns = {"RUNNABLE": "RUNNABLE", "STARTING": "STARTING", "RUNNING": "RUNNING"}
    return _levels_figure(timeline, columns, "Jobs by state", "jobs", ax)


def wait_histogram(attempts: pd.DataFrame, ax: Axes | None = None, bins: int = 40) -> Figure:
    """Return the distribution of queue waits (RUNNABLE → STARTING) over ``attempts``.

    Uses the ``queueWaitSeconds`` column, in ``bins`` equal bins; marks the median and p95.
    """
    ax = _axes(ax)
    title = "Queue wait (RUNNABLE to STARTING)"
    waits = attempts["queueWaitSeconds"].dropna().to_numpy(float) if len(attempts) else np.array([])
    if len(waits) == 0:
        return _no_data(ax, title)
    divisor, unit = time_unit(float(waits.max()))
    ax.hist(waits / divisor, bins=bins, color="tab:blue", alpha=0.8)
    for q, style in ((50, "--"), (95, ":")):
        value = float(np.percentile(waits, q)) / divisor
        ax.axvline(value, color="black", linestyle=style, label=f"p{q} = {value:.3g} {unit}")
    ax.set_title(title)
    ax.set_xlabel(f"queue wait ({unit})")
    ax.set_ylabel("attempts")
    ax.legend(loc="upper right")
    return _figure_of(ax)


def standard_figures(timeline: pd.DataFrame, attempts: pd.DataFrame) -> dict[str, Figure]:
    """Return the figures every run writes, keyed by their file name (see ``FILENAMES``)."""
    return {
        FILENAMES["capacity"]: capacity_figure(timeline),
        FILENAMES["jobs"]: jobs_figure(timeline),
        FILENAMES["queue_wait"]: wait_histogram(attempts),
    }


def _figure_of(ax: Axes) -> Figure:
    """Return the figure ``ax`` was drawn in (always a top-level Figure here)."""
    figure = ax.get_figure()
    assert isinstance(figure, Figure)
    return figure

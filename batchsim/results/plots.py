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

from batchsim.records import Outcome
from batchsim.results import bins

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
    timeline: pd.DataFrame,
    columns: dict[str, str],
    title: str,
    ylabel: str,
    ax,
    styles: dict[str, dict] | None = None,
    limit: tuple[str, float] | None = None,
) -> Figure:
    """Step-plot ``columns`` (column → legend label) of the timeline against time.

    ``styles`` gives a column's line keywords; ``limit`` (label, value) draws a horizontal line.
    """
    ax = _axes(ax)
    if timeline.empty:
        return _no_data(ax, title)
    seconds = timeline["time"].to_numpy(float)
    divisor, unit = time_unit(float(seconds.max() - seconds.min()))
    for column, label in columns.items():
        levels = timeline[column].to_numpy(float)
        style = (styles or {}).get(column, {})
        if len(seconds) > MAX_STEPS:
            x, y = step_envelope(seconds / divisor, levels, ENVELOPE_BUCKETS)
            ax.plot(x, y, label=label, **style)
        else:
            # "post": each timeline row holds its levels until the next row's time.
            ax.step(seconds / divisor, levels, where="post", label=label, **style)
    if limit is not None:
        ax.axhline(limit[1], color="tab:red", linestyle=":", linewidth=1.5, label=limit[0])
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


CAPACITY_STYLES: dict[str, dict] = {
    "vcpusReady": {"linewidth": 3.0, "alpha": 0.6},
    "vcpusDesired": {"linestyle": "--", "linewidth": 1.5, "zorder": 3},
}
"""Ready is drawn wide and pale, desired dashed on top: where they agree both stay visible."""


def capacity_figure(
    timeline: pd.DataFrame, ax: Axes | None = None, max_vcpus: float | None = None
) -> Figure:
    """Return vCPUs desired, ready and in use over time, from the ``timeline`` table, with the
    compute environments' summed ``maxvCpus`` as a dotted line when ``max_vcpus`` is given."""
    columns = {"vcpusReady": "ready", "vcpusDesired": "desired", "vcpusInUse": "in use"}
    limit = None if max_vcpus is None else ("maxvCpus", float(max_vcpus))
    return _levels_figure(
        timeline, columns, "Compute capacity", "vCPUs", ax, CAPACITY_STYLES, limit
    )


def jobs_figure(timeline: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Return the number of RUNNABLE, STARTING and RUNNING jobs over time."""
    columns = {"RUNNABLE": "RUNNABLE", "STARTING": "STARTING", "RUNNING": "RUNNING"}
    return _levels_figure(timeline, columns, "Jobs by state", "jobs", ax)


WAIT_FLOOR_S = 1.0
"""Waits shorter than this (zero included) are counted in the log histogram's first bar."""


def wait_histogram(attempts: pd.DataFrame, ax: Axes | None = None, bins: int = 40) -> Figure:
    """Return the distribution of queue waits (RUNNABLE → STARTING) over ``attempts``.

    Uses the ``queueWaitSeconds`` column, in ``bins`` bins of equal width on a log time axis
    (waits under ``WAIT_FLOOR_S`` in the first), counts on a log axis too, so that a tail of a
    few long waits among a million short ones stays visible; marks the median and p95.
    """
    ax = _axes(ax)
    title = "Queue wait (RUNNABLE to STARTING)"
    waits = attempts["queueWaitSeconds"].dropna().to_numpy(float) if len(attempts) else np.array([])
    if len(waits) == 0:
        return _no_data(ax, title)
    top = max(float(waits.max()), WAIT_FLOOR_S * 10)
    edges = np.geomspace(WAIT_FLOOR_S, top, bins + 1)
    clipped = np.clip(waits, WAIT_FLOOR_S, top)
    ax.hist(clipped, bins=edges.tolist(), color="tab:blue", alpha=0.8, log=True)
    for q, style in ((50, "--"), (95, ":")):
        value = float(np.percentile(waits, q))
        label = f"p{q} = {format_seconds(value)}"
        ax.axvline(max(value, WAIT_FLOOR_S), color="black", linestyle=style, label=label)
    ax.set_xscale("log")
    ax.set_title(title)
    ax.set_xlabel(f"queue wait (s, log scale; under {WAIT_FLOOR_S:g} s in the first bar)")
    ax.set_ylabel("attempts (log scale)")
    ax.set_ylim(bottom=0.5)  # NOTE: a bar of one attempt stays visible on the log axis
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _figure_of(ax)


def format_seconds(seconds: float) -> str:
    """Return ``seconds`` in the unit :func:`time_unit` picks for it, to 3 significant digits."""
    divisor, unit = time_unit(seconds)
    return f"{seconds / divisor:.3g} {unit}"


def standard_figures(
    timeline: pd.DataFrame, attempts: pd.DataFrame, max_vcpus: float | None = None
) -> dict[str, Figure]:
    """Return the figures every run writes, keyed by their file name (see ``FILENAMES``);
    ``max_vcpus`` is the capacity figure's maxvCpus line."""
    return {
        FILENAMES["capacity"]: capacity_figure(timeline, max_vcpus=max_vcpus),
        FILENAMES["jobs"]: jobs_figure(timeline),
        FILENAMES["queue_wait"]: wait_histogram(attempts),
    }


MAX_BOXES = 2_000
"""Attempts drawn one box each in the Gantt chart; beyond this (or when instances are grouped)
each row shows the share of its vCPUs in use per time bin instead."""
OUTCOME_COLOURS = {
    Outcome.SUCCEEDED.value: "tab:green",
    Outcome.FAILED.value: "tab:red",
    Outcome.TIMED_OUT.value: "tab:purple",
    Outcome.SPOT_INTERRUPTED.value: "tab:orange",
}


def gantt_figure(instances: pd.DataFrame, attempts: pd.DataFrame, end_s: float) -> Figure:
    """Return the instances over time (launch order, top to bottom) with their jobs inside and
    Spot reclaims marked ×, up to ``end_s`` seconds.

    Up to ``bins.MAX_GANTT_ROWS`` instances and ``MAX_BOXES`` attempts, each attempt is a box
    (coloured by outcome) in a lane of its instance's bar; larger runs show each row's share
    of vCPUs in use per time bin, so a million jobs cost what a thousand do.
    """
    title = "Instances and their jobs"
    height = 1.5 + 0.18 * min(max(len(instances), 1), bins.MAX_GANTT_ROWS)
    ax = Figure(figsize=(10.0, height), layout="constrained").subplots()
    if instances.empty:
        return _no_data(ax, title)
    grid = bins.occupancy(instances, attempts, end_s)
    divisor, unit = time_unit(float(grid.edges[-1]))
    if len(grid.labels) == len(instances) and len(attempts) <= MAX_BOXES:
        _gantt_boxes(ax, instances, attempts, divisor)
    else:
        _gantt_shares(ax, grid, divisor)
    rows, times = grid.reclaims
    if len(rows):
        width = float(grid.edges[1])
        cells = np.unique(np.column_stack([rows, times // width]), axis=0)
        ax.scatter((cells[:, 1] + 0.5) * width / divisor, cells[:, 0], marker="x", s=40,
                   color="black", zorder=4, label="Spot reclaim")  # fmt: skip
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_yticks(range(len(grid.labels)), grid.labels, fontsize=7)
    ax.set_ylim(len(grid.labels) - 0.5, -0.5)
    ax.set_xlim(0, grid.edges[-1] / divisor)
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(title)
    return _figure_of(ax)


def _gantt_boxes(ax: Axes, instances: pd.DataFrame, attempts: pd.DataFrame, divisor: float) -> None:
    """Draw each instance as a grey bar (darker while booting) and its attempts as boxes in
    lanes: an attempt takes the first lane free when it starts."""
    rows = bins.instance_rows(instances)
    launched = instances["launchedAt"].to_numpy(float) / divisor
    ready = instances["readyAt"].fillna(instances["terminatedAt"]).to_numpy(float) / divisor
    ended = instances["terminatedAt"].to_numpy(float) / divisor
    ax.barh(rows, ended - launched, left=launched, height=0.8, color="0.9")
    ax.barh(rows, ready - launched, left=launched, height=0.8, color="0.7", label="booting")
    row_of = dict(zip(instances["instanceId"].tolist(), rows.tolist(), strict=True))
    placed = attempts[attempts["instanceId"].isin(row_of)].sort_values(["startingAt", "jobId"])
    for outcome, part in _lanes(placed, row_of, divisor).groupby("outcome", sort=True):
        colour = OUTCOME_COLOURS.get(str(outcome), "tab:gray")
        ax.barh(part["y"], part["width"], left=part["left"], height=part["height"],
                align="edge", color=colour, edgecolor="white", linewidth=0.3, label=outcome)  # fmt: skip
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _lanes(placed: pd.DataFrame, row_of: dict[str, int], divisor: float) -> pd.DataFrame:
    """Return each attempt's box: left, width, y and height inside its instance's bar."""
    lanes: list[int] = []
    free_at: dict[str, list[float]] = {}
    starts = placed["startingAt"].to_numpy(float)
    stops = placed["stoppedAt"].to_numpy(float)
    for ident, start, stop in zip(placed["instanceId"].tolist(), starts, stops, strict=True):
        ends = free_at.setdefault(ident, [])
        lane = next((i for i, end in enumerate(ends) if end <= start), len(ends))
        ends[lane:lane + 1] = [stop]  # fmt: skip
        lanes.append(lane)
    depth = {ident: max(len(ends), 1) for ident, ends in free_at.items()}
    ids = placed["instanceId"].tolist()
    height = np.array([0.8 / depth[i] for i in ids])
    y = np.array([row_of[i] for i in ids]) - 0.4 + np.array(lanes) * height
    return pd.DataFrame({"left": starts / divisor, "width": (stops - starts) / divisor, "y": y,
                         "height": height, "outcome": placed["outcome"].to_numpy(object)})  # fmt: skip


def _gantt_shares(ax: Axes, grid: bins.Occupancy, divisor: float) -> None:
    """Draw each row's share of vCPUs in use per time bin (white where no instance was up).

    NOTE: a mesh, not ``imshow``: Agg resamples an image to the axes' pixels, which cost twice
    as much as drawing the 16,000 cells.
    """
    rows = np.arange(len(grid.labels) + 1) - 0.5
    shares = np.ma.masked_invalid(grid.share())
    mesh = ax.pcolormesh(grid.edges / divisor, rows, shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.figure.colorbar(
        mesh, ax=ax, label="share of the row's vCPUs in use", pad=0.01, fraction=0.03
    )


LIFECYCLE_COLOURS = {"on-demand": "tab:blue", "spot": "tab:orange", "fargate": "tab:green",
                     "fargate-spot": "tab:olive"}  # fmt: skip


def cost_figure(instances: pd.DataFrame, end_s: float, ax: Axes | None = None) -> Figure:
    """Return the cost accumulated over time, stacked by lifecycle (on-demand, Spot, Fargate),
    each instance's bill spread evenly over its life (``bins.cost_over_time``)."""
    ax = _axes(ax)
    title = "Cost accumulated by lifecycle"
    if instances.empty:
        return _no_data(ax, title)
    cost = bins.cost_over_time(instances, end_s)
    seconds = cost.index.to_numpy(float)
    divisor, unit = time_unit(float(seconds[-1]))
    colours = [LIFECYCLE_COLOURS.get(name, "tab:gray") for name in cost.columns]
    ax.stackplot(seconds / divisor, cost.to_numpy().T, labels=list(cost.columns), colors=colours,
                 alpha=0.8)  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("US dollars")
    ax.set_xlim(0, seconds[-1] / divisor)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _figure_of(ax)


def _figure_of(ax: Axes) -> Figure:
    """Return the figure ``ax`` was drawn in (always a top-level Figure here)."""
    figure = ax.get_figure()
    assert isinstance(figure, Figure)
    return figure

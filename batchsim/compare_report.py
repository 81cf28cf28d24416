"""``report.html`` of ``batchsim compare``: the comparison table and a plot of every replication.

The table is the terminal's (:func:`batchsim.compare.table_cells`); the plot shows, for each
scenario, the makespan and total cost of every replication with the mean and its 95 % interval,
so a reader sees both the spread of single runs and what the interval says about the mean.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from batchsim.compare import Comparison, intro_lines, table_cells
from batchsim.results import html

PANELS = (("makespan_s", "Makespan (h)", 3600.0), ("total_cost_usd", "Total cost (USD)", 1.0))
"""The plotted metrics: key, axis label and the divisor from the stored unit."""


def comparison_figure(comparison: Comparison) -> Figure:
    """Return one panel per metric of ``PANELS``: each replication a dot, the mean a bar with
    its 95 % interval, one column per scenario."""
    figure = Figure(figsize=(10.0, 4.0), layout="constrained")
    for ax, (key, label, divisor) in zip(figure.subplots(1, len(PANELS)), PANELS, strict=True):
        _panel(ax, comparison, key, label, divisor)
    return figure


def _panel(ax: Axes, comparison: Comparison, key: str, label: str, divisor: float) -> None:
    for x, name in enumerate(comparison.labels):
        values = [v / divisor for v in comparison.values[name][key] if v is not None]
        ax.plot([x] * len(values), values, "o", color="tab:blue", alpha=0.35, markersize=4)
        own = comparison.estimate(name, key)
        if own.mean is not None:
            error = None if own.ci95 is None else own.ci95 / divisor
            ax.errorbar([x], [own.mean / divisor], yerr=error, fmt="_", color="black",
                        markersize=18, capsize=6)  # fmt: skip
    ax.set_xticks(range(len(comparison.labels)), comparison.labels, rotation=15)
    ax.set_xlim(-0.6, len(comparison.labels) - 0.4)
    ax.set_ylabel(label)
    ax.set_title(f"{label}: runs (dots), mean ± 95 % CI")
    ax.grid(True, axis="y", alpha=0.3)


def render_compare_html(comparison: Comparison) -> str:
    """Return ``report.html`` of ``comparison``: how to read it, the table, the plot."""
    header, rows = table_cells(comparison)
    others = len(comparison.labels) - 1
    header = header[: len(header) - others] + [f"Δ {h} vs {comparison.baseline}" for h in
                                               header[len(header) - others :]]  # fmt: skip
    intro = "".join(html.paragraph(line, "meta") for line in intro_lines(comparison))
    scenarios = [
        [label, name, source or ""]
        for label, name, source in zip(
            comparison.labels, comparison.names, comparison.sources, strict=True
        )
    ]
    figure = html.png_bytes(comparison_figure(comparison))
    parts = [
        intro,
        html.section("scenarios", "Scenarios", html.table(["Label", "Name", "File"], scenarios)),
        html.section("table", "Comparison", html.table(header, rows)),
        html.section("plot", "Replications", html.image(figure, "makespan and cost per run")),
    ]
    return html.page("batchsim compare: " + " vs ".join(comparison.labels), parts)

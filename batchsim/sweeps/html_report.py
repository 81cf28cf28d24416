"""``report.html`` of ``batchsim sweep``: the points table and the sweep's plots in one page.

The table is the terminal's (:func:`batchsim.sweeps.outputs.point_cells`) and the images are
the PNGs written beside it, embedded, so the page is the folder's summary on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from batchsim.results import html
from batchsim.sweeps.execute import SweepResult

CAPTIONS = {
    "cost_vs_makespan.png": "Mean makespan and cost of each point; the Pareto front joined.",
    "heatmap.png": "A metric over the two swept parameters.",
}


def render_sweep_html(result: SweepResult, images: Mapping[str, bytes]) -> str:
    """Return ``report.html`` of a finished sweep: what was swept, the points, the plots
    (``images``: PNG bytes by file name, in the order shown)."""
    from batchsim.sweeps.outputs import point_cells

    spec = result.spec
    header, *rows = point_cells(result)
    facts = (
        f"{len(result.points)} points × {spec.replications} replications (seeds "
        f"{spec.seeds[0]}–{spec.seeds[-1]}), {result.failed} runs failed; scenario {spec.source}; "
        "cells: mean ± 95 % CI half-width"
    )
    figures = "".join(html.image(png, name, CAPTIONS.get(name, "")) for name, png in images.items())
    parts = [
        html.paragraph(facts, "meta"),
        html.section("points", "Points", html.table(header, rows)),
        html.section("plots", "Plots", figures),
    ]
    return html.page(f"batchsim sweep: {', '.join(spec.paths)}", parts)

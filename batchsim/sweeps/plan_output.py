"""What ``batchsim plan`` prints and writes: the answer, runners-up and cheaper failures;
``plan.json``, ``runs.csv`` (the sweep's format, one row per run made) and ``plan.png``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from batchsim.sweeps.decide import INTERVAL_LEVEL, lower_bound
from batchsim.sweeps.plan import Plan, PointRuns, ordered_factor
from batchsim.sweeps.table import csv_text, run_columns
from batchsim.sweeps.values import value_text

RUNNERS_UP = 3
"""How many configurations after the answer the table shows."""
SHOWN_FAILURES = 8
"""How many cheaper failed configurations the table shows (plan.json lists them all)."""
RULE = (
    "a run meets the targets when it ended ok and every target holds; a configuration meets "
    "the plan when the one-sided {level:.0%} Clopper-Pearson lower bound of P(meet) over its "
    "{runs} replications is at least {confidence}; runs stop early only when the remaining "
    "replications cannot change that decision"
)


def point_record(plan: Plan, point: PointRuns, with_runs: bool = True) -> dict[str, Any]:
    """Return one point as ``plan.json`` holds it (its runs too when ``with_runs``)."""
    met, n = point.met(plan.limits), len(point.rows)
    makespans = [r["makespan_s"] for r in point.rows if r["makespan_s"] is not None]
    record: dict[str, Any] = {
        "point": point.index,
        "values": {path: value_text(value) for path, value in point.point},
        "status": plan.status(point.index),
        "runs": n,
        "met": met,
        "p_meet": met / n if n else None,
        "p_meet_lower": lower_bound(met, n) if n else None,
        "total_cost_usd_mean": point.mean_cost(),
        "makespan_s_mean": sum(makespans) / len(makespans) if makespans else None,
    }
    return record | ({"run_rows": point.rows} if with_runs else {})


def plan_json(plan: Plan, grid_runs: int) -> str:
    """Return ``plan.json``: the rule, targets, answer, runners-up and every evaluated point."""
    spec = plan.spec
    axis = ordered_factor(spec)
    data = {
        "rule": RULE.format(
            level=INTERVAL_LEVEL, runs=spec.replications, confidence=plan.confidence
        ),
        "confidence": plan.confidence,
        "interval": {"method": "clopper-pearson", "sided": "lower", "level": INTERVAL_LEVEL},
        "replications_max": spec.replications,
        "seeds": spec.seeds,
        "targets": plan.limits,
        "ordered_parameter": spec.factors[axis].paths[0] if axis is not None else None,
        "assumptions": [
            "P(meet) never decreases as the ordered parameter grows",
            "above the smallest value that meets, a value whose coarse mean cost is not below "
            "the smallest's costs at least as much",
            "a value assumed to fail (below one that fails, its own runs undecided) whose "
            "coarse mean cost is not below the answer's costs at least as much; the others "
            "are evaluated",
        ],
        "runs_made": plan.runs,
        "grid_runs": grid_runs,
        "answer": point_record(plan, plan.answer, False) if plan.answer else None,
        "runners_up": [point_record(plan, p, False) for p in plan.met_points()[1 : 1 + RUNNERS_UP]],
        "cheaper_failures": [point_record(plan, p, False) for p in plan.cheaper_failures()],
        "points": [point_record(plan, p) for p in plan.points if p.rows],
        "spec": spec.to_yaml(),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_plan(folder: str | Path, plan: Plan, grid_runs: int, replace: bool = False) -> None:
    """Write ``plan.json``, ``runs.csv`` and ``plan.png`` into ``folder``, all or nothing,
    with the sweep's ``sweep.yaml`` and ``scenario.yaml``, which ``--resume`` checks."""
    from batchsim.results.files import write_png, write_text
    from batchsim.results.folder import staged_folder
    from batchsim.sweeps.outputs import _write_spec

    with staged_folder(folder, replace) as staging:
        _write_spec(staging, plan.spec)
        write_text(staging / "plan.json", plan_json(plan, grid_runs))
        write_text(staging / "runs.csv", csv_text(run_columns(plan.spec), plan.rows()))
        write_png(staging / "plan.png", plan_figure(plan))


def plan_figure(plan: Plan):
    """Mean cost against mean makespan of every evaluated point, coloured by its decision,
    the answer circled, and the deadline as a dashed line."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 5.0), layout="constrained")
    ax = figure.subplots()
    styles = {"meets": ("C2", "meets"), "fails": ("C3", "fails")}
    for status, (colour, label) in styles.items():
        shown = [
            point_record(plan, p, False)
            for p in plan.points
            if p.rows and plan.status(p.index) == status
        ]
        xs = [
            r["makespan_s_mean"] / 3600
            for r in shown
            if r["makespan_s_mean"] and r["total_cost_usd_mean"]
        ]
        ys = [
            r["total_cost_usd_mean"]
            for r in shown
            if r["makespan_s_mean"] and r["total_cost_usd_mean"]
        ]
        ax.scatter(xs, ys, color=colour, label=f"{label} ({len(shown)})", s=18)
    if plan.answer is not None:
        best = point_record(plan, plan.answer, False)
        ax.scatter([best["makespan_s_mean"] / 3600], [best["total_cost_usd_mean"]], s=160,
                   facecolors="none", edgecolors="k", label=f"answer (point {best['point']})")  # fmt: skip
    if "deadline" in plan.limits:
        ax.axvline(plan.limits["deadline"] / 3600, color="0.4", linestyle="--", label="deadline")
    ax.set_xlabel("makespan, mean of the runs made (h)")
    ax.set_ylabel("total cost, mean of the runs made (USD)")
    ax.set_title(
        f"plan: {plan.runs} runs; a point meets when P(meet) ≥ {plan.confidence:g} is shown"
    )
    ax.legend(fontsize=8)
    return figure


# ----------------------------------------------------------------------------- the terminal
def _line(plan: Plan, point: PointRuns) -> list[str]:
    record = point_record(plan, point, False)
    values = [record["values"][path] for path in plan.spec.paths]
    cost, makespan = record["total_cost_usd_mean"], record["makespan_s_mean"]
    lower = record["p_meet_lower"]
    return [
        str(point.index),
        *values,
        f"${cost:.2f}" if cost is not None else "n/a",
        f"{makespan / 3600:.2f} h" if makespan is not None else "n/a",
        f"{record['met']}/{record['runs']}",
        f"{100 * lower:.1f} %" if lower is not None else "n/a",
    ]


def _table(plan: Plan, points: list[PointRuns]) -> str:
    from batchsim.sweeps.outputs import _aligned, _short

    header = ["point", *(_short(p) for p in plan.spec.paths), "cost", "makespan", "met", "P low"]
    return _aligned([header, *(_line(plan, p) for p in points)])


def format_plan(plan: Plan, grid_runs: int) -> str:
    """Return the answer, the runners-up, the cheaper configurations that failed and the runs."""
    from batchsim.compare import duration_text

    shown = {"deadline": duration_text, "maxWaitP95": duration_text, "budget": lambda v: f"${v:g}"}
    targets = ", ".join(f"{name} ≤ {shown[name](limit)}" for name, limit in plan.limits.items())
    head = f"targets: {targets}; confidence {plan.confidence:g} (one-sided 95 % lower bound)"
    parts = [head]
    if plan.answer is None:
        parts.append(f"no configuration meets every target with {plan.confidence:g} confidence")
    else:
        parts += ["answer:", _table(plan, [plan.answer])]
        runners = plan.met_points()[1 : 1 + RUNNERS_UP]
        if runners:
            parts += ["runners-up:", _table(plan, runners)]
    cheaper = plan.cheaper_failures()
    if cheaper:
        title = "cheaper, but failed (met: runs that met every target, of the runs made)"
        more = len(cheaper) - SHOWN_FAILURES
        parts += [title + ":", _table(plan, cheaper[:SHOWN_FAILURES])]
        parts += [f"… and {more} more in plan.json"] if more > 0 else []
    share = 100 * plan.runs / grid_runs if grid_runs else 0.0
    parts.append(f"{plan.runs} runs, {share:.1f} % of the grid's {grid_runs}")
    return "\n".join(parts)

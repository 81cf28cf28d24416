"""Human-readable views of a run: the Markdown ``report.md`` and the terminal summary table.

Both read only the summary dict and the instances table, and contain nothing that changes from
one run to the next (no wall time, no dates), so the same scenario and seed give the same text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from batchsim.results.formats import (
    MISSING,
    format_counts,
    format_duration,
    format_percent,
    format_usd,
    markdown_table,
)
from batchsim.results.never_ran import never_ran, report_section
from batchsim.results.plots import FILENAMES
from batchsim.results.trace_report import trace_section

if TYPE_CHECKING:
    from batchsim.results.run_result import RunResult


def _waits(summary: dict, waits: dict | None = None) -> str:
    waits = (summary.get("queue_wait_s") if waits is None else waits) or {}
    return " / ".join(format_duration(waits.get(k)) for k in ("mean", "p50", "p95", "max"))


def _entry_waits(summary: dict) -> list[tuple[str, str]]:
    by_entry = summary.get("queue_wait_by_workload_s") or {}
    if len(by_entry) < 2:
        return []  # the overall row already says it
    return [(f"  {entry}", _waits(summary, waits)) for entry, waits in by_entry.items()]


def _utilisation(summary: dict) -> str:
    paid, used = summary.get("vcpu_hours_paid"), summary.get("vcpu_hours_used")
    hours = f" ({used:.2f} of {paid:.2f} vCPU-h)" if paid is not None and used is not None else ""
    return format_percent(summary.get("utilization")) + hours


def headline_rows(summary: dict) -> list[tuple[str, str]]:
    """Return (label, formatted value) pairs of the run's headline figures."""
    lifecycle = summary.get("cost_by_lifecycle_usd") or {}
    return [
        ("Makespan", format_duration(summary.get("makespan_s"))),
        ("Total cost", format_usd(summary.get("total_cost_usd"))),
        *((f"  {name} cost", format_usd(cost)) for name, cost in sorted(lifecycle.items())),
        ("Cost per succeeded job", format_usd(summary.get("cost_per_succeeded_job_usd"))),
        ("Jobs", format_counts(summary.get("jobs_by_status") or {})),
        ("Array jobs", format_counts(summary.get("array_jobs_by_status") or {})),
        ("First job RUNNING after", format_duration(summary.get("first_start_s"))),
        ("Queue wait mean / p50 / p95 / max", _waits(summary)),
        *_entry_waits(summary),
        ("Utilisation", _utilisation(summary)),
        ("Idle cost", format_usd(summary.get("idle_cost_usd"))),
        ("Spot interruptions (attempts)", str(summary.get("interruptions", MISSING))),
        ("Work lost (reclaims, replaced hosts)", _wasted(summary)),
        ("Instances launched", str(summary.get("instances_launched", MISSING))),
    ]


def _wasted(summary: dict) -> str:
    wasted = summary.get("wasted_vcpu_hours")
    return MISSING if wasted is None else f"{wasted:.2f} vCPU-h"


def summary_table(summary: dict) -> str:
    """Return the headline figures as an aligned plain-text table for the terminal."""
    title = f"{summary.get('scenario', 'run')} (seed {summary.get('seed', MISSING)})"
    rows = [("Scenario", title), *headline_rows(summary)]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def cost_breakdown(instances: pd.DataFrame) -> pd.DataFrame:
    """Return instances, instance-hours and cost per compute environment and instance type."""
    keys = ["computeEnvironment", "instanceType", "lifecycle"]
    grouped = instances.groupby(keys, sort=True).agg(
        instances=("instanceId", "size"), seconds=("runSeconds", "sum"), cost=("costUsd", "sum")
    )
    return grouped.reset_index().sort_values(["cost", *keys], ascending=[False, True, True, True])


def _cost_section(instances: pd.DataFrame) -> list[str]:
    if instances.empty:
        return ["No instances were launched."]
    header = [
        "Compute environment",
        "Instance type",
        "Lifecycle",
        "Instances",
        "Instance-hours",
        "Cost",
    ]
    rows = [
        [ce, itype, life, str(n), f"{secs / 3600:.2f}", format_usd(cost)]
        for ce, itype, life, n, secs, cost in cost_breakdown(instances).itertuples(index=False)
    ]
    return markdown_table(header, rows)


def render_report(result: RunResult) -> str:
    """Return the Markdown report of ``result``: scenario, headline figures, costs and plots."""
    scenario, summary = result.scenario, result.summary
    lines = [f"# batchsim report: {scenario.name}", ""]
    if scenario.description:
        lines += [scenario.description.strip(), ""]
    lines += [
        f"- Seed: {result.seed}",
        f"- batchsim version: {result.version}",
        f"- Simulated time: {format_duration(summary.get('end_of_run_s'))}",
        "",
        "## Headline figures",
        "",
        *markdown_table(["Metric", "Value"], [[k.strip(), v] for k, v in headline_rows(summary)]),
        "",
        *trace_section(result),
        *report_section(never_ran(result.jobs)),
        "## Cost by compute environment and instance type",
        "",
        *_cost_section(result.instances),
        "",
        "## Plots",
        "",
        f"![vCPUs desired, ready and in use]({FILENAMES['capacity']})",
        "",
        f"![Jobs by state]({FILENAMES['jobs']})",
        "",
        f"![Queue wait distribution]({FILENAMES['queue_wait']})",
    ]
    return "\n".join(lines) + "\n"

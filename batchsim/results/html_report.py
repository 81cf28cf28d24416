"""``report.html`` of a run: summary cards, plots and tables in one self-contained page.

Every figure is an aggregate (time-binned levels, instance rows capped, histograms, tables
grouped by reason), never one glyph or row per job, so a million-job run gives a page of the
same size as a thousand-job one. The page reuses the run's standard PNGs (``plots.FILENAMES``)
as rendered for the folder, and the text formats of ``report.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from batchsim.records import JobState
from batchsim.results import html, plots
from batchsim.results.formats import (
    MISSING,
    format_counts,
    format_duration,
    format_percent,
    format_usd,
)
from batchsim.results.report import cost_breakdown

if TYPE_CHECKING:
    from batchsim.results.run_result import RunResult

BLOCKED_ROWS = 20
"""Reasons listed in each blocked-jobs table (the most frequent first)."""
FINDING_FIELDS = ("severity", "path", "line", "message", "reason", "link")
"""What the report shows of a finding (a mapping or a dataclass; missing fields left blank)."""


def max_vcpus(result: RunResult) -> float | None:
    """Return the summed ``maxvCpus`` of the scenario's compute environments (None if none
    sets one, as an UNMANAGED environment does not)."""
    limits = [
        ce.computeResources.maxvCpus
        for ce in result.scenario.computeEnvironments
        if ce.computeResources is not None
    ]
    return float(sum(limits)) if limits else None


def end_of_run(result: RunResult) -> float:
    """Return the time axis' end in seconds: the end of the run, or the last termination."""
    ends = result.instances["terminatedAt"].dropna()
    last = float(ends.max()) if len(ends) else 0.0
    return max(float(result.summary.get("end_of_run_s") or 0.0), last)


def render_html(
    result: RunResult, images: Mapping[str, bytes], findings: Sequence[object] | None = None
) -> str:
    """Return ``report.html`` of ``result``.

    ``images`` holds the PNG bytes of the standard figures keyed by file name (as written
    beside the report); the Gantt chart and the cost curve are rendered here. ``findings``,
    when given (``batchsim doctor``'s, for one), get a section of their own; None leaves it out.
    """
    end_s = end_of_run(result)
    parts = [
        _meta(result),
        html.section("summary", "Summary", _cards(result.summary)),
        html.section("capacity", "Compute capacity", _img(images, "capacity", _CAPACITY_NOTE)),
        html.section("jobs-by-state", "Jobs by state", _img(images, "jobs", "")),
        html.section("instances", "Instances and their jobs", _gantt(result, end_s)),
        html.section("cost", "Cost", _cost(result, end_s)),
        html.section("waits", "Queue wait", _img(images, "queue_wait", _WAIT_NOTE)),
        html.section("workloads", "Workload entries", workload_table(result)),
        html.section("blocked", "Blocked jobs", _blocked(result)),
    ]
    if findings is not None:
        parts.append(html.section("doctor", "Doctor's findings", findings_table(findings)))
    return html.page(f"batchsim report: {result.scenario.name}", parts)


_CAPACITY_NOTE = (
    "Ready (wide, pale) and desired (dashed) vCPUs of all compute environments, the vCPUs "
    "jobs hold, and the summed maxvCpus (dotted)."
)
_WAIT_NOTE = "Time from RUNNABLE to STARTING of every attempt; both axes logarithmic."


def _meta(result: RunResult) -> str:
    description = result.scenario.description
    lines = [html.paragraph(description.strip())] if description else []
    simulated = format_duration(result.summary.get("end_of_run_s"))
    facts = f"Seed {result.seed} · batchsim {result.version} · simulated time {simulated}"
    return "".join(lines) + html.paragraph(facts, "meta")


def _img(images: Mapping[str, bytes], figure: str, caption: str) -> str:
    name = plots.FILENAMES[figure]
    return html.image(images[name], f"{figure} ({name})", caption)


def _cards(summary: dict) -> str:
    """The headline cards; each carries its summary.json key and exact value."""
    waits = summary.get("queue_wait_s") or {}
    lifecycle = summary.get("cost_by_lifecycle_usd") or {}
    split = ", ".join(f"{k} {format_usd(v)}" for k, v in sorted(lifecycle.items()))
    unfinished = summary.get("jobs_unfinished") or 0
    jobs_detail = f"{unfinished} never finished" if unfinished else "all finished"
    cards = [
        html.card(
            "Makespan",
            format_duration(summary.get("makespan_s")),
            "",
            "makespan_s",
            summary.get("makespan_s"),
        ),  # fmt: skip
        html.card(
            "Total cost",
            format_usd(summary.get("total_cost_usd")),
            split,
            "total_cost_usd",
            summary.get("total_cost_usd"),
        ),  # fmt: skip
        html.card(
            "Jobs",
            format_counts(summary.get("jobs_by_status") or {}),
            jobs_detail,
            "jobs_total",
            summary.get("jobs_total"),
        ),  # fmt: skip
        html.card(
            "Queue wait p50",
            format_duration(waits.get("p50")),
            "",
            "queue_wait_s.p50",
            waits.get("p50"),
        ),  # fmt: skip
        html.card(
            "Queue wait p95",
            format_duration(waits.get("p95")),
            f"max {format_duration(waits.get('max'))}",
            "queue_wait_s.p95",
            waits.get("p95"),
        ),  # fmt: skip
        html.card(
            "Utilisation",
            format_percent(summary.get("utilization")),
            f"idle cost {format_usd(summary.get('idle_cost_usd'))}",
            "utilization",
            summary.get("utilization"),
        ),  # fmt: skip
        html.card(
            "Spot interruptions",
            str(summary.get("interruptions", MISSING)),
            f"{summary.get('instances_launched', MISSING)} instances launched",
            "interruptions",
            summary.get("interruptions"),
        ),  # fmt: skip
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _gantt(result: RunResult, end_s: float) -> str:
    figure = plots.gantt_figure(result.instances, result.attempts, end_s)
    caption = (
        "One row per instance in launch order (grey: booting or idle), its jobs inside; "
        "× marks a Spot reclaim. Large runs group instances and shade the share of vCPUs in use."
    )
    return html.image(html.png_bytes(figure), "instances over time", caption)


def _cost(result: RunResult, end_s: float) -> str:
    figure = html.image(
        html.png_bytes(plots.cost_figure(result.instances, end_s)),
        "cost over time",
        "Each instance's bill spread evenly over its life, stacked by lifecycle.",
    )
    if result.instances.empty:
        return figure
    header = ["Compute environment", "Instance type", "Lifecycle", "Instances", "Instance-hours",
              "Cost"]  # fmt: skip
    rows = [
        [ce, kind, life, n, f"{secs / 3600:.2f}", format_usd(cost)]
        for ce, kind, life, n, secs, cost in cost_breakdown(result.instances).itertuples(
            index=False
        )
    ]
    return figure + html.table(header, rows, numeric=(3, 4, 5))


def workload_rows(result: RunResult) -> list[list[object]]:
    """Return per workload entry: jobs, SUCCEEDED, FAILED, unfinished, wait p50 / p95 / max.

    Jobs are the runnable ones (array children, not their parents), as in ``jobs_by_status``.
    """
    jobs = result.jobs
    runnable = jobs[["workload", "status"]][jobs["arraySize"].isna()]
    # NOTE: value_counts is ~2x faster than crosstab on a million jobs.
    counts = runnable.value_counts().unstack(fill_value=0)
    waits = result.summary.get("queue_wait_by_workload_s") or {}
    rows = []
    for entry in sorted(counts.index):
        row = counts.loc[entry]
        done = [int(row.get(s.value, 0)) for s in (JobState.SUCCEEDED, JobState.FAILED)]
        total = int(row.sum())
        stats = waits.get(str(entry)) or {}
        times = [format_duration(stats.get(k)) for k in ("p50", "p95", "max")]
        rows.append([entry, total, *done, total - sum(done), *times])
    return rows


def workload_table(result: RunResult) -> str:
    """Return the per-workload table (see :func:`workload_rows`)."""
    header = ["Workload entry", "Jobs", "SUCCEEDED", "FAILED", "Unfinished", "Wait p50",
              "Wait p95", "Wait max"]  # fmt: skip
    return html.table(header, workload_rows(result), numeric=range(1, 8))


def _blocked(result: RunResult) -> str:
    jobs = result.jobs
    stuck = jobs[(jobs["status"] == JobState.RUNNABLE.value) & jobs["arraySize"].isna()]
    parts = []
    if len(stuck):
        parts.append(html.paragraph(f"{len(stuck)} jobs were still RUNNABLE when the run ended:"))
        parts.append(
            _reasons(stuck, "statusReason", ["Queue", "statusReason", "Jobs", "First job"])
        )
    if len(result.blocked):
        parts.append(html.paragraph("Queue heads AWS reports blocked (Batch Job Queue Blocked):"))
        parts.append(_reasons(result.blocked, "statusReason",
                              ["Queue", "statusReason", "Events", "First job"]))  # fmt: skip
    return "".join(parts) or html.paragraph("No job was blocked: every job could be placed.")


def _reasons(frame: pd.DataFrame, column: str, header: list[str]) -> str:
    """Return ``frame`` grouped by queue and reason: count and first job, most frequent first."""
    reasons = frame[column].fillna("").replace("", "(no reason given)")
    grouped = frame.assign(_reason=reasons).groupby(["jobQueue", "_reason"], sort=True)
    summary = grouped.agg(count=("jobId", "size"), first=("jobId", "first")).reset_index()
    summary = summary.sort_values(["count", "jobQueue", "_reason"], ascending=[False, True, True])
    rows = summary.head(BLOCKED_ROWS).values.tolist()
    note = "" if len(summary) <= BLOCKED_ROWS else html.paragraph(
        f"… and {len(summary) - BLOCKED_ROWS} more reasons.")  # fmt: skip
    return html.table(header, rows, numeric=(2,)) + note


def findings_table(findings: Sequence[object]) -> str:
    """Return the findings (mappings or dataclasses with ``FINDING_FIELDS``) as a table."""
    if not findings:
        return html.paragraph("The doctor found nothing to report.")
    rows = []
    for finding in findings:
        fields = _fields(finding)
        where = f"{fields.get('path') or ''}:{fields.get('line')}" if fields.get("line") else ""
        url = fields.get("link")
        source = html.link(str(url), "source") if url else ""
        rows.append([fields.get("severity") or "", where or fields.get("path") or "",
                     fields.get("message") or "", fields.get("reason") or "", source])  # fmt: skip
    return html.table(["Severity", "Where", "Finding", "AWS reason", "Source"], rows)


def _fields(finding: object) -> dict:
    """Return a finding's fields by name, whatever its type (mapping, dataclass, object)."""
    if isinstance(finding, Mapping):
        return dict(finding)
    if dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        return dataclasses.asdict(finding)
    return {name: getattr(finding, name, None) for name in FINDING_FIELDS}

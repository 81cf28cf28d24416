"""report.md's "Replayed traces" section: for each ``trace:`` workload entry, its file, the
header its log carries (SWF's ``; Key: value`` comments), the rows read, left out and
submitted, and its queue waits per job queue (one line per queue, never one per job)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchsim.errors import TraceError
from batchsim.results.formats import format_duration, markdown_table
from batchsim.scenario.trace_jobs import entry_trace_jobs

if TYPE_CHECKING:
    from batchsim.results.run_result import RunResult
    from batchsim.scenario.schema import Scenario, WorkloadEntry

LEFT_OUT = (
    ("outside_window", "outside the time window"),
    ("no_run_time", "no run time"),
    ("no_processors", "no processors"),
    ("over_job_limit", "over maxJobs"),
    ("array_parents", "array parents without their children"),
    ("unplaceable", "no instance could ever hold them (unplaceable: skip)"),
)
"""The counts of rows a replay leaves out, with their words."""
LINKS = (
    ("arrays", "array jobs replayed"),
    ("children_without_run_time", "array children with no run time (no work)"),
    ("dependencies_outside", "dependencies on jobs not replayed (taken as met)"),
)
"""The counts a DescribeJobs trace with arrays or dependencies adds."""
HEADER_VALUE_CHARS = 160
"""A header value longer than this is cut (a Note can run to paragraphs)."""


def trace_section(result: RunResult) -> list[str]:
    """Return the section's lines (nothing for a run without a trace)."""
    traces = result.summary.get("traces")
    if not traces:
        return []
    entries = {entry.name: entry for entry in result.scenario.workload}
    lines = ["## Replayed traces", ""]
    for name, counts in traces.items():
        entry = entries[name]
        assert entry.trace is not None  # NOTE: summary["traces"] holds trace entries only
        lines += [f"### {name}: `{entry.trace.path}` ({entry.trace.format})", ""]
        lines += _header(result.scenario, entry)
        lines += _counts(counts)
        lines += _waits(counts.get("queue_wait_by_queue_s", {}))
    return lines


def _header(scenario: Scenario, entry: WorkloadEntry) -> list[str]:
    """The trace's header metadata as a table (nothing when it has none or cannot be read)."""
    try:
        metadata = entry_trace_jobs(scenario, entry).metadata
    except TraceError:
        return []  # NOTE: the file moved since the run; the counts below still stand
    if not metadata:
        return []
    rows = [[key, _cell(value)] for key, value in metadata.items()]
    return ["The log's header:", "", *markdown_table(["Field", "Value"], rows), ""]


def _cell(value: str) -> str:
    """A header value on one table line: lines joined, pipes escaped, long text cut."""
    text = "; ".join(part for part in value.splitlines() if part).replace("|", "\\|")
    return text if len(text) <= HEADER_VALUE_CHARS else text[: HEADER_VALUE_CHARS - 1] + "…"


def _counts(counts: dict) -> list[str]:
    """Rows read, submitted and left out (with why), and what arrays and links added."""
    left = [f"{counts[key]:,} {words}" for key, words in LEFT_OUT if counts.get(key)]
    linked = [f"{counts[key]:,} {words}" for key, words in LINKS if counts.get(key)]
    read = f"- Rows read: {counts['rows']:,}"
    if "records" in counts:  # NOTE: DescribeJobs: an array and its children records are one row
        read = (
            f"- Records read: {counts['records']:,} ({counts['duplicates']:,} repeated jobIds "
            f"dropped; {counts['rows']:,} rows, an array with its children one row)"
        )
    lines = [
        f"{read}; submitted: {counts['submitted']:,} SubmitJob calls",
        f"- Left out: {'; '.join(left) if left else 'none'}",
    ]
    if linked:
        lines.append(f"- Arrays and dependencies: {'; '.join(linked)}")
    return [*lines, ""]


def _waits(by_queue: dict[str, dict[str, float | None]]) -> list[str]:
    """Queue waits (RUNNABLE → STARTING, per attempt) of the trace's jobs, per job queue."""
    if not by_queue:
        return []
    rows = [
        [queue, *(format_duration(stats.get(k)) for k in ("mean", "p50", "p95", "max"))]
        for queue, stats in by_queue.items()
    ]
    return [*markdown_table(["Job queue", "Mean wait", "p50", "p95", "Max"], rows), ""]

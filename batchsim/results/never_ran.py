"""Jobs a run left that can never run: still RUNNABLE at the end with AWS's MISCONFIGURATION
statusReason (no CE of their queue could ever place them). ``run`` says so loudly and exits 4;
``report.md`` lists them by reason."""

from __future__ import annotations

import pandas as pd

from batchsim.records import MISCONFIGURATION


def never_ran(jobs: pd.DataFrame) -> list[tuple[str, int]]:
    """Return (statusReason, jobs) for the RUNNABLE jobs left with a MISCONFIGURATION reason,
    most jobs first (then by reason)."""
    if jobs.empty:
        return []
    reasons = jobs["statusReason"].where(jobs["status"] == "RUNNABLE")
    stuck = reasons[reasons.str.startswith(MISCONFIGURATION, na=False)]
    counts = stuck.value_counts()
    return sorted(((str(r), int(n)) for r, n in counts.items()), key=lambda p: (-p[1], p[0]))


def _jobs(count: int) -> str:
    return "1 job" if count == 1 else f"{count:,} jobs"


def loud_line(left: list[tuple[str, int]], source: str) -> str:
    """Return the terminal's warning about jobs that can never run: how many, AWS's reason
    codes, and the ``batchsim doctor`` command (with ``source``, the scenario file and its
    ``--set`` options) that says why."""
    total = sum(n for _, n in left)
    by_code: dict[str, int] = {}
    for reason, n in left:
        code = reason.split(" - ")[0]
        by_code[code] = by_code.get(code, 0) + n
    codes = ", ".join(f"{n:,} × {code}" for code, n in by_code.items())
    return (
        f"!! {_jobs(total).upper()} CAN NEVER RUN (left RUNNABLE): {codes}; "
        f"`batchsim doctor {source}` says why"
    )


def report_section(left: list[tuple[str, int]]) -> list[str]:
    """Return report.md's "Jobs that never ran" section (nothing when every job could run)."""
    if not left:
        return []
    rows = [f"| {n:,} | {reason} |" for reason, n in left]
    return [
        "## Jobs that never ran",
        "",
        "Still RUNNABLE at the end: no compute environment of their queue can ever place them. "
        "`batchsim doctor` on the scenario explains each.",
        "",
        "| Jobs | AWS statusReason |",
        "|---|---|",
        *rows,
        "",
    ]

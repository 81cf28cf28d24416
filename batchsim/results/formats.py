"""Formatting shared by the human-readable views (``report.md``, ``report.html``, the terminal):
durations, dollars, shares, state counts and Markdown tables, all deterministic."""

from __future__ import annotations

from batchsim.records import TERMINAL_STATES, JobState

MISSING = "n/a"
# Lifecycle end first: SUCCEEDED, FAILED, then RUNNING back to SUBMITTED.
_STATE_ORDER = (JobState.SUCCEEDED.value, JobState.FAILED.value) + tuple(
    state.value for state in reversed(JobState) if state not in TERMINAL_STATES
)


def format_duration(seconds: float | None) -> str:
    """Return ``seconds`` as "45 s", "22 min 10 s" or "3 h 05 min" ("n/a" for None)."""
    if seconds is None:
        return MISSING
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{seconds:.3g} s"


def format_usd(amount: float | None) -> str:
    """Return ``amount`` in dollars: 4 decimals below $1, cents with separators above."""
    if amount is None:
        return MISSING
    return f"${amount:.4f}" if abs(amount) < 1 else f"${amount:,.2f}"


def format_percent(share: float | None) -> str:
    """Return a 0–1 ``share`` as a percentage with one decimal."""
    return MISSING if share is None else f"{100 * share:.1f} %"


def format_counts(counts: dict[str, int]) -> str:
    """Return non-zero state counts as "8 SUCCEEDED, 2 FAILED" (lifecycle end first)."""
    order = [s for s in _STATE_ORDER if s in counts] + sorted(set(counts) - set(_STATE_ORDER))
    parts = [f"{counts[s]} {s}" for s in order if counts[s]]
    return ", ".join(parts) or "none"


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Return the lines of a Markdown table of ``header`` and ``rows``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]

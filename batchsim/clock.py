"""The wall clock of a run: simulated seconds count from a fixed instant, so outputs and
schedules are reproducible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Wall-clock instant of simulated t = 0 (a Thursday, 00:00 UTC)."""


def wall_clock(seconds: float) -> str:
    """Return simulated ``seconds`` as a UTC date and time to the minute ('2026-01-01T02:00Z')."""
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%MZ")

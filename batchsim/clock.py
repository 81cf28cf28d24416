"""The wall clock of a run: simulated seconds count from a fixed instant, so outputs and
schedules are reproducible."""

from __future__ import annotations

from datetime import UTC, datetime

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Wall-clock instant of simulated t = 0 (a Thursday, 00:00 UTC)."""

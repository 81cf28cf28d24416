"""Plots of long runs: a timeline of millions of steps is drawn as its envelope."""

from __future__ import annotations

import numpy as np
import pandas as pd

from batchsim.results import plots


def test_step_envelope_by_hand():
    times = np.array([0.0, 1, 2, 3, 4, 5])
    levels = np.array([0.0, 5, 1, 3, 2, 4])
    x, y = plots.step_envelope(times, levels, buckets=2)
    # Slices [0, 2.5) and [2.5, 5]: rows 0–2 and 3–5. Each: first level, highest, lowest, last
    # level at the slice's first time, then the last level held to the next slice's first time.
    assert x.tolist() == [0, 0, 0, 0, 3, 3, 3, 3, 3, 5]
    assert y.tolist() == [0, 5, 0, 1, 1, 3, 4, 2, 4, 4]


def test_step_envelope_keeps_a_lone_spike_and_a_lone_trough():
    times = np.arange(100_000, dtype=float)
    levels = np.full(len(times), 10.0)
    levels[31_337], levels[31_338], levels[77_777] = 99.0, 10.0, 0.0  # one step up, one down
    x, y = plots.step_envelope(times, levels, buckets=400)
    assert y.max() == 99.0 and y.min() == 0.0
    assert x[np.argmax(y)] <= 31_337 < x[np.argmax(y)] + 250  # drawn in the slice holding it


def test_step_envelope_keeps_every_peak_and_trough_and_the_level_between_slices():
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.exponential(1.0, 200_000))
    levels = rng.integers(0, 64, len(times)).astype(float)
    x, y = plots.step_envelope(times, levels, buckets=500)
    assert len(x) <= 5 * 500
    assert y.max() == levels.max() and y.min() == levels.min()
    # Every x is a time of the series (or its last time), in order.
    assert np.all(np.diff(x) >= 0) and np.isin(x, times).all()
    # The level drawn at each slice's start is the series' level there.
    firsts = x[0::5]
    assert np.array_equal(y[0::5], levels[np.searchsorted(times, firsts)])


def test_long_timelines_are_drawn_as_envelopes_short_ones_as_steps():
    def timeline(rows: int) -> pd.DataFrame:
        time = np.arange(rows, dtype=float)
        ones = np.ones(rows)
        columns = ["RUNNABLE", "STARTING", "RUNNING", "vcpusDesired", "vcpusReady", "vcpusInUse"]
        return pd.DataFrame({"time": time, **{c: ones for c in columns}})

    short = plots.jobs_figure(timeline(1_000)).axes[0].lines
    long = plots.jobs_figure(timeline(plots.MAX_STEPS + 1)).axes[0].lines
    assert all(line.get_drawstyle() == "steps-post" for line in short)
    assert all(len(line.get_xdata()) <= 5 * plots.ENVELOPE_BUCKETS for line in long)

"""Simulated times and durations in words: ``clock(3723.5)`` → "1:02:03.5", ``span(90)`` →
"1 min 30 s"."""

from __future__ import annotations


def clock(at: float) -> str:
    """Return the instant ``at`` (s from t=0) as h:mm:ss, tenths shown when not whole."""
    hours, rest = divmod(at, 3600.0)
    minutes, seconds = divmod(rest, 60.0)
    whole = abs(seconds - round(seconds)) < 0.05
    secs = f"{round(seconds):02d}" if whole else f"{seconds:04.1f}"
    return f"{int(hours)}:{int(minutes):02d}:{secs}"


def span(seconds: float) -> str:
    """Return a duration in its two largest units: "45 s", "3 min 12 s", "2 h 17 min"."""
    if seconds < 60:
        return f"{seconds:.3g} s" if seconds != int(seconds) else f"{int(seconds)} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"

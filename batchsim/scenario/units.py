"""Human units at the edge of the model: durations, rates and memory sizes.

Inside the engine time is float seconds, rates are per second and memory is MiB. These parsers
turn what a user writes in YAML ("90s", "2h", "30/h", "8GiB") into those units and raise
``ValueError`` with a short message naming the accepted forms otherwise.
"""

from __future__ import annotations

import math
import re

SECONDS_PER_UNIT = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
MIB_PER_UNIT = {"mib": 1.0, "mb": 1.0, "gib": 1024.0, "gb": 1024.0, "tib": 1024.0**2}

_QUANTITY = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*$")


def _split(text: str) -> tuple[float, str]:
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError(f"cannot read {text!r} as a number with a unit")
    return float(match.group(1)), match.group(2).lower()


def _finite_non_negative(value: float, text: object, noun: str) -> float:
    if value < 0:
        raise ValueError(f"{text!r} is negative; {noun} must be ≥ 0")
    if not math.isfinite(value):
        raise ValueError(f"{text!r} must be a finite quantity")
    return value


MAX_DURATION_S = 1e10
"""Longest duration accepted (about 317 years): longer ones overflow sums of times to inf."""


def parse_duration(value: object) -> float:
    """Return seconds for ``value``: a plain number (seconds) or a string like "90s", "5m", "2h", "1d"."""
    seconds = _duration(value)
    if seconds > MAX_DURATION_S:
        raise ValueError(f"{value!r} is longer than {MAX_DURATION_S:.0e} s (about 317 years)")
    return seconds


def _duration(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("a duration cannot be true/false")
    if isinstance(value, int | float):
        return _finite_non_negative(float(value), value, "durations")
    if not isinstance(value, str):
        raise ValueError(
            f"a duration must be a number of seconds or a string like '90s', not {value!r}"
        )
    number, unit = _split(value)
    if unit == "":
        return _finite_non_negative(number, value, "durations")
    if unit not in SECONDS_PER_UNIT:
        raise ValueError(f"unknown time unit {unit!r} in {value!r}; use ms, s, m, h, d or w")
    return _finite_non_negative(number * SECONDS_PER_UNIT[unit], value, "durations")


def parse_rate(value: object) -> float:
    """Return events per second for ``value``: a number (per second) or "30/h", "2/m", "0.5/s"."""
    if isinstance(value, bool):
        raise ValueError("a rate cannot be true/false")
    if isinstance(value, int | float):
        return _finite_non_negative(float(value), value, "rates")
    if not isinstance(value, str) or "/" not in value:
        raise ValueError(f"a rate must look like '30/h', '2/m' or '0.5/s', not {value!r}")
    count_text, per_text = value.split("/", 1)
    count, _ = _split(count_text)
    per = (
        parse_duration("1" + per_text.strip())
        if per_text.strip().isalpha()
        else parse_duration(per_text)
    )
    if per <= 0:
        raise ValueError(f"the period in {value!r} must be positive")
    return _finite_non_negative(count / per, value, "rates")


def parse_memory_mib(value: object) -> float:
    """Return MiB for ``value``: a number (MiB, as AWS) or "512MiB", "8GiB", "8GB" (GB read as GiB)."""
    if isinstance(value, bool):
        raise ValueError("a memory size cannot be true/false")
    if isinstance(value, int | float):
        return _finite_non_negative(float(value), value, "memory sizes")
    if not isinstance(value, str):
        raise ValueError(f"a memory size must be MiB or a string like '8GiB', not {value!r}")
    number, unit = _split(value)
    if unit == "":
        return _finite_non_negative(number, value, "memory sizes")
    if unit not in MIB_PER_UNIT:
        raise ValueError(f"unknown memory unit {unit!r} in {value!r}; use MiB or GiB")
    return _finite_non_negative(number * MIB_PER_UNIT[unit], value, "memory sizes")

"""The values of one swept parameter: lists, ranges and the YAML text of each value.

A ``--vary`` value text is a comma-separated list of items (commas inside brackets or braces
do not split), each read as YAML like a ``--set`` value, so ``64,128`` are two ints and
``[c5],[c6i,m6i]`` two lists. An item may also be a numeric range:

- ``a..b+s`` (arithmetic): a, a+s, a+2s, … up to b included;
- ``a..b*f`` (geometric): a, a·f, a·f², … up to b included (a > 0, f > 1);
- ``a..b`` (no step): the continuous interval [a, b], only for Latin hypercube sampling, where
  a draw u in [0, 1) gives a + u·(b−a), rounded to a whole number when a and b are whole.

Values are whole numbers when the bounds and the step are; otherwise floats.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from batchsim.scenario.yamlmap import load_value

_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
RANGE = re.compile(
    rf"^\s*(?P<low>{_NUMBER})\s*\.\.\s*(?P<high>{_NUMBER})\s*(?:(?P<op>[*+])\s*(?P<step>{_NUMBER}))?\s*$"
)
"""``a..b``, ``a..b+s`` or ``a..b*f``."""
MAX_LEVELS = 10_000
"""Most values one range may expand to: far above a useful grid, far below a typo like 1..1e9+1."""
_OPEN, _CLOSE = "[{", "]}"


@dataclass(frozen=True)
class Span:
    """A continuous range ``low..high`` from which Latin hypercube sampling draws values."""

    low: float
    high: float
    integer: bool

    def at(self, fraction: float) -> float | int:
        """Return the value at ``fraction`` (in [0, 1)) of the way from ``low`` to ``high``."""
        value = self.low + fraction * (self.high - self.low)
        return int(round(value)) if self.integer else value

    def text(self) -> str:
        """Return the range as written in a sweep spec: ``low..high``."""
        low, high = (int(v) if self.integer else v for v in (self.low, self.high))
        return f"{low}..{high}"


Values = list[Any] | Span


def split_items(text: str) -> list[str]:
    """Split ``text`` at the commas that are outside brackets and braces."""
    items, depth, start = [], 0, 0
    for position, char in enumerate(text):
        depth += (char in _OPEN) - (char in _CLOSE)
        if char == "," and depth == 0:
            items.append(text[start:position])
            start = position + 1
    items.append(text[start:])
    return items


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def expand_range(text: str) -> Values:
    """Return the values of the range ``text`` (a :class:`Span` when it has no step).

    Raises ``ValueError`` naming the problem (an empty range, a step that never reaches the
    end, more than :data:`MAX_LEVELS` values).
    """
    match = RANGE.match(text)
    if match is None:
        raise ValueError(f"cannot read {text!r} as a range a..b+step or a..b*factor")
    low, high = _number(match["low"]), _number(match["high"])
    if high < low:
        raise ValueError(f"the range {text.strip()!r} ends below its start")
    if match["op"] is None:
        return Span(float(low), float(high), isinstance(low, int) and isinstance(high, int))
    step = _number(match["step"])
    if match["op"] == "+":
        return _arithmetic(low, high, step, text)
    return _geometric(low, high, step, text)


def _count(levels: float, text: str) -> int:
    if levels > MAX_LEVELS:
        raise ValueError(f"the range {text.strip()!r} has over {MAX_LEVELS:,} values")
    return int(levels)


def _arithmetic(low: int | float, high: int | float, step: int | float, text: str) -> list:
    if step <= 0:
        raise ValueError(f"the step of {text.strip()!r} must be greater than 0")
    # NOTE: the 1e-9 keeps an end reached up to float rounding (0..1+0.1 ends at 1.0).
    count = _count(math.floor((high - low) / step + 1e-9) + 1, text)
    return [low + index * step for index in range(count)]


def _geometric(low: int | float, high: int | float, factor: int | float, text: str) -> list:
    if low <= 0 or factor <= 1:
        raise ValueError(f"a geometric range {text.strip()!r} needs a start > 0 and a factor > 1")
    count = _count(math.floor(math.log(high / low) / math.log(factor) + 1e-9) + 1, text)
    return [low * factor**index for index in range(count)]


def parse_values(text: str) -> Values:
    """Return the values of a ``--vary`` value text (see the module docstring).

    Raises ``ValueError`` for an item that is not YAML, a bad range, or a range without a step
    among other items (a continuous range stands alone).
    """
    items = split_items(text)
    values: list[Any] = []
    for item in items:
        expanded = _item_values(item)
        if isinstance(expanded, Span):
            if len(items) > 1:
                raise ValueError(f"the continuous range {item.strip()!r} must stand alone")
            return expanded
        values += expanded
    return values


def _item_values(item: str) -> Values:
    if RANGE.match(item):
        return expand_range(item)
    if not item.strip():
        raise ValueError("an empty value between commas; write '' for an empty string")
    try:
        return [load_value(item)]
    except yaml.YAMLError as error:
        reason = str(error) if type(error) is yaml.YAMLError else error.__class__.__name__
        raise ValueError(f"cannot read the value {item.strip()!r} as YAML ({reason})") from None


def values_from_yaml(node: Any) -> Values:
    """Return the values written in a sweep file: a list of values (a string item that is a
    stepped range is expanded), or a string read as a ``--vary`` value text."""
    if isinstance(node, str):
        return parse_values(node)
    if not isinstance(node, list) or not node:
        raise ValueError("expected a non-empty list of values or a string like '64..1024*2'")
    values: list[Any] = []
    for item in node:
        expanded = expand_range(item) if isinstance(item, str) and RANGE.match(item) else [item]
        if isinstance(expanded, Span):
            raise ValueError(f"the continuous range {item!r} must stand alone, not in a list")
        values += expanded
    return values


def value_text(value: Any) -> str:
    """Return ``value`` as one-line YAML that reads back to it (a ``--set`` VALUE)."""
    if value is None:
        return ""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()

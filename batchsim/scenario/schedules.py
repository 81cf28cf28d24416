"""Amazon EventBridge schedule expressions: ``rate(value unit)`` and ``cron(fields)``.

A workload entry can say ``schedule: "rate(5 minutes)"`` or ``schedule: "cron(0 2 * * ? *)"``
and be submitted at every firing. Expressions are checked against the rules AWS documents
(six cron fields, exactly one ``?`` among day-of-month and day-of-week, singular rate units
for a value of 1, …) and rejected with a :class:`ScheduleError` that says what is wrong.

Cron expressions are evaluated in UTC by ``croniter``; the AWS syntax is translated to
croniter's first (day-of-week 1-7 with 1 = SUN becomes 0-6 with 0 = SUN, ``6L`` becomes
``L5``, the year becomes croniter's seventh field, …). Simulated t = 0 is
:data:`batchsim.clock.EPOCH`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from croniter import CroniterBadDateError, croniter

from batchsim.clock import EPOCH
from batchsim.errors import ScheduleError

__all__ = ["Schedule", "ScheduleError", "parse_schedule"]

_SECONDS_PER_UNIT = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"^rate\((?P<body>.*)\)$")
_CRON = re.compile(r"^cron\((?P<body>.*)\)$")
_ITEM = re.compile(r"^(?P<start>\*|[0-9A-Z]+)(?:-(?P<end>[0-9A-Z]+))?(?:/(?P<step>[0-9]+))?$")
_NTH_WEEKDAY = re.compile(r"^(?P<day>[0-9A-Z]+?)#(?P<nth>[0-9]+)$")
_LAST_WEEKDAY = re.compile(r"^(?P<day>[0-9A-Z]+?)L$")
_NEAREST_WEEKDAY = re.compile(r"^(?P<day>[0-9]+)W$")
_FIELD_LIST = "minutes hours day-of-month month day-of-week year"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIRST_YEAR, _LAST_YEAR = 1970, 2199
_FIRST_SECOND = (datetime(_FIRST_YEAR, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()
_LAST_SECOND = (datetime(_LAST_YEAR, 12, 31, 23, 59, tzinfo=UTC) - EPOCH).total_seconds()


class _AwsCroniter(croniter):
    """croniter with the year range AWS allows (1970-2199; croniter stops at 2099)."""

    RANGES = (*croniter.RANGES[:6], (_FIRST_YEAR, _LAST_YEAR))  # type: ignore[misc]
    # croniter collapses a field listing every value into "*", so this count must follow RANGES.
    LEN_MEANS_ALL = (*croniter.LEN_MEANS_ALL[:6], _LAST_YEAR - _FIRST_YEAR + 1)  # type: ignore[misc]


@dataclass(frozen=True)
class _Field:
    """One AWS cron field: its name, its value range, value names and the wildcards it allows."""

    name: str
    low: int
    high: int
    wildcards: str
    names: tuple[str, ...] = ()

    @property
    def allows_step(self) -> bool:
        """Whether the field accepts the ``/`` increment wildcard."""
        return "/" in self.wildcards

    def describe(self) -> str:
        """The accepted values as AWS's documentation writes them, e.g. ``1-12 or JAN-DEC``."""
        values = f"{self.low}-{self.high}"
        return f"{values} or {self.names[0]}-{self.names[-1]}" if self.names else values


_MINUTES = _Field("minutes", 0, 59, ", - * /")
_HOURS = _Field("hours", 0, 23, ", - * /")
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, ", - * ? / L W")
_MONTH = _Field("month", 1, 12, ", - * /", _MONTHS)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, ", - * ? L #", _WEEKDAYS)
_YEAR = _Field("year", _FIRST_YEAR, _LAST_YEAR, ", - * /")


@dataclass(frozen=True)
class Schedule:
    """A parsed EventBridge schedule expression; constructing one validates ``expression``.

    ``rate(N unit)`` fires at ``start_s``, ``start_s + period``, ``start_s + 2·period``, …:
    EventBridge Scheduler starts a rate schedule at its start date, and here the start date
    is the ``start_s`` given to :meth:`firings`. ``cron(...)`` fires at every matching UTC
    minute at or after ``start_s``.
    """

    expression: str
    _period_s: float | None = field(init=False, default=None, repr=False, compare=False)
    _croniter_expression: str | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        period_s, croniter_expression = _parse(self.expression)
        # The frozen dataclass has no other way to fill derived fields once, at construction.
        object.__setattr__(self, "_period_s", period_s)
        object.__setattr__(self, "_croniter_expression", croniter_expression)

    def firings(self, start_s: float, until_s: float) -> Iterator[float]:
        """Simulated times (seconds from t=0) of the firings in [start_s, until_s], in order."""
        if self._period_s is not None:
            return _rate_firings(self._period_s, start_s, until_s)
        assert self._croniter_expression is not None
        return _cron_firings(self._croniter_expression, start_s, until_s)


def parse_schedule(expression: str) -> Schedule:
    """Parse 'rate(...)' or 'cron(...)'; raise ScheduleError naming the problem."""
    return Schedule(expression)


def _parse(expression: object) -> tuple[float | None, str | None]:
    """Return ``(period_s, None)`` for a rate or ``(None, croniter expression)`` for a cron."""
    if not isinstance(expression, str):
        raise ScheduleError(f"a schedule expression must be a string, not {expression!r}")
    text = expression.strip()
    if rate := _RATE.match(text):
        return _rate_period(text, rate["body"]), None
    if cron := _CRON.match(text):
        return None, _croniter_expression(text, cron["body"])
    raise ScheduleError(
        f"unknown schedule expression {expression!r}: use rate(value unit) or cron(fields)"
    )


# ---------------------------------------------------------------------------- rate(value unit)


def _rate_period(text: str, body: str) -> float:
    """Return the period in seconds of ``rate(body)``, enforcing AWS's unit agreement."""
    parts = body.split()
    if len(parts) != 2:
        raise ScheduleError(f"{text}: write rate(value unit), e.g. rate(5 minutes)")
    value, unit = parts
    if not value.isascii() or not value.isdigit() or int(value) == 0:
        raise ScheduleError(f"{text}: the value must be a positive integer, got {value!r}")
    singular = unit.removesuffix("s")
    if singular not in _SECONDS_PER_UNIT:
        raise ScheduleError(f"{text}: the unit must be minute(s), hour(s) or day(s), got {unit!r}")
    count = int(value)
    if count == 1 and unit != singular:
        raise ScheduleError(f"{text}: use {singular!r} when the value is 1")
    if count > 1 and unit == singular:
        raise ScheduleError(f"{text}: use {singular + 's'!r} when the value is greater than 1")
    return count * _SECONDS_PER_UNIT[singular]


def _rate_firings(period_s: float, start_s: float, until_s: float) -> Iterator[float]:
    """Yield ``start_s + k·period_s`` for k = 0, 1, … while it is at most ``until_s``."""
    for k in itertools.count():
        # Multiplying, not accumulating, keeps the thousandth firing free of summed rounding.
        fire = start_s + k * period_s
        if fire > until_s:
            return
        yield fire


# ------------------------------------------------------------------------------- cron(fields)


def _croniter_expression(text: str, body: str) -> str:
    """Translate the six AWS cron fields into croniter's ``min hour dom month dow sec year``."""
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleError(
            f"cron expression needs 6 fields ({_FIELD_LIST}), got {len(fields)}: {body.strip()!r}"
        )
    minutes, hours, day_of_month, month, day_of_week, year = (f.upper() for f in fields)
    _check_one_question_mark(text, day_of_month, day_of_week)
    translated = (
        _plain_field(text, minutes, _MINUTES),
        _plain_field(text, hours, _HOURS),
        _day_of_month_field(text, day_of_month),
        _plain_field(text, month, _MONTH),
        _day_of_week_field(text, day_of_week),
        "0",
        _year_field(text, year),
    )
    expression = " ".join(translated)
    _check_croniter_accepts(text, expression)
    return expression


def _check_one_question_mark(text: str, day_of_month: str, day_of_week: str) -> None:
    """AWS requires exactly one of day-of-month and day-of-week to be ``?``."""
    if day_of_month == "?" and day_of_week == "?":
        raise ScheduleError(
            f"{text}: '?' in both day-of-month and day-of-week; give a value (or *) in one of them"
        )
    if day_of_month != "?" and day_of_week != "?":
        raise ScheduleError(
            f"{text}: use '?' in day-of-month or day-of-week (AWS cron cannot set both)"
        )


def _check_croniter_accepts(text: str, expression: str) -> None:
    """Build the croniter once so that whatever it rejects surfaces now, as a ScheduleError."""
    try:
        _AwsCroniter(expression, EPOCH)
    # croniter's own errors derive from ValueError or TypeError, as do int() and range() inside it.
    except (ValueError, TypeError) as error:
        raise ScheduleError(f"{text}: not a valid cron expression ({error})") from None


def _plain_field(text: str, value: str, spec: _Field) -> str:
    """Translate a field made only of values, ranges, ``*`` and increments (no shift needed)."""
    return _items(text, value, spec, shift=0)


def _year_field(text: str, value: str) -> str:
    """Translate the year field; unlike hours or weekdays, a year range cannot wrap around."""
    for item in value.split(","):
        match = _ITEM.match(item)
        if match and match["end"] and match["start"] != "*":
            start, end = (_value(text, match[g], _YEAR) for g in ("start", "end"))
            if start > end:
                raise ScheduleError(f"{text}: year range {item!r} runs backwards")
    return _items(text, value, _YEAR, shift=0)


def _day_of_month_field(text: str, value: str) -> str:
    """Translate day-of-month: ``?`` becomes ``*``, ``nW`` stands alone, ``L`` may join a list."""
    if value == "?":
        return "*"
    if nearest := _NEAREST_WEEKDAY.match(value):
        return f"{_value(text, nearest['day'], _DAY_OF_MONTH)}W"
    if "W" in value:
        raise ScheduleError(
            f"{text}: day-of-month 'W' takes one day and stands alone in the field, e.g. 15W"
        )
    return ",".join(
        "L" if item == "L" else _item(text, item, _DAY_OF_MONTH, shift=0)
        for item in value.split(",")
    )


def _day_of_week_field(text: str, value: str) -> str:
    """Translate day-of-week from AWS's 1-7 (1 = SUN) to croniter's 0-6 (0 = SUN).

    ``?`` becomes ``*``; ``L`` alone is the last day of the week, Saturday; ``nL`` (the last
    weekday n of the month) becomes croniter's ``L(n-1)``; ``n#k`` becomes ``(n-1)#k``.
    """
    if value == "?":
        return "*"
    if value == "L":
        return "6"
    if "#" in value:
        return _nth_weekday(text, value)
    if last := _LAST_WEEKDAY.match(value):
        return f"L{_value(text, last['day'], _DAY_OF_WEEK) - 1}"
    if "L" in value:
        raise ScheduleError(
            f"{text}: day-of-week 'L' stands alone in the field: L (Saturday) or nL, e.g. 6L"
        )
    return _items(text, value, _DAY_OF_WEEK, shift=-1)


def _nth_weekday(text: str, value: str) -> str:
    """Translate ``n#k`` (the k-th weekday n of the month), which AWS allows only alone."""
    match = _NTH_WEEKDAY.match(value)
    if match is None:
        raise ScheduleError(
            f"{text}: day-of-week '#' must be the only expression in the field, e.g. 3#2 "
            f"(the second Tuesday); got {value!r}"
        )
    nth = int(match["nth"])
    if not 1 <= nth <= 5:
        raise ScheduleError(f"{text}: day-of-week {value!r}: the number after '#' must be 1-5")
    return f"{_value(text, match['day'], _DAY_OF_WEEK) - 1}#{nth}"


def _items(text: str, value: str, spec: _Field, shift: int) -> str:
    """Translate a comma-separated list of ``*``, ``a``, ``a-b`` with optional ``/step``."""
    return ",".join(_item(text, item, spec, shift) for item in value.split(","))


def _item(text: str, item: str, spec: _Field, shift: int) -> str:
    """Translate one list item, adding ``shift`` to each value (croniter's numbering)."""
    match = _ITEM.match(item)
    if match is None or (match["start"] == "*" and match["end"] is not None):
        raise ScheduleError(f"{text}: {spec.name} {item!r} is not valid; {_allowed(spec)}")
    step = _step(text, item, match["step"], spec)
    if match["start"] == "*":
        return "*" + step

    def number(token: str) -> int:
        return _value(text, token, spec) + shift

    start = number(match["start"])
    if match["end"] is None:
        return f"{start}{step}"
    end = number(match["end"])
    if end == start:
        # croniter reads an equal range such as "5-5" as the whole cycle; AWS means the one value.
        return str(start)
    return f"{start}-{end}{step}"


def _step(text: str, item: str, step: str | None, spec: _Field) -> str:
    """Return ``/step`` (or nothing), checking the field allows increments and step ≥ 1."""
    if step is None:
        return ""
    if not spec.allows_step:
        raise ScheduleError(f"{text}: {spec.name} {item!r} is not valid; {_allowed(spec)}")
    if int(step) == 0:
        raise ScheduleError(f"{text}: {spec.name} {item!r}: the increment must be at least 1")
    return f"/{int(step)}"


def _value(text: str, token: str, spec: _Field) -> int:
    """Return the AWS number of ``token`` (a number or a name such as JAN or MON) in ``spec``."""
    if token in spec.names:
        return spec.low + spec.names.index(token)
    if token.isdigit() and spec.low <= int(token) <= spec.high:
        return int(token)
    raise ScheduleError(f"{text}: {spec.name} value {token!r} must be {spec.describe()}")


def _allowed(spec: _Field) -> str:
    """Describe what a field accepts, for error messages."""
    return f"{spec.name} takes {spec.describe()} with the wildcards {spec.wildcards}"


def _cron_firings(expression: str, start_s: float, until_s: float) -> Iterator[float]:
    """Yield the whole-minute UTC firings of a croniter expression in [start_s, until_s]."""
    last = min(until_s, _LAST_SECOND)
    first = max(start_s, _FIRST_SECOND)
    if first > last:
        return
    # croniter returns firings strictly after its start, and every firing is a whole second.
    cursor = EPOCH + timedelta(seconds=math.ceil(first) - 1)
    years_to_search = _to_datetime(last).year - cursor.year + 1
    schedule = _AwsCroniter(expression, cursor, max_years_between_matches=years_to_search)
    while True:
        try:
            fire = schedule.get_next(datetime)
        except CroniterBadDateError:  # no further firing within the years searched
            return
        seconds = (fire - EPOCH).total_seconds()
        if seconds > until_s:
            return
        yield seconds


def _to_datetime(seconds: float) -> datetime:
    """The UTC wall-clock instant of simulated ``seconds``."""
    return EPOCH + timedelta(seconds=seconds)

"""EventBridge schedule expressions: firing times computed by hand, and every rejection AWS makes.

Simulated t = 0 is 2026-01-01 00:00 UTC, a Thursday. January 2026: Mondays are the 5th, 12th,
19th and 26th; Tuesdays the 6th and 13th; the last Friday is the 30th.
"""

from __future__ import annotations

import itertools
import math
import re
from datetime import UTC, datetime

import pytest
from croniter import CroniterBadCronError

from batchsim.scenario import schedules
from batchsim.scenario.schedules import Schedule, ScheduleError, parse_schedule

MINUTE, HOUR, DAY = 60, 3600, 86400


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    """Simulated seconds of a UTC wall-clock time."""
    return (datetime(year, month, day, hour, minute, tzinfo=UTC) - schedules.EPOCH).total_seconds()


def firings(expression: str, start_s: float, until_s: float) -> list[float]:
    return list(parse_schedule(expression).firings(start_s, until_s))


# ------------------------------------------------------------------------------------------ rate


def test_rate_fires_at_the_start_then_every_period_including_until():
    assert firings("rate(5 minutes)", 0, 20 * MINUTE) == [0, 300, 600, 900, 1200]


def test_rate_counts_from_start_not_from_t0():
    assert firings("rate(1 hour)", 90, 3 * HOUR + 90) == [90, 3690, 7290, 10890]


def test_rate_in_days_stops_before_until():
    assert firings("rate(2 days)", 0, 5 * DAY) == [0, 2 * DAY, 4 * DAY]


def test_rate_singular_units():
    assert firings("rate(1 minute)", 0, 2 * MINUTE) == [0, 60, 120]
    assert firings("rate(1 day)", 0, DAY) == [0, DAY]


def test_rate_is_lazy_and_unbounded():
    never_ending = parse_schedule("rate(1 minute)").firings(0, math.inf)
    assert list(itertools.islice(never_ending, 3)) == [0, 60, 120]


def test_rate_with_empty_window_fires_nothing():
    assert firings("rate(5 minutes)", 100, 50) == []


# ------------------------------------------------------------------------------------------ cron


def test_cron_daily_at_two():
    assert firings("cron(0 2 * * ? *)", 0, 3 * DAY) == [7200, 93600, 180000]


def test_cron_every_quarter_hour():
    assert firings("cron(0/15 * * * ? *)", 0, HOUR) == [0, 900, 1800, 2700, 3600]


def test_cron_increment_starting_at_minute_one():
    assert firings("cron(1/10 0 * * ? *)", 0, HOUR) == [60, 660, 1260, 1860, 2460, 3060]


def test_cron_weekdays_by_name():
    first_week = firings("cron(0 9 ? * MON-FRI *)", 0, 7 * DAY)
    assert first_week == [at(2026, 1, d, 9) for d in (1, 2, 5, 6, 7)]


def test_cron_numeric_day_of_week_two_is_monday():
    assert firings("cron(0 9 ? * 2 *)", 0, 21 * DAY) == [at(2026, 1, d, 9) for d in (5, 12, 19)]


def test_cron_numeric_day_of_week_range():
    # AWS 2-6 is MON-FRI.
    assert firings("cron(0 9 ? * 2-6 *)", 0, 7 * DAY) == firings(
        "cron(0 9 ? * MON-FRI *)", 0, 7 * DAY
    )


def test_cron_numeric_day_of_week_list_one_and_seven_are_the_weekend():
    assert firings("cron(0 0 ? * 1,7 *)", 0, 11 * DAY) == [at(2026, 1, d) for d in (3, 4, 10, 11)]


def test_cron_day_of_week_range_wraps_over_the_weekend():
    fri_to_mon = firings("cron(0 0 ? * FRI-MON *)", 0, 7 * DAY)
    assert fri_to_mon == [at(2026, 1, d) for d in (2, 3, 4, 5)]


def test_cron_last_friday_of_the_month():
    last_fridays = firings("cron(0 12 ? * 6L *)", 0, at(2026, 4, 1))
    assert last_fridays == [at(2026, 1, 30, 12), at(2026, 2, 27, 12), at(2026, 3, 27, 12)]


def test_cron_last_weekday_by_name():
    assert firings("cron(0 12 ? * FRIL *)", 0, at(2026, 2, 1)) == [at(2026, 1, 30, 12)]


def test_cron_l_alone_in_day_of_week_is_saturday():
    assert firings("cron(0 0 ? * L *)", 0, 14 * DAY) == [at(2026, 1, 3), at(2026, 1, 10)]


def test_cron_nth_weekday_of_the_month():
    second_tuesdays = firings("cron(0 10 ? * 3#2 *)", 0, at(2026, 3, 1))
    assert second_tuesdays == [at(2026, 1, 13, 10), at(2026, 2, 10, 10)]


def test_cron_first_sunday():
    # 2026-02-01 is itself a Sunday.
    assert firings("cron(0 0 ? * 1#1 *)", 0, at(2026, 2, 1)) == [at(2026, 1, 4), at(2026, 2, 1)]


def test_cron_last_day_of_the_month():
    last_days = firings("cron(0 0 L * ? *)", 0, at(2026, 4, 1))
    assert last_days == [at(2026, 1, 31), at(2026, 2, 28), at(2026, 3, 31)]


def test_cron_last_day_in_a_list_of_days():
    assert firings("cron(0 0 15,L * ? *)", 0, at(2026, 2, 1)) == [at(2026, 1, 15), at(2026, 1, 31)]


def test_cron_nearest_weekday_moves_off_the_weekend():
    # 2026-01-03 is a Saturday (so the Friday before); 2026-05-03 is a Sunday (the Monday after).
    assert firings("cron(0 0 3W * ? *)", 0, at(2026, 2, 28)) == [at(2026, 1, 2), at(2026, 2, 3)]
    assert firings("cron(0 0 3W * ? *)", at(2026, 5, 1), at(2026, 5, 31)) == [at(2026, 5, 4)]


def test_cron_nearest_weekday_stays_in_its_month():
    # 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday July 31.
    assert firings("cron(0 0 1W * ? *)", at(2026, 7, 30), at(2026, 8, 5)) == [at(2026, 8, 3)]


def test_cron_month_names_with_an_increment():
    quarters = firings("cron(0 0 1 JAN/3 ? *)", 0, at(2027, 1, 1) - 1)
    assert quarters == [at(2026, m, 1) for m in (1, 4, 7, 10)]


def test_cron_hour_range_wraps_past_midnight():
    assert firings("cron(0 22-1 * * ? *)", 0, DAY - 1) == [0, HOUR, 22 * HOUR, 23 * HOUR]


def test_cron_equal_range_is_one_value():
    assert firings("cron(0 9-9 * * ? *)", 0, 2 * DAY) == [at(2026, 1, 1, 9), at(2026, 1, 2, 9)]


def test_cron_year_fires_once_when_until_reaches_it():
    assert firings("cron(0 0 1 1 ? 2027)", 0, 2 * 365 * DAY) == [365 * DAY]
    assert firings("cron(0 0 1 1 ? 2027)", 0, 365 * DAY - 1) == []


def test_cron_years_beyond_croniters_2099():
    assert firings("cron(0 0 1 1 ? 2150)", 0, math.inf) == [at(2150, 1, 1)]


def test_cron_year_range_ending_2099_stops_there():
    assert firings("cron(0 0 1 1 ? 1970-2099)", at(2099, 1, 1), at(2101, 1, 1)) == [at(2099, 1, 1)]


def test_cron_in_a_past_year_never_fires():
    assert firings("cron(0 0 1 1 ? 2020)", 0, math.inf) == []


def test_cron_on_a_day_that_never_comes_never_fires():
    assert firings("cron(0 0 30 2 ? *)", 0, math.inf) == []


def test_cron_includes_a_firing_exactly_at_start_and_at_until():
    assert firings("cron(* * * * ? *)", 60, 180) == [60, 120, 180]


def test_cron_starting_mid_minute_skips_that_minute():
    assert firings("cron(* * * * ? *)", 30.5, 150) == [60, 120]


def test_cron_is_lazy_and_unbounded():
    every_minute = parse_schedule("cron(* * * * ? *)").firings(0, math.inf)
    assert list(itertools.islice(every_minute, 3)) == [0, 60, 120]


def test_lowercase_names_are_accepted():
    assert firings("cron(0 9 ? jan mon *)", 0, 7 * DAY) == [at(2026, 1, 5, 9)]


def test_schedule_constructed_directly_is_validated_and_equal_to_parsed():
    assert Schedule("rate(5 minutes)") == parse_schedule("rate(5 minutes)")
    with pytest.raises(ScheduleError):
        Schedule("rate(5 weeks)")


# ---------------------------------------------------------------------------------------- errors

REJECTED = [
    (
        "cron(0 2 * * ?)",
        "cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), "
        "got 5: '0 2 * * ?'",
    ),
    (
        "cron(0 2 * * 1 *)",
        "cron(0 2 * * 1 *): use '?' in day-of-month or day-of-week (AWS cron cannot set both)",
    ),
    ("cron(0 2 * * * *)", "use '?' in day-of-month or day-of-week (AWS cron cannot set both)"),
    ("cron(0 2 ? * ? *)", "'?' in both day-of-month and day-of-week"),
    ("rate(1 minutes)", "rate(1 minutes): use 'minute' when the value is 1"),
    ("rate(1 hours)", "rate(1 hours): use 'hour' when the value is 1"),
    ("rate(5 hour)", "rate(5 hour): use 'hours' when the value is greater than 1"),
    ("rate(0 minutes)", "the value must be a positive integer, got '0'"),
    ("rate(1.5 hours)", "the value must be a positive integer, got '1.5'"),
    ("rate(-5 minutes)", "the value must be a positive integer, got '-5'"),
    ("rate(5 weeks)", "the unit must be minute(s), hour(s) or day(s), got 'weeks'"),
    ("rate(5)", "rate(5): write rate(value unit), e.g. rate(5 minutes)"),
    ("every 5m", "unknown schedule expression 'every 5m': use rate(value unit) or cron(fields)"),
    ("cron 0 2 * * ? *", "unknown schedule expression"),
    ("cron(60 2 * * ? *)", "minutes value '60' must be 0-59"),
    ("cron(0 24 * * ? *)", "hours value '24' must be 0-23"),
    ("cron(0 2 32 * ? *)", "day-of-month value '32' must be 1-31"),
    ("cron(0 2 * 13 ? *)", "month value '13' must be 1-12 or JAN-DEC"),
    ("cron(0 2 * FOO ? *)", "month value 'FOO' must be 1-12 or JAN-DEC"),
    ("cron(0 2 ? * 0 *)", "day-of-week value '0' must be 1-7 or SUN-SAT"),
    ("cron(0 2 ? * 8 *)", "day-of-week value '8' must be 1-7 or SUN-SAT"),
    ("cron(0 2 * * ? 1969)", "year value '1969' must be 1970-2199"),
    ("cron(0 2 * * ? 2200)", "year value '2200' must be 1970-2199"),
    ("cron(0 2 * * ? 2030-2027)", "year range '2030-2027' runs backwards"),
    ("cron(*/0 2 * * ? *)", "minutes '*/0': the increment must be at least 1"),
    ("cron(L 2 * * ? *)", "minutes value 'L' must be 0-59"),
    ("cron(H 2 * * ? *)", "minutes value 'H' must be 0-59"),
    (
        "cron(? 2 * * ? *)",
        "minutes '?' is not valid; minutes takes 0-59 with the wildcards , - * /",
    ),
    ("cron(0 2 *-5 * ? *)", "day-of-month '*-5' is not valid"),
    ("cron(0 2 ? * 1/2 *)", "day-of-week '1/2' is not valid"),
    ("cron(0 2 ? * 3#1,6#3 *)", "day-of-week '#' must be the only expression in the field"),
    ("cron(0 2 ? * 3#6 *)", "day-of-week '3#6': the number after '#' must be 1-5"),
    ("cron(0 2 ? * 6L,2 *)", "day-of-week 'L' stands alone in the field"),
    ("cron(0 2 1,15W * ? *)", "day-of-month 'W' takes one day and stands alone in the field"),
    ("cron(0 2 LW * ? *)", "day-of-month 'W' takes one day and stands alone in the field"),
    ("cron(0 2 32W * ? *)", "day-of-month value '32' must be 1-31"),
]


@pytest.mark.parametrize(("expression", "message"), REJECTED, ids=[e for e, _ in REJECTED])
def test_rejected_expressions_say_why(expression, message):
    with pytest.raises(ScheduleError, match=re.escape(message)):
        parse_schedule(expression)


def test_schedule_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_schedule("rate(1 minutes)")


def test_non_string_expression_is_rejected():
    with pytest.raises(ScheduleError, match="must be a string"):
        parse_schedule(5)  # type: ignore[arg-type]


def test_croniter_errors_become_schedule_errors(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise CroniterBadCronError("refused")

    monkeypatch.setattr(schedules, "_AwsCroniter", refuse)
    with pytest.raises(ScheduleError, match=r"not a valid cron expression \(refused\)"):
        parse_schedule("cron(0 2 * * ? *)")

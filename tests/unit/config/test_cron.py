"""AWS cron expressions, as SageMaker's schedules use them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from biaswatch.config.cron import CronExpressionGenerator, CronSchedule, parse_schedule_expression
from biaswatch.errors import ScheduleError

T = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # a Tuesday


def test_generator_strings_are_the_sdks() -> None:
    assert CronExpressionGenerator.hourly() == "cron(0 * ? * * *)"
    assert CronExpressionGenerator.daily() == "cron(0 0 ? * * *)"
    assert CronExpressionGenerator.daily(hour=5) == "cron(0 5 ? * * *)"
    assert CronExpressionGenerator.daily_every_x_hours(2) == "cron(0 0/2 ? * * *)"
    assert CronExpressionGenerator.now() == "NOW"


def test_hourly() -> None:
    schedule = CronSchedule.parse(CronExpressionGenerator.hourly())
    assert schedule.next_after(T) == datetime(2026, 11, 24, 11, tzinfo=UTC)
    assert schedule.next_after(datetime(2026, 11, 24, 11, tzinfo=UTC)) == datetime(
        2026, 11, 24, 12, tzinfo=UTC
    )
    slots = schedule.times_between(
        datetime(2026, 11, 24, 0, tzinfo=UTC), datetime(2026, 11, 25, 0, tzinfo=UTC)
    )
    assert len(slots) == 24
    assert slots[-1] == datetime(2026, 11, 25, 0, tzinfo=UTC)


def test_every_six_hours_from_two() -> None:
    schedule = CronSchedule.parse(CronExpressionGenerator.daily_every_x_hours(6, starting_hour=2))
    day = schedule.times_between(
        datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
    )
    assert [t.hour for t in day] == [2, 8, 14, 20]


def test_days_of_week_count_from_sunday() -> None:
    # AWS: 2 = Monday. 2026-11-24 is a Tuesday, so the next Monday is the 30th.
    monday = CronSchedule.parse("cron(0 9 ? * 2 *)")
    assert monday.next_after(T) == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert CronSchedule.parse("cron(0 9 ? * MON-FRI *)").next_after(T) == datetime(
        2026, 11, 25, 9, tzinfo=UTC
    )
    first_sunday = CronSchedule.parse("cron(0 0 ? * 1#1 *)")
    assert first_sunday.next_after(T) == datetime(2026, 12, 6, tzinfo=UTC)


def test_years() -> None:
    schedule = CronSchedule.parse("cron(0 0 1 1 ? 2028-2029)")
    assert schedule.next_after(T) == datetime(2028, 1, 1, tzinfo=UTC)
    assert schedule.next_after(datetime(2029, 6, 1, tzinfo=UTC)) is None


def test_now_is_a_one_time_schedule() -> None:
    assert parse_schedule_expression("NOW") is None
    assert parse_schedule_expression("cron(0 * ? * * *)") is not None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 * * * *", "expected cron("),
        ("cron(0 * * * *)", "6 fields"),
        ("cron(0 * * * * *)", "exactly one of"),
        ("cron(0 * ? * ? *)", "exactly one of"),
        ("cron(0 25 ? * * *)", "cron(0 25"),
        ("cron(0 * ? * 9 *)", "day of week 9"),
        ("cron(0 * ? * 6L *)", "not supported"),
        ("cron(0 * ? * * 20x6)", "year '20x6'"),
    ],
)
def test_invalid_expressions(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=re.escape(reason)) as caught:
        CronSchedule.parse(expression)
    assert expression in str(caught.value)

"""Schedule expressions as SageMaker writes them: AWS ``cron(…)`` with six fields, and ``NOW``.

AWS cron is ``cron(minutes hours day-of-month month day-of-week year)``: one of the two day
fields is ``?``, days of the week run 1-7 from Sunday (or ``SUN`` to ``SAT``), and there is a year
field. :class:`CronSchedule` translates that to the five standard fields croniter evaluates, and
filters by year itself. Times are aware UTC datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import CroniterBadCronError, croniter

from biaswatch.errors import ScheduleError

__all__ = ["NOW", "CronExpressionGenerator", "CronSchedule", "parse_schedule_expression"]

NOW = "NOW"
_AWS_CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
_YEAR_PART = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


class CronExpressionGenerator:
    """SageMaker's helper for schedule expressions, returning the same strings.

    Examples
    --------
    >>> CronExpressionGenerator.hourly()
    'cron(0 * ? * * *)'
    >>> CronExpressionGenerator.daily_every_x_hours(6, starting_hour=2)
    'cron(0 2/6 ? * * *)'
    """

    @staticmethod
    def hourly() -> str:
        """Every hour, on the hour."""
        return "cron(0 * ? * * *)"

    @staticmethod
    def daily(hour: int = 0) -> str:
        """Every day at ``hour`` (UTC)."""
        return f"cron(0 {hour} ? * * *)"

    @staticmethod
    def daily_every_x_hours(hour_interval: int, starting_hour: int = 0) -> str:
        """Every ``hour_interval`` hours from ``starting_hour``."""
        return f"cron(0 {starting_hour}/{hour_interval} ? * * *)"

    @staticmethod
    def now() -> str:
        """A one-time schedule, run once."""
        return NOW


def _invalid(expression: str, reason: str) -> ScheduleError:
    error = ScheduleError(f"schedule expression {expression!r}: {reason}")
    error.expression = expression  # type: ignore[attr-defined]
    return error


def _day_of_week(field: str, expression: str) -> str:
    """AWS days of the week (1 = Sunday) as croniter's (0 = Sunday)."""
    if field == "?":
        return "*"

    def shift(token: str) -> str:
        if token.isdigit():
            day = int(token)
            if not 1 <= day <= 7:
                raise _invalid(expression, f"day of week {day} is not between 1 and 7")
            return str(day - 1)
        return token  # a name (SUN to SAT) or *

    parts = []
    for part in field.split(","):
        if "L" in part.upper() or "W" in part.upper():
            raise _invalid(expression, f"'{part}' (L and W) is not supported")
        if "#" in part:
            day, nth = part.split("#", 1)
            parts.append(f"{shift(day)}#{nth}")
            continue
        base, _, step = part.partition("/")
        span = "-".join(shift(token) for token in base.split("-"))
        parts.append(f"{span}/{step}" if step else span)
    return ",".join(parts)


def _years(field: str, expression: str) -> frozenset[int] | None:
    if field in ("*", "?"):
        return None
    years: set[int] = set()
    for part in field.split(","):
        match = _YEAR_PART.match(part)
        if match is None:
            raise _invalid(expression, f"year '{part}' must be a year, a range or *")
        first = int(match.group(1))
        years.update(range(first, int(match.group(2) or first) + 1))
    return frozenset(years)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A recurring schedule from an AWS cron expression."""

    expression: str
    standard: str
    years: frozenset[int] | None

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """Parse ``cron(…)``; :class:`ScheduleError` names the expression and what is wrong."""
        match = _AWS_CRON.match(expression.strip())
        if match is None:
            raise _invalid(expression, "expected cron(minutes hours day month weekday year) or NOW")
        fields = match.group("fields").split()
        if len(fields) != 6:
            raise _invalid(expression, f"AWS cron has 6 fields, this has {len(fields)}")
        minutes, hours, day, month, weekday, year = fields
        if (day == "?") == (weekday == "?"):
            raise _invalid(expression, "exactly one of day-of-month and day-of-week must be ?")
        standard = " ".join(
            (minutes, hours, "*" if day == "?" else day, month, _day_of_week(weekday, expression))
        )
        try:
            croniter(standard, datetime(2000, 1, 1, tzinfo=UTC))
        except (CroniterBadCronError, ValueError, KeyError) as exc:
            raise _invalid(expression, str(exc)) from exc
        return cls(expression, standard, _years(year, expression))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first scheduled time strictly after ``moment``; None if the years are over."""
        start = moment.astimezone(UTC)
        while True:
            candidate: datetime = croniter(self.standard, start).get_next(datetime)
            if self.years is None or candidate.year in self.years:
                return candidate.astimezone(UTC)
            later = [year for year in self.years if year > candidate.year]
            if not later:
                return None
            # Jump to the next allowed year rather than stepping through the ones between.
            start = datetime(min(later), 1, 1, tzinfo=UTC) - timedelta(microseconds=1)

    def times_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Every scheduled time in ``(start, end]``, in order."""
        times = []
        moment = self.next_after(start)
        while moment is not None and moment <= end:
            times.append(moment)
            moment = self.next_after(moment)
        return times


def parse_schedule_expression(expression: str) -> CronSchedule | None:
    """A cron schedule, or None for ``NOW`` (a one-time schedule)."""
    if expression.strip().upper() == NOW:
        return None
    return CronSchedule.parse(expression)

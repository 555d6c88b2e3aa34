"""Schedules: AWS cron expressions, one-time (``NOW``) runs, and the scheduler that runs them."""

from __future__ import annotations

from biaswatch.schedule.cron import (
    NOW,
    CronExpressionGenerator,
    CronSchedule,
    parse_schedule_expression,
)
from biaswatch.schedule.scheduler import Scheduler, SchedulerOptions, utc_now

__all__ = [
    "NOW",
    "CronExpressionGenerator",
    "CronSchedule",
    "Scheduler",
    "SchedulerOptions",
    "parse_schedule_expression",
    "utc_now",
]

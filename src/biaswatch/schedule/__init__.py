"""Schedules: AWS cron expressions, one-time (``NOW``) runs, and the scheduler that runs them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.config.cron import (
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

__getattr__, __dir__ = lazy_exports(__name__, __file__)

"""Schedules: AWS cron expressions and one-time (``NOW``) runs."""

from __future__ import annotations

from biaswatch.schedule.cron import (
    NOW,
    CronExpressionGenerator,
    CronSchedule,
    parse_schedule_expression,
)

__all__ = ["NOW", "CronExpressionGenerator", "CronSchedule", "parse_schedule_expression"]

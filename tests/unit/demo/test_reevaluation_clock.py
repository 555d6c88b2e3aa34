"""The demo's re-evaluation round sees every slot of the day, whatever the time it runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import isodate
import pytest

from biaswatch.demo.monitoring import REEVALUATE_WITHIN
from biaswatch.demo.run import HOURS, DemoSettings, reevaluation_clock

DAY = date(2026, 11, 25)


@pytest.mark.parametrize("hour", range(24))
def test_every_slot_of_yesterday_is_within_reach_at_any_hour_today(hour: int) -> None:
    settings = DemoSettings(Path("demo"), DAY)
    created_at = datetime(2026, 11, 26, hour, 59, tzinfo=UTC)
    clock = reevaluation_clock(settings, created_at)
    slots = [settings.start + timedelta(hours=h + 1) for h in range(HOURS)]
    assert clock <= created_at  # no slot of the schedule's own is due
    assert clock - isodate.parse_duration(REEVALUATE_WITHIN) <= slots[0]
    assert clock >= datetime(2026, 11, 26, 0, 30, tzinfo=UTC) or clock == created_at


def test_a_day_not_over_keeps_the_clock_at_the_schedules_creation() -> None:
    settings = DemoSettings(Path("demo"), DAY)
    created_at = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert reevaluation_clock(settings, created_at) == created_at

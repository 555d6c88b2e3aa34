"""Window offsets and the hour folders they select."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from biaswatch.capture import Window, parse_offset
from biaswatch.errors import ConfigError

T = datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-PT1H", timedelta(hours=-1)),
        ("-P8D", timedelta(days=-8)),
        ("-PT30M", timedelta(minutes=-30)),
        ("-PT0H", timedelta(0)),
    ],
)
def test_offsets(text: str, expected: timedelta) -> None:
    assert parse_offset(text, field="start_time_offset") == expected


@pytest.mark.parametrize(
    ("text", "message"), [("1 hour", "not an ISO-8601"), ("PT1H", "negative"), ("-P1M", "months")]
)
def test_invalid_offsets_name_field_and_value(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_offset(text, field="end_time_offset")
    assert (caught.value.field, caught.value.value) == ("end_time_offset", text)


def test_start_must_come_before_end() -> None:
    with pytest.raises(ConfigError, match="must come before"):
        Window.from_offsets(T, "-PT1H", "-PT2H")


def test_naive_scheduled_time() -> None:
    with pytest.raises(ConfigError, match="no time zone"):
        Window(datetime(2026, 11, 24, 10))  # noqa: DTZ001


def test_hours_both_ends_included() -> None:
    window = Window.from_offsets(T, "-PT1H", "-PT0H")
    assert window.capture_hours() == [T - timedelta(hours=1), T]
    assert window.ground_truth_hours() == [T - timedelta(hours=1), T]


def test_ground_truth_lookback() -> None:
    window = Window.from_offsets(T, "-PT1H", "-PT0H", ground_truth_lookback="PT2H")
    assert window.ground_truth_hours()[0] == T - timedelta(hours=3)


def test_a_daily_window() -> None:
    window = Window.from_offsets(T, "-P1D", "-PT0H")
    assert len(window.capture_hours()) == 25
    assert window.describe() == "[2026-11-23T10:00:00+00:00, 2026-11-24T10:00:00+00:00)"

"""Monitoring windows: ISO-8601 offsets around a scheduled time, read as whole hour folders.

SageMaker analyses, for a scheduled time T and offsets such as ``-PT1H`` … ``-PT0H``, every
capture record in the hour folders from ``hour(T + start)`` through ``hour(T + end)``, both
included (observed in real service runs: records captured after T but before the run are
analysed too). biaswatch does the same by default; ``cut_at_inference_time`` keeps only records
whose inference time is in ``[T + start, T + end)`` instead. Ground truth is read from the hour
of ``T + start - ground_truth_lookback`` through the hour of T; a rerun that counts late labels
reads on through the hour of its ``ground_truth_until``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import isodate

from biaswatch.config.durations import parse_duration
from biaswatch.errors import ConfigError
from biaswatch.storage import hours_between

__all__ = ["Window", "parse_offset"]


def parse_offset(text: str, *, field: str) -> timedelta:
    """An ISO-8601 duration offset such as ``-PT1H``, ``-P8D`` or ``-PT30M``.

    Examples
    --------
    >>> parse_offset("-PT1H", field="start_time_offset")
    datetime.timedelta(days=-1, seconds=82800)
    >>> parse_offset("-P1M", field="start_time_offset")
    Traceback (most recent call last):
    ...
    biaswatch.errors.ConfigError: start_time_offset = '-P1M': ...
    """
    duration = parse_duration(text, field=field, example="-PT1H or -P1D")
    if duration > timedelta(0):
        raise ConfigError(
            f"{field} = {text!r}: offsets look back from the scheduled time, so they are"
            " negative (or zero), like -PT1H",
            field=field,
            value=text,
        )
    return duration


@dataclass(frozen=True, slots=True)
class Window:
    """The data window of one execution: a scheduled time and two offsets."""

    scheduled_time: datetime
    start_offset: timedelta = timedelta(hours=-1)
    end_offset: timedelta = timedelta(0)
    ground_truth_lookback: timedelta = timedelta(0)
    cut_at_inference_time: bool = False
    ground_truth_until: datetime | None = None
    """Read ground truth uploaded up to this time, when it is after T (a rerun's late labels)."""

    def __post_init__(self) -> None:
        if self.scheduled_time.tzinfo is None:
            raise ConfigError(
                f"scheduled_time {self.scheduled_time.isoformat()} has no time zone",
                field="scheduled_time",
                value=self.scheduled_time,
            )
        if self.start_offset >= self.end_offset:
            raise ConfigError(
                f"the window's start offset ({isodate.duration_isoformat(self.start_offset)})"
                f" must come before its end offset ({isodate.duration_isoformat(self.end_offset)})",
                field="start_time_offset",
                value=isodate.duration_isoformat(self.start_offset),
            )

    @classmethod
    def from_offsets(
        cls,
        scheduled_time: datetime,
        start: str = "-PT1H",
        end: str = "-PT0H",
        *,
        ground_truth_lookback: str | None = None,
        cut_at_inference_time: bool = False,
        ground_truth_until: datetime | None = None,
    ) -> Window:
        """Build a window from SageMaker's offset strings."""
        lookback = (
            -parse_offset(f"-{ground_truth_lookback.lstrip('-')}", field="ground_truth_lookback")
            if ground_truth_lookback
            else timedelta(0)
        )
        return cls(
            scheduled_time,
            parse_offset(start, field="start_time_offset"),
            parse_offset(end, field="end_time_offset"),
            lookback,
            cut_at_inference_time,
            ground_truth_until,
        )

    @property
    def start(self) -> datetime:
        """``T + start_offset``."""
        return self.scheduled_time + self.start_offset

    @property
    def end(self) -> datetime:
        """``T + end_offset``."""
        return self.scheduled_time + self.end_offset

    def capture_hours(self) -> list[datetime]:
        """The capture hour folders to read: ``hour(start)`` through ``hour(end)``, inclusive."""
        return hours_between(self.start, self.end)

    @property
    def ground_truth_end(self) -> datetime:
        """The time whose hour folder is the last ground truth is read from: T, or later."""
        until = self.ground_truth_until
        return self.scheduled_time if until is None else max(until, self.scheduled_time)

    def ground_truth_hours(self) -> list[datetime]:
        """The ground-truth hour folders: ``hour(start - lookback)`` through ``hour(T)``.

        Through the hour of ``ground_truth_until`` instead when that is later.
        """
        return hours_between(self.start - self.ground_truth_lookback, self.ground_truth_end)

    def keeps(self, inference_time: datetime) -> bool:
        """Whether a record read from the window's hour folders is analysed.

        Every record is, unless the window cuts at inference time (``[start, end)``).
        """
        return not self.cut_at_inference_time or self.start <= inference_time < self.end

    def describe(self) -> str:
        """``[start, end)`` in ISO form, for messages."""
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"

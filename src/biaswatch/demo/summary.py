"""The demo's outcome per traffic hour: the execution that analysed it and what it found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from biaswatch.model_monitor import MonitoringExecution

__all__ = ["HourSummary", "summarize"]


@dataclass(frozen=True, slots=True)
class HourSummary:
    """One traffic hour ``[start, start + 1 h)`` and the execution scheduled at its end."""

    start: datetime
    status: str
    rows: int | None
    violations: tuple[str, ...]
    failure_reason: str | None = None
    output_uri: str | None = None
    attempt: int = 1
    """The attempt shown: more than 1 when a rerun revised the hour."""
    first_rows: int | None = None
    """The rows the first attempt analysed, when a rerun revised the hour."""

    @property
    def end(self) -> datetime:
        """The end of the hour: the execution's scheduled time."""
        return self.start + timedelta(hours=1)


def _violated_metrics(execution: MonitoringExecution) -> tuple[str, ...]:
    violations = execution.constraint_violations()
    if violations is None:
        return ()
    return tuple(sorted({str(v["metric_name"]) for v in violations.body_dict["violations"]}))


def summarize(executions: Iterable[MonitoringExecution]) -> list[HourSummary]:
    """One :class:`HourSummary` per execution, by traffic hour (an hourly window ending at T)."""
    hours = []
    for execution in executions:
        row = execution.row
        counts = row.counts or {}
        rows = counts.get("rows")
        first_rows = None
        if execution.attempt > 1:
            first = execution.attempts()[-1]["Counts"].get("rows")
            first_rows = int(first) if first is not None else None
        hours.append(
            HourSummary(
                start=row.scheduled_time - timedelta(hours=1),
                status=str(row.status),
                rows=int(rows) if rows is not None else None,
                violations=_violated_metrics(execution),
                failure_reason=row.failure_reason,
                output_uri=row.output_uri,
                attempt=execution.attempt,
                first_rows=first_rows,
            )
        )
    return sorted(hours, key=lambda hour: hour.start)

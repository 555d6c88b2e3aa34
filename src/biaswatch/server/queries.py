"""What the API and the dashboard show, read from the store and the executions' files.

Plain dictionaries and dataclasses, so that the JSON API returns them as they are and the pages
render them; nothing here knows about HTTP.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from biaswatch.analysis import document_metrics
from biaswatch.errors import StorageError
from biaswatch.report import TrendPoint
from biaswatch.storage import exists, join, read_bytes
from biaswatch.store import AttemptRow, ExecutionRow, ScheduleRow, Store

__all__ = [
    "OUTPUT_FILES",
    "Series",
    "attempt_summary",
    "baseline_values",
    "entry_label",
    "execution_file",
    "execution_summary",
    "schedule_series",
    "schedule_summary",
]

OUTPUT_FILES = {
    "analysis": "analysis.json",
    "violations": "constraint_violations.json",
    "diagnostics": "diagnostics.json",
    "report": "report.html",
    "cloudwatch": "cloudwatch_metrics.json",
}
SeriesKey = tuple[str, str, str, str]  # stage, facet, facet value, metric
_INTERVAL = re.compile(r"^\((?P<threshold>[^,]+), [^\]]+\]$")


def entry_label(facet_value: str) -> str:
    """A facet entry's label that stays the same from window to window.

    A continuous facet's entry is the interval ``(t, max]``, whose end moves with the data.

    Examples
    --------
    >>> entry_label("(40, 90]"), entry_label("Female")
    ('> 40', 'Female')
    """
    found = _INTERVAL.match(facet_value)
    return f"> {found['threshold']}" if found else facet_value


def _input(row: ScheduleRow) -> dict[str, str]:
    endpoint = row.definition.get("endpoint_input")
    if endpoint:
        return {"kind": "endpoint", "name": str(endpoint.get("endpoint_name"))}
    batch = row.definition.get("batch_transform_input") or {}
    return {"kind": "batch", "name": str(batch.get("data_captured_destination_s3_uri"))}


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def execution_summary(row: ExecutionRow) -> dict[str, Any]:
    """An execution as the API lists it: its latest finished attempt, and how many it had."""
    counts = row.counts or {}
    return {
        "id": row.id,
        "schedule": row.schedule_name,
        "scheduled_time": row.scheduled_time.isoformat(),
        "status": row.status,
        "attempt": row.attempt or row.attempts,
        "attempts": row.attempts,
        "revised": row.revised,
        "rerunning": row.lease_owner is not None and row.attempt is not None,
        "failure_reason": row.failure_reason,
        "violations": counts.get("violations"),
        "rows": counts.get("rows"),
        "records_read": counts.get("records_read"),
        "malformed_records": counts.get("malformed_records"),
        "started_at": _time(row.started_at),
        "ended_at": _time(row.ended_at),
        "output_uri": row.output_uri,
    }


def attempt_summary(attempt: AttemptRow) -> dict[str, Any]:
    """One attempt of an execution as the API lists it."""
    counts = attempt.counts or {}
    return {
        "attempt": attempt.number,
        "trigger": attempt.trigger,
        "status": attempt.status,
        "failure_reason": attempt.failure_reason,
        "violations": counts.get("violations"),
        "rows": counts.get("rows"),
        "ground_truth_read": counts.get("ground_truth_read"),
        "ground_truth_until": _time(attempt.ground_truth_until),
        "started_at": _time(attempt.started_at),
        "ended_at": _time(attempt.ended_at),
        "output_uri": attempt.output_uri,
    }


def schedule_summary(store: Store, row: ScheduleRow) -> dict[str, Any]:
    """A schedule with its input, its latest execution and its executions by status."""
    latest = store.executions(row.name, limit=1)
    return {
        "name": row.name,
        "status": row.status,
        "expression": row.expression,
        "input": _input(row),
        "baseline": row.definition.get("baseline_constraints_uri"),
        "output_uri": row.definition.get("output_uri"),
        "created_at": row.created_at.isoformat(),
        "executions": store.execution_counts(row.name),
        "last_execution": execution_summary(latest[0]) if latest else None,
    }


def execution_file(row: ExecutionRow | AttemptRow, kind: str) -> bytes | None:
    """One of an execution's (or attempt's) files (``OUTPUT_FILES``), or None without one."""
    if row.output_uri is None or kind not in OUTPUT_FILES:
        return None
    uri = join(row.output_uri, OUTPUT_FILES[kind])
    try:
        return read_bytes(uri) if exists(uri) else None
    except StorageError:
        return None


def baseline_values(row: ScheduleRow) -> dict[SeriesKey, float | None]:
    """The baseline's metric values by (stage, facet, facet value, metric); empty without one."""
    uri = row.definition.get("baseline_constraints_uri")
    if not uri:
        return {}
    try:
        document = orjson.loads(read_bytes(uri))
    except (StorageError, orjson.JSONDecodeError):
        return {}
    return {
        (m.stage, m.facet, entry_label(m.facet_value), m.name): m.value
        for m in document_metrics(document)
    }


@dataclass(slots=True)
class Series:
    """One facet entry's metric over the schedule's executions."""

    stage: str
    facet: str
    facet_value: str
    metric: str
    baseline: float | None
    points: list[TrendPoint] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The series as the API returns it (infinite values as ``"Infinity"`` strings)."""

        def number(value: float | None) -> float | str | None:
            if value is None or not math.isinf(value):
                return value
            return "Infinity" if value > 0 else "-Infinity"

        return {
            "stage": self.stage,
            "facet": self.facet,
            "facet_value": self.facet_value,
            "metric": self.metric,
            "baseline": number(self.baseline),
            "points": [
                {
                    "scheduled_time": p.time.isoformat(),
                    "value": number(p.value),
                    "violated": p.violated,
                    "interval": None if p.band is None else [number(b) for b in p.band],
                }
                for p in self.points
            ],
        }


def schedule_series(
    store: Store,
    row: ScheduleRow,
    *,
    metric: str | None = None,
    link: str | None = None,
    executions: list[ExecutionRow] | None = None,
) -> list[Series]:
    """The schedule's metrics over its executions, each with its baseline and violations.

    ``link`` formats a point's link with the execution's id (``"/executions/{id}"``);
    ``executions`` are the schedule's, when the caller has read them already.
    """
    rows = store.executions(row.name) if executions is None else executions
    by_time = {e.scheduled_time: e for e in rows}
    violated: dict[datetime, set[SeriesKey]] = defaultdict(set)
    for moment, row_of_time in by_time.items():
        for v in (row_of_time.counts or {}).get("violated", []):
            facet_value = entry_label(v["facet_value"])
            violated[moment].add((v["stage"], v["facet"], facet_value, v["metric"]))
    baselines = baseline_values(row)
    series: dict[SeriesKey, Series] = {}
    for point in store.metric_series(row.name, metric=metric):
        key = (point.stage, point.facet, entry_label(point.facet_value), point.metric)
        line = series.get(key)
        if line is None:
            line = series[key] = Series(*key, baseline=baselines.get(key))
        execution = by_time.get(point.scheduled_time)
        line.points.append(
            TrendPoint(
                point.scheduled_time,
                point.value,
                key in violated[point.scheduled_time],
                band=(
                    (point.lower, point.upper)
                    if point.lower is not None and point.upper is not None
                    else None
                ),
                link=link.format(id=execution.id) if link and execution else None,
            )
        )
    return sorted(
        series.values(),
        key=lambda s: (s.stage != "post_training", s.facet, s.facet_value, s.metric),
    )

"""What the API and the dashboard show, read from the store and the executions' files.

Plain dictionaries and dataclasses, so that the JSON API returns them as they are and the pages
render them; nothing here knows about HTTP.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from biaswatch.analysis import document_metrics, json_number
from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.config.rules import ideal_value
from biaswatch.constraints import recorded_violations
from biaswatch.errors import StorageError
from biaswatch.jobs.attempt import window_of
from biaswatch.report import TrendPoint
from biaswatch.storage import exists, join, read_bytes
from biaswatch.store import AttemptRow, ExecutionRow, ExecutionStatus, ScheduleRow, Store

__all__ = [
    "DEFAULT_DAYS",
    "OUTPUT_FILES",
    "Series",
    "TimeRange",
    "attempt_summary",
    "constraint_values",
    "definition_of",
    "entry_label",
    "execution_file",
    "execution_summary",
    "live_episode_summaries",
    "schedule_range",
    "schedule_series",
    "schedule_summary",
    "violation_summary",
]

DEFAULT_DAYS = 7
"""The schedule page's range: the last week of executions."""

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


def definition_of(row: ScheduleRow) -> MonitoringJobDefinition | None:
    """The schedule's job definition (None when the stored one no longer validates)."""
    try:
        return MonitoringJobDefinition.model_validate(row.definition)
    except ValueError:
        return None


def execution_summary(
    row: ExecutionRow, definition: MonitoringJobDefinition | None = None
) -> dict[str, Any]:
    """An execution as the API lists it: its latest finished attempt, and how many it had.

    With the schedule's ``definition``, also the data window it analyses (``data_start``,
    ``data_end``): the hours of traffic, which is what people think in.
    """
    counts = row.counts or {}
    window = None if definition is None else window_of(definition, row.scheduled_time)
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
        "data_start": None if window is None else window.start.isoformat(),
        "data_end": None if window is None else window.end.isoformat(),
        "rows_decoded": counts.get("rows_decoded"),
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


def live_episode_summaries(store: Store, schedule: str, *, limit: int) -> list[dict[str, Any]]:
    """The schedule's live-violation episodes, the latest first, each with its notifications."""
    return [
        episode.to_json()
        | {"notifications": [d.to_json() for d in store.live_deliveries(episode.id)]}
        for episode in store.live_episodes(schedule, limit=limit)
    ]


def execution_file(row: ExecutionRow | AttemptRow, kind: str) -> bytes | None:
    """One of an execution's (or attempt's) files (``OUTPUT_FILES``), or None without one."""
    if row.output_uri is None or kind not in OUTPUT_FILES:
        return None
    uri = join(row.output_uri, OUTPUT_FILES[kind])
    try:
        return read_bytes(uri) if exists(uri) else None
    except StorageError:
        return None


def constraint_values(row: ScheduleRow) -> dict[SeriesKey, tuple[float | None, float | None]]:
    """The schedule's constraints, by (stage, facet, facet value, metric): (constraint, baseline).

    The constraint is the value the violation rule compares with (the constraints file's); the
    baseline value is the baselining job's own, when the constraints file records it (noise-
    aware constraints do, in their ``biaswatch`` extension), else the same number: SageMaker's
    suggested constraints are the baseline's values. Empty without a baseline.
    """
    uri = row.definition.get("baseline_constraints_uri")
    if not uri:
        return {}
    try:
        document = orjson.loads(read_bytes(uri))
    except (StorageError, orjson.JSONDecodeError):
        return {}
    baselines = recorded_baselines(document)
    return {
        key: (m.value, baselines.get(key, m.value))
        for m in document_metrics(document)
        for key in [(m.stage, m.facet, entry_label(m.facet_value), m.name)]
    }


def recorded_baselines(document: dict[str, Any]) -> dict[SeriesKey, float | None]:
    """The baseline values a constraints file records beside its (widened) constraints."""
    recorded = (document.get("biaswatch") or {}).get("baseline_values")
    if not isinstance(recorded, dict):
        return {}
    return {
        (m.stage, m.facet, entry_label(m.facet_value), m.name): m.value
        for m in document_metrics(recorded)
    }


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Scheduled times in ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        """Its length in days."""
        return (self.end - self.start) / timedelta(days=1)


def schedule_range(
    store: Store, row: ScheduleRow, *, end: datetime | None = None, days: float = DEFAULT_DAYS
) -> TimeRange:
    """``days`` of scheduled times ending at ``end`` (default: just after the latest execution)."""
    if end is None:
        latest = store.executions(row.name, limit=1)
        end = (latest[0].scheduled_time if latest else datetime.now(UTC)) + timedelta(minutes=1)
    return TimeRange(end - timedelta(days=days), end)


def violation_summary(
    store: Store, row: ScheduleRow, definition: MonitoringJobDefinition | None = None
) -> str:
    """One line on where the schedule stands: its current violation episode, or none.

    An episode is the run of analysed executions with violations since the latest one without.
    """
    label = definition.facet_label if definition is not None else str
    latest = store.latest_finished(row.name, statuses=[s for s in ExecutionStatus if s.analysed])
    if latest is None:
        return "No execution has analysed a window yet."
    if latest.status == ExecutionStatus.COMPLETED:
        return f"No violations in the latest analysed execution ({_hour(latest.scheduled_time)})."
    episode = store.episode(row.name)
    metrics: dict[str, None] = {}
    facets: dict[str, None] = {}
    for execution in episode:
        for v in recorded_violations(execution.counts):
            metrics[v.metric_name] = None
            facets[f"{v.facet} = {label(entry_label(v.facet_value))}"] = None
    return (
        f"Violations since {_hour(episode[0].scheduled_time)} ({len(episode)} executions):"
        f" {', '.join(sorted(metrics))} on {', '.join(facets)}."
    )


def _hour(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass(slots=True)
class Series:
    """One facet entry's metric over the schedule's executions."""

    stage: str
    facet: str
    facet_value: str
    metric: str
    constraint: float | None
    """What the violation rule compares with."""
    baseline: float | None
    """The baselining job's value (the constraint itself unless the constraints were widened)."""
    points: list[TrendPoint] = field(default_factory=list)

    @property
    def ideal(self) -> float:
        """The metric's value without bias."""
        return ideal_value(self.metric)

    def to_json(self) -> dict[str, Any]:
        """The series as the API returns it (infinite values as ``"Infinity"`` strings)."""
        return {
            "stage": self.stage,
            "facet": self.facet,
            "facet_value": self.facet_value,
            "metric": self.metric,
            "constraint": json_number(self.constraint),
            "baseline": json_number(self.baseline),
            "ideal": self.ideal,
            "points": [
                {
                    "scheduled_time": p.time.isoformat(),
                    "value": json_number(p.value),
                    "violated": p.violated,
                    "interval": None if p.band is None else [json_number(b) for b in p.band],
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
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[Series]:
    """The schedule's metrics over its executions, each with its constraint and violations.

    ``since`` and ``until`` keep the executions scheduled in ``[since, until)``, ``limit`` the
    latest ``limit`` points of each series; ``link`` formats a point's link with the execution's id
    (``"/executions/{id}"``); ``executions`` are those of the range, when the caller has read
    them already.
    """
    rows = (
        store.executions(row.name, since=since, until=until) if executions is None else executions
    )
    by_time = {e.scheduled_time: e for e in rows}
    violated: dict[datetime, set[SeriesKey]] = defaultdict(set)
    for moment, row_of_time in by_time.items():
        for v in recorded_violations(row_of_time.counts):
            violated[moment].add((v.stage, v.facet, entry_label(v.facet_value), v.metric_name))
    constraints = constraint_values(row)
    series: dict[SeriesKey, Series] = {}
    for point in store.metric_series(row.name, metric=metric, since=since, until=until):
        key = (point.stage, point.facet, entry_label(point.facet_value), point.metric)
        line = series.get(key)
        if line is None:
            line = series[key] = Series(*key, *constraints.get(key, (None, None)))
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
    if limit is not None:
        for line in series.values():
            del line.points[:-limit]
    return sorted(
        series.values(),
        key=lambda s: (s.stage != "post_training", s.facet, s.facet_value, s.metric),
    )

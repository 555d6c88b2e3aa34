"""Bias metrics for Prometheus: each schedule's latest execution as gauges.

:class:`BiasMetricsCollector` turns schedule snapshots (read fresh at every scrape) into
Prometheus metric families; the scheduler serves them on ``/metrics`` and
:func:`write_textfile` writes them for node_exporter's textfile collector (atomically, so the
collector never reads half a file).

Exposed:

- ``biaswatch_bias_metric{schedule, endpoint, stage, facet, facet_value, metric}`` — the value
  (±Inf as Prometheus' ``+Inf``/``-Inf``; undefined metrics are left out) of the latest
  execution that analysed its window (a failed hour keeps the last good values);
- ``biaswatch_last_execution_violations{schedule, endpoint}`` — of that execution too;
- ``biaswatch_last_execution_failed{schedule, endpoint}`` — 1 when the latest execution failed
  or was stopped, else 0;
- ``biaswatch_execution_failures_total{schedule, endpoint}`` — failed and stopped executions;
- ``biaswatch_last_execution_scheduled_time_seconds{schedule, endpoint}``;
- ``biaswatch_next_execution_scheduled_time_seconds{schedule, endpoint}`` — the slot after the
  latest execution's, by the schedule's cron expression (only for started, recurring
  schedules): an alert can tell a schedule that stopped producing executions, whatever its
  cadence (``deploy/prometheus/biaswatch-alerts.yml``);
- ``biaswatch_last_execution_status{schedule, endpoint, status}`` — 1 for the latest
  execution's status, 0 for the other finished statuses;
- ``biaswatch_live_metric{endpoint, facet, facet_value, metric, window}`` — live DPPL, DI and
  the facet value's ``share`` of the records over the last ``window`` minutes (``5m``, ``15m``,
  ``60m``), from the capture's live counts (:class:`LiveMetricsCollector`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from biaswatch.status import ExecutionStatus

__all__ = [
    "FINISHED_STATUSES",
    "BiasMetricsCollector",
    "LatestMetric",
    "LiveMetricsCollector",
    "LiveValue",
    "ScheduleSnapshot",
    "write_textfile",
]

FINISHED_STATUSES = tuple(status.value for status in ExecutionStatus if status.finished)


@dataclass(frozen=True, slots=True)
class LatestMetric:
    """One metric value of a schedule's latest execution."""

    stage: str
    facet: str
    facet_value: str
    metric: str
    value: float


@dataclass(frozen=True, slots=True)
class ScheduleSnapshot:
    """A schedule's latest finished execution, as Prometheus shows it."""

    schedule: str
    endpoint: str | None
    status: str
    scheduled_time: datetime
    violations: int
    metrics: Sequence[LatestMetric]
    failures: int = 0
    next_time: datetime | None = None
    """When the next execution is due (None: the schedule is stopped or runs once)."""

    @property
    def failed(self) -> bool:
        """Whether the latest execution analysed nothing (Failed or Stopped)."""
        return not ExecutionStatus(self.status).analysed


@dataclass(frozen=True, slots=True)
class LiveValue:
    """One live metric of an endpoint over the last ``window`` minutes."""

    endpoint: str
    facet: str
    facet_value: str
    metric: str
    window: int
    value: float


class LiveMetricsCollector(Collector):
    """``biaswatch_live_metric`` over ``values()``, called at every collection."""

    def __init__(self, values: Callable[[], Iterable[LiveValue]]) -> None:
        self._values = values

    def collect(self) -> Iterator[Metric]:
        """The live gauge family of the current values."""
        family = GaugeMetricFamily(
            "biaswatch_live_metric",
            "A live bias metric (or a facet value's share) over the last minutes of traffic.",
            labels=["endpoint", "facet", "facet_value", "metric", "window"],
        )
        for v in self._values():
            family.add_metric(
                [v.endpoint, v.facet, v.facet_value, v.metric, f"{v.window}m"], v.value
            )
        yield family


class BiasMetricsCollector(Collector):
    """A Prometheus collector over ``snapshots()``, called at every collection."""

    def __init__(self, snapshots: Callable[[], Iterable[ScheduleSnapshot]]) -> None:
        self._snapshots = snapshots

    def collect(self) -> Iterator[Metric]:
        """The metric families of the current snapshots."""
        keys = ["schedule", "endpoint"]
        values = GaugeMetricFamily(
            "biaswatch_bias_metric",
            "A bias metric of the schedule's latest execution.",
            labels=[*keys, "stage", "facet", "facet_value", "metric"],
        )
        violations = GaugeMetricFamily(
            "biaswatch_last_execution_violations",
            "Constraint violations of the schedule's latest execution.",
            labels=keys,
        )
        times = GaugeMetricFamily(
            "biaswatch_last_execution_scheduled_time_seconds",
            "Scheduled time of the schedule's latest execution (Unix seconds).",
            labels=keys,
        )
        statuses = GaugeMetricFamily(
            "biaswatch_last_execution_status",
            "1 for the status of the schedule's latest execution, 0 for the others.",
            labels=[*keys, "status"],
        )
        failed = GaugeMetricFamily(
            "biaswatch_last_execution_failed",
            "1 when the schedule's latest execution failed or was stopped, else 0.",
            labels=keys,
        )
        failures = CounterMetricFamily(
            "biaswatch_execution_failures",
            "The schedule's failed and stopped executions.",
            labels=keys,
        )
        due = GaugeMetricFamily(
            "biaswatch_next_execution_scheduled_time_seconds",
            "When the schedule's next execution is due (Unix seconds): the slot after its latest.",
            labels=keys,
        )
        for snapshot in self._snapshots():
            key = [snapshot.schedule, snapshot.endpoint or ""]
            for m in snapshot.metrics:
                values.add_metric([*key, m.stage, m.facet, m.facet_value, m.metric], m.value)
            violations.add_metric(key, snapshot.violations)
            times.add_metric(key, snapshot.scheduled_time.timestamp())
            for status in FINISHED_STATUSES:
                statuses.add_metric([*key, status], float(status == snapshot.status))
            failed.add_metric(key, float(snapshot.failed))
            failures.add_metric(key, snapshot.failures)
            if snapshot.next_time is not None:
                due.add_metric(key, snapshot.next_time.timestamp())
        yield from (values, violations, times, statuses, failed, failures, due)


def write_textfile(
    path: str, snapshots: Iterable[ScheduleSnapshot], live: Iterable[LiveValue] = ()
) -> None:
    """Write the snapshots and live values in Prometheus' text format to ``path`` (atomically)."""
    frozen, values = list(snapshots), list(live)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BiasMetricsCollector(lambda: frozen))
    registry.register(LiveMetricsCollector(lambda: values))
    write_to_textfile(path, registry)

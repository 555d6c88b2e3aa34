"""Publishing an execution's metrics: CloudWatch-compatible metric data and Prometheus gauges.

Publishing never changes an execution's status: each publisher reports how it went (recorded in
the execution's counts), and a failure is reported, not raised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

from biaswatch.config.cron import parse_schedule_expression
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.config.settings import cloudwatch_endpoint_url, cloudwatch_mode, prometheus_textfile
from biaswatch.errors import BiaswatchError, PublishError, ScheduleError
from biaswatch.publish import (
    BiasMetricsCollector,
    LatestMetric,
    LiveMetricsCollector,
    LiveValue,
    ScheduleSnapshot,
    metric_data_request,
    send_metric_data,
    write_textfile,
)
from biaswatch.status import ExecutionStatus, ScheduleStatus
from biaswatch.storage import join, json_bytes, write_bytes
from biaswatch.store import ScheduleRow, Store

__all__ = [
    "CLOUDWATCH_FILE",
    "metrics_registry",
    "publish_cloudwatch",
    "publish_prometheus",
    "schedule_snapshots",
]

CLOUDWATCH_FILE = "cloudwatch_metrics.json"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _cloudwatch_enabled(definition: MonitoringJobDefinition) -> bool:
    # SageMaker's switch is an environment entry of the job definition.
    disabled = definition.environment.get("publish_cloudwatch_metrics", "").lower() == "disabled"
    return definition.enable_cloudwatch_metrics and not disabled


def publish_cloudwatch(
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    document: dict[str, Any],
    output_uri: str,
) -> dict[str, Any] | None:
    """Write the execution's ``PutMetricData`` request and, in ``send`` mode, send it.

    Returns a report (``status`` ``Written``, ``Sent`` or ``Failed``, ``metrics``, ``uri``,
    ``attempts`` — the requests a send made, retries included — and ``detail``), or None when
    CloudWatch metrics are off for this schedule or globally.
    """
    try:
        mode = cloudwatch_mode()
    except BiaswatchError as exc:
        return {"status": "Failed", "detail": str(exc)}
    if mode == "off" or not _cloudwatch_enabled(definition):
        return None
    source = definition.data_input
    request = metric_data_request(
        document,
        schedule_name=definition.schedule_name,
        endpoint_name=(
            source.endpoint_name if isinstance(source, EndpointInputDefinition) else None
        ),
        timestamp=scheduled_time,
    )
    uri = join(output_uri, CLOUDWATCH_FILE)
    report: dict[str, Any] = {"status": "Written", "metrics": len(request["MetricData"])}
    report["uri"] = uri
    try:
        write_bytes(uri, json_bytes(request))
        if mode == "send":
            report["attempts"] = send_metric_data(request, endpoint_url=cloudwatch_endpoint_url())
            report["status"] = "Sent"
    except PublishError as exc:
        report.update(status="Failed", detail=str(exc), attempts=exc.attempts)
    except BiaswatchError as exc:
        report.update(status="Failed", detail=str(exc))
    return report


def schedule_snapshots(store: Store) -> list[ScheduleSnapshot]:
    """Every schedule's latest finished execution, and its latest analysed one's metrics.

    A failed (or stopped) execution analyses nothing: the metric values and the violation count
    stay those of the latest execution that analysed its window, so an alert on them does not
    resolve because an hour failed; the failure shows in its own gauges.
    """
    snapshots = []
    for schedule in store.schedules():
        latest = store.latest_finished(schedule.name)
        if latest is None:
            continue
        analysed = store.latest_finished(
            schedule.name, statuses=[s for s in ExecutionStatus if s.analysed]
        )
        endpoint = (schedule.definition.get("endpoint_input") or {}).get("endpoint_name")
        metrics = [] if analysed is None else [
            LatestMetric(p.stage, p.facet, p.facet_value, p.metric, p.value)
            for p in store.metric_series(schedule.name, at=analysed.scheduled_time)
            if p.value is not None
        ]  # fmt: skip
        counts = store.execution_counts(schedule.name)
        snapshots.append(
            ScheduleSnapshot(
                schedule.name,
                endpoint,
                latest.status,
                latest.scheduled_time,
                0 if analysed is None else int((analysed.counts or {}).get("violations", 0)),
                metrics,
                failures=sum(
                    counts.get(s.value, 0) for s in ExecutionStatus if s.finished and not s.analysed
                ),
                next_time=_next_slot(schedule, latest.scheduled_time),
            )
        )
    return snapshots


def _next_slot(schedule: ScheduleRow, after: datetime) -> datetime | None:
    """The schedule's slot after ``after``, while it is started and recurring."""
    if schedule.status != ScheduleStatus.SCHEDULED or not schedule.expression:
        return None
    try:
        cron = parse_schedule_expression(schedule.expression)
    except ScheduleError:
        return None
    return None if cron is None else cron.next_after(after)


def metrics_registry(
    store: Store, *, clock: Callable[[], datetime] = _utc_now
) -> CollectorRegistry:
    """A Prometheus registry that reads the store at every scrape.

    It holds the schedules' latest executions and the endpoints' live metrics.
    """
    from biaswatch.jobs.live import live_values

    registry = CollectorRegistry(auto_describe=False)
    registry.register(BiasMetricsCollector(lambda: schedule_snapshots(store)))
    registry.register(LiveMetricsCollector(lambda: live_values(store, now=clock())))
    return registry


def publish_prometheus(
    store: Store, *, now: datetime | None = None, live: Sequence[LiveValue] | None = None
) -> dict[str, Any] | None:
    """Rewrite ``$BIASWATCH_PROMETHEUS_TEXTFILE`` from the store, when it is set.

    The live gauges are ``live`` when given (already read), else read counting back from
    ``now`` (default: the real clock).
    """
    path = prometheus_textfile()
    if path is None:
        return None
    try:
        if live is None:
            from biaswatch.jobs.live import live_values

            live = live_values(store, now=now or _utc_now())
        write_textfile(path, schedule_snapshots(store), live)
    except OSError as exc:
        return {"status": "Failed", "path": path, "detail": str(exc)}
    return {"status": "Written", "path": path}

"""Metric sinks: CloudWatch-compatible metric data, and Prometheus gauges."""

from __future__ import annotations

from biaswatch.publish.cloudwatch import (
    BATCH_NAMESPACE,
    ENDPOINT_NAMESPACE,
    LARGEST,
    metric_data_request,
    send_metric_data,
)
from biaswatch.publish.prometheus import (
    BiasMetricsCollector,
    LatestMetric,
    ScheduleSnapshot,
    write_textfile,
)

__all__ = [
    "BATCH_NAMESPACE",
    "ENDPOINT_NAMESPACE",
    "LARGEST",
    "BiasMetricsCollector",
    "LatestMetric",
    "ScheduleSnapshot",
    "metric_data_request",
    "send_metric_data",
    "write_textfile",
]

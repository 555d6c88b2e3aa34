"""Metric sinks: CloudWatch-compatible metric data, and Prometheus gauges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
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
        LiveMetricsCollector,
        LiveValue,
        ScheduleSnapshot,
        write_textfile,
    )

__all__ = [
    "BATCH_NAMESPACE",
    "ENDPOINT_NAMESPACE",
    "LARGEST",
    "BiasMetricsCollector",
    "LatestMetric",
    "LiveMetricsCollector",
    "LiveValue",
    "ScheduleSnapshot",
    "metric_data_request",
    "send_metric_data",
    "write_textfile",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)

"""Jobs: the monitoring execution, run in a worker process and recorded in the store."""

from __future__ import annotations

from biaswatch.jobs.execution import (
    ExecutionOutcome,
    execution_output_uri,
    run_execution,
    window_of,
)
from biaswatch.jobs.publishing import (
    metrics_registry,
    publish_cloudwatch,
    publish_prometheus,
    schedule_snapshots,
)
from biaswatch.jobs.runner import execute, metric_points, run_post_analytics
from biaswatch.jobs.worker import run_in_worker

__all__ = [
    "ExecutionOutcome",
    "execute",
    "execution_output_uri",
    "metric_points",
    "metrics_registry",
    "publish_cloudwatch",
    "publish_prometheus",
    "run_execution",
    "run_in_worker",
    "run_post_analytics",
    "schedule_snapshots",
    "window_of",
]

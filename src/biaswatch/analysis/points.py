"""An analysis as metric points: one value per (stage, facet, facet value, metric) and time.

The store keeps them for trends and Prometheus; they are derived from the
:class:`~biaswatch.analysis.result.AnalysisResult` where it is computed (in the worker), not
parsed back from ``analysis.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from biaswatch.analysis.result import AnalysisResult

__all__ = ["MetricPoint", "metric_points"]


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One metric value of one execution (None when undefined), with its interval if any."""

    scheduled_time: datetime
    stage: str
    facet: str
    facet_value: str
    metric: str
    value: float | None
    lower: float | None = None
    upper: float | None = None


def metric_points(result: AnalysisResult, scheduled_time: datetime) -> list[MetricPoint]:
    """Every metric of ``result`` as a point at ``scheduled_time``, post-training first."""
    points = []
    for stage in result.stages:
        for facet, entries in stage.facets.items():
            for entry in entries:
                for metric in sorted(entry.metrics, key=lambda m: m.code.value):
                    value = metric.value.value
                    interval = metric.interval
                    bounded = interval is not None and not (
                        math.isnan(interval.lower) or math.isnan(interval.upper)
                    )
                    points.append(
                        MetricPoint(
                            scheduled_time,
                            stage.stage.value,
                            facet,
                            entry.value_or_threshold,
                            metric.code.value,
                            None if value is None or math.isnan(value) else float(value),
                            interval.lower if bounded and interval is not None else None,
                            interval.upper if bounded and interval is not None else None,
                        )
                    )
    return points

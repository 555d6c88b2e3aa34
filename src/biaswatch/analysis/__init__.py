"""Bias analysis: a dataset and Clarify's analysis config in, ``analysis.json`` out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.analysis.dataset import Dataset, dataset_from_table, read_dataset
    from biaswatch.analysis.document import (
        SECTIONS,
        DocumentMetric,
        analysis_document,
        document_intervals,
        document_metrics,
        dump_analysis,
        json_number,
        json_value,
        metric_number,
    )
    from biaswatch.analysis.engine import (
        IntervalOptions,
        analyze,
        requested_metrics,
        with_intervals,
    )
    from biaswatch.analysis.points import MetricPoint, metric_points
    from biaswatch.analysis.result import AnalysisResult, FacetResult, MetricResult, StageResult

__all__ = [
    "SECTIONS",
    "AnalysisResult",
    "Dataset",
    "DocumentMetric",
    "FacetResult",
    "IntervalOptions",
    "MetricPoint",
    "MetricResult",
    "StageResult",
    "analysis_document",
    "analyze",
    "dataset_from_table",
    "document_intervals",
    "document_metrics",
    "dump_analysis",
    "json_number",
    "json_value",
    "metric_number",
    "metric_points",
    "read_dataset",
    "requested_metrics",
    "with_intervals",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)

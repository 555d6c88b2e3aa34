"""Bias analysis: a dataset and Clarify's analysis config in, ``analysis.json`` out."""

from __future__ import annotations

from biaswatch.analysis.dataset import Dataset, dataset_from_table, read_dataset
from biaswatch.analysis.document import analysis_document, dump_analysis, json_value
from biaswatch.analysis.engine import analyze, requested_metrics
from biaswatch.analysis.result import AnalysisResult, FacetResult, MetricResult, StageResult

__all__ = [
    "AnalysisResult",
    "Dataset",
    "FacetResult",
    "MetricResult",
    "StageResult",
    "analysis_document",
    "analyze",
    "dataset_from_table",
    "dump_analysis",
    "json_value",
    "read_dataset",
    "requested_metrics",
]

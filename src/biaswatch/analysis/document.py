"""``analysis.json``: an analysis laid out exactly as Clarify writes it."""

from __future__ import annotations

import math
from typing import Any

import orjson

from biaswatch.analysis.result import AnalysisResult, FacetResult, StageResult
from biaswatch.metrics import MetricValue

__all__ = ["analysis_document", "dump_analysis", "json_value"]

ANALYSIS_VERSION = "1.0"


def json_value(value: MetricValue) -> float | str | None:
    """A metric value as Clarify writes it: ``±inf`` become ``"Infinity"`` / ``"-Infinity"``."""
    number = value.value
    if number is not None and math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def _facet_entry(facet: FacetResult) -> dict[str, Any]:
    metrics = []
    for metric in facet.metrics:
        item: dict[str, Any] = {
            "name": metric.code.value,
            "description": metric.description,
            "value": json_value(metric.value),
        }
        if metric.value.error is not None:
            item["error"] = metric.value.error
        metrics.append(item)
    return {"value_or_threshold": facet.value_or_threshold, "metrics": metrics}


def _section(stage: StageResult) -> dict[str, Any]:
    return {
        "label": stage.label,
        "facets": {
            name: [_facet_entry(facet) for facet in facets] for name, facets in stage.facets.items()
        },
        "label_value_or_threshold": stage.label_value_or_threshold,
    }


def analysis_document(result: AnalysisResult) -> dict[str, Any]:
    """The ``analysis.json`` document: version, then post- and pre-training sections."""
    document: dict[str, Any] = {"version": ANALYSIS_VERSION}
    for stage in result.stages:
        document[f"{stage.stage.value}_bias_metrics"] = _section(stage)
    return document


def dump_analysis(result: AnalysisResult) -> bytes:
    """``analysis.json`` as bytes (UTF-8, indented, with a final newline)."""
    return orjson.dumps(analysis_document(result), option=orjson.OPT_INDENT_2) + b"\n"

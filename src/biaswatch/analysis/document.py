"""``analysis.json``: an analysis laid out exactly as Clarify writes it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from biaswatch.metrics import MetricValue
from biaswatch.storage import json_bytes

if TYPE_CHECKING:
    from biaswatch.analysis.result import AnalysisResult, FacetResult, StageResult

__all__ = [
    "SECTIONS",
    "DocumentMetric",
    "analysis_document",
    "document_intervals",
    "document_metrics",
    "dump_analysis",
    "json_number",
    "json_value",
    "metric_number",
]

ANALYSIS_VERSION = "1.0"
SECTIONS = ("post_training_bias_metrics", "pre_training_bias_metrics")


def json_number(number: float | None) -> float | str | None:
    """A number as Clarify writes it: ``±inf`` become ``"Infinity"`` / ``"-Infinity"``.

    :func:`metric_number` reads it back.
    """
    if number is not None and math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def json_value(value: MetricValue) -> float | str | None:
    """A metric value as Clarify writes it (:func:`json_number`)."""
    return json_number(value.value)


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


EXTENSION = "biaswatch"
"""The top-level key of biaswatch's additions to ``analysis.json`` (SageMaker ignores it)."""


def analysis_document(result: AnalysisResult) -> dict[str, Any]:
    """The ``analysis.json`` document: version, then post- and pre-training sections.

    Confidence intervals, when computed, go under the extension key ``biaswatch``:
    ``{"confidence_intervals": {"level", "resamples", "<section>": {facet: [{
    "value_or_threshold", "metrics": {code: [lower, upper]}}]}}}``.
    """
    document: dict[str, Any] = {"version": ANALYSIS_VERSION}
    for stage in result.stages:
        document[f"{stage.stage.value}_bias_metrics"] = _section(stage)
    if result.interval_level is not None:
        document[EXTENSION] = {"confidence_intervals": _intervals(result)}
    return document


def _intervals(result: AnalysisResult) -> dict[str, Any]:
    found: dict[str, Any] = {
        "level": result.interval_level,
        "resamples": result.interval_resamples,
        "method": "percentile bootstrap over the count tensor",
    }
    for stage in result.stages:
        found[f"{stage.stage.value}_bias_metrics"] = {
            name: [
                {
                    "value_or_threshold": facet.value_or_threshold,
                    "metrics": {
                        m.code.value: [json_number(m.interval.lower), json_number(m.interval.upper)]
                        for m in facet.metrics
                        if m.interval is not None
                    },
                }
                for facet in entries
            ]
            for name, entries in stage.facets.items()
        }
    return found


def dump_analysis(result: AnalysisResult) -> bytes:
    """``analysis.json`` as bytes (UTF-8, indented, with a final newline)."""
    return json_bytes(analysis_document(result))


def metric_number(value: Any) -> float | None:
    """A metric's value from ``analysis.json`` as a number (``"Infinity"`` → inf), or None.

    Examples
    --------
    >>> metric_number("-Infinity"), metric_number(0), metric_number(None)
    (-inf, 0, None)
    """
    if value == "Infinity":
        return math.inf
    if value == "-Infinity":
        return -math.inf
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


@dataclass(frozen=True, slots=True)
class DocumentMetric:
    """One metric of an ``analysis.json`` document, with where it sits."""

    stage: str
    label: str
    label_value: str
    facet: str
    facet_value: str
    name: str
    value: float | None


def document_metrics(document: dict[str, Any]) -> Iterator[DocumentMetric]:
    """Every metric of an ``analysis.json`` document, post-training first, as the file lists them.

    ``stage`` is ``"post_training"`` or ``"pre_training"``; undefined metrics have value None.

    Examples
    --------
    >>> entry = {"value_or_threshold": "0", "metrics": [{"name": "DI", "value": "Infinity"}]}
    >>> section = {"label": "y", "label_value_or_threshold": "1", "facets": {"Sex": [entry]}}
    >>> list(document_metrics({"post_training_bias_metrics": section}))
    [DocumentMetric(stage='post_training', label='y', label_value='1', facet='Sex', \
facet_value='0', name='DI', value=inf)]
    """
    for section in SECTIONS:
        content = document.get(section) or {}
        label = str(content.get("label", ""))
        label_value = str(content.get("label_value_or_threshold", ""))
        for facet, entries in (content.get("facets") or {}).items():
            for entry in entries:
                for metric in entry.get("metrics", []):
                    yield DocumentMetric(
                        section.removesuffix("_bias_metrics"),
                        label,
                        label_value,
                        facet,
                        str(entry.get("value_or_threshold", "")),
                        str(metric.get("name")),
                        metric_number(metric.get("value")),
                    )


def document_intervals(
    document: dict[str, Any],
) -> dict[tuple[str, str, str, str], tuple[float, float]]:
    """The confidence intervals of an ``analysis.json`` (its ``biaswatch`` extension).

    Keyed by (stage, facet, facet value, metric); empty when the document has none.
    """
    extension = (document.get(EXTENSION) or {}).get("confidence_intervals") or {}
    found: dict[tuple[str, str, str, str], tuple[float, float]] = {}
    for section in SECTIONS:
        stage = section.removesuffix("_bias_metrics")
        for facet, entries in (extension.get(section) or {}).items():
            for entry in entries:
                value = str(entry.get("value_or_threshold", ""))
                for name, (low, high) in (entry.get("metrics") or {}).items():
                    lower, upper = metric_number(low), metric_number(high)
                    if lower is not None and upper is not None:
                        found[(stage, facet, value, name)] = (float(lower), float(upper))
    return found

"""Metric points derived from the analysis result equal what its analysis.json says."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import GOLDEN

from biaswatch.analysis import (
    IntervalOptions,
    analysis_document,
    analyze,
    document_intervals,
    document_metrics,
    metric_points,
    read_dataset,
    with_intervals,
)
from biaswatch.config import parse_analysis_config

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
CASES = sorted(p for p in GOLDEN.glob("case-*") if p.is_dir())


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and (a == b or (math.isnan(a) and math.isnan(b)))
    )


@pytest.mark.parametrize("case", CASES[:12], ids=lambda p: p.name)
@pytest.mark.parametrize("intervals", [False, True], ids=["values", "intervals"])
def test_points_equal_the_documents_numbers(case: Path, intervals: bool) -> None:
    config = parse_analysis_config((case / "analysis_config.json").read_bytes())
    result = analyze(read_dataset(case / "dataset.csv", config), config)
    if intervals:
        result = with_intervals(result, IntervalOptions(0.9, 200))
    document = json.loads(json.dumps(analysis_document(result)))  # as it is read back
    bounds = document_intervals(document)
    expected = {
        (m.stage, m.facet, m.facet_value, m.name): (m.value, *bounds.get(
            (m.stage, m.facet, m.facet_value, m.name), (None, None)))
        for m in document_metrics(document)
    }  # fmt: skip
    points = metric_points(result, T)
    assert len(points) == len(expected)
    for point in points:
        key = (point.stage, point.facet, point.facet_value, point.metric)
        value, lower, upper = expected[key]
        assert point.scheduled_time == T
        assert _same(point.value, value), key
        assert _same(point.lower, lower), key
        assert _same(point.upper, upper), key

"""Predictions and scores made binary, and groups with missing values."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from tests.reference import Row, reference_metrics

from biaswatch.analysis import analyze, dataset_from_table
from biaswatch.config import config_from_dict
from biaswatch.errors import DataError
from biaswatch.metrics import MetricCode


def _analyze(table: pa.Table, **config: Any) -> dict[str, float | None]:
    parsed = config_from_dict(
        {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "s"}]} | config
    )
    result = analyze(dataset_from_table(table, parsed), parsed)
    stage = result.post_training or result.pre_training
    assert stage is not None
    return {m.code.value: m.value.value for m in stage.facets["s"][0].metrics}


def test_float_predictions_of_an_integer_label_are_truncated() -> None:
    # A continuous integer label: predictions are cast to int before "> 50" (Clarify's rule).
    labels = list(range(100))
    table = pa.table(
        {
            "s": ["a", "b"] * 50,
            "y": labels,
            "p": [50.9 if i % 2 else float(i) for i in range(100)],
        }
    )
    values = _analyze(
        table,
        label_values_or_threshold=[50],
        predicted_label="p",
        methods={"post_training_bias": {"methods": ["DPPL"]}},
    )
    # 50.9 truncates to 50, which is not > 50, so no odd ("b", a side) row is predicted
    # positive; the even ("a", the d side) rows 52..98 are: DPPL = 0/50 - 24/50.
    # Without truncation it would be 50/50 - 24/50.
    assert values["DPPL"] == 0 / 50 - 24 / 50


def test_missing_prediction_for_an_integer_label() -> None:
    table = pa.table({"s": ["a", "b"] * 50, "y": list(range(100)), "p": [None, 60.0] * 50})
    with pytest.raises(DataError, match="missing values"):
        _analyze(table, label_values_or_threshold=[50], predicted_label="p")


def test_scores_become_predictions_above_the_threshold() -> None:
    table = pa.table({"s": ["a", "b", "a", "b"], "y": [1, 0, 0, 1], "score": [0.9, 0.8, 0.8, 0.2]})
    values = _analyze(table, probability="score", probability_threshold=0.8)
    # Only 0.9 is > 0.8: a (rows 1, 3) 0 of 2 positive, d "a" 1 of 2.
    assert values["DPPL"] == 0 / 2 - 1 / 2


def test_scores_that_are_not_numbers() -> None:
    table = pa.table({"s": ["a", "b"], "y": [1, 0], "score": ["high", "low"]})
    with pytest.raises(DataError, match="probability column 'score' is not numeric"):
        _analyze(table, probability="score")


def test_no_score_above_the_threshold() -> None:
    table = pa.table({"s": ["a", "b"], "y": [1, 0], "score": [0.1, 0.2]})
    with pytest.raises(DataError, match="no prediction in column 'score' is positive"):
        _analyze(table, probability="score")


def test_missing_group_values_weigh_nothing_in_cdd() -> None:
    groups = [0, 1, None, 1, 0, None, 2, 2, 0, 1, None, 2]
    sides = [True, False, True, True, False, False, True, False, False, True, True, False]
    labels = [1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1]
    table = pa.table({"s": ["d" if d else "a" for d in sides], "g": groups, "y": labels})
    values = _analyze(
        table,
        facet=[{"name_or_index": "s", "value_or_threshold": ["d"]}],
        group_variable="g",
        methods={"pre_training_bias": {"methods": ["CDDL"]}},
    )
    rows = [Row(g, d, bool(y), False) for g, d, y in zip(groups, sides, labels, strict=True)]
    expected, error = reference_metrics(rows, grouped=True)[MetricCode.CDDL.value]
    assert error is None
    assert expected is not None
    assert values["CDDL"] is not None
    assert math.isclose(values["CDDL"], expected, rel_tol=0, abs_tol=0)

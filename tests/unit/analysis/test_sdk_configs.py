"""Analysis configs as SageMaker's SDK writes them, and the edges of Clarify's typing rules.

- ``ModelPredictedLabelConfig(probability_threshold=…)`` over a score column named as the
  predicted label; a ``predictor`` block biaswatch cannot call; a JSON Lines file read with the
  monitor's config, which has no ``dataset_type``.
- A threshold such as ``[0.5]`` on a 0/1 label (decision 0002), and a facet threshold that
  selects no row (decision 0004).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from biaswatch.analysis import analysis_document, analyze, dataset_from_table, read_dataset
from biaswatch.analysis.dataset import read_csv_header
from biaswatch.config import config_from_dict
from biaswatch.errors import ConfigError, ConfigMismatchError, DataError
from biaswatch.metrics import MetricCode

BASE: dict[str, Any] = {
    "label": "y",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "s", "value_or_threshold": ["a"]}],
}
# 60 rows: sides a/b, a 0/1 label, and scores in steps of 0.1 (0.6 exactly on 15 rows).
ROWS = [
    ("ab"[i % 2], (i // 3) % 2, 0.6 if i % 4 == 0 else round((i * 7 % 11) / 10, 1))
    for i in range(60)
]
TABLE = pa.table(
    {"s": [r[0] for r in ROWS], "y": [r[1] for r in ROWS], "score": [r[2] for r in ROWS]}
)


def _document(table: pa.Table, config: dict[str, Any], *, strict: bool = True) -> Any:
    parsed = config_from_dict(BASE | config)
    return analysis_document(analyze(dataset_from_table(table, parsed), parsed, strict=strict))


# ---------------------------------------------------------------- probability_threshold


def test_a_score_column_named_as_the_predicted_label_is_thresholded() -> None:
    from_threshold = _document(TABLE, {"predicted_label": "score", "probability_threshold": 0.6})
    from_probability = _document(TABLE, {"probability": "score", "probability_threshold": 0.6})
    assert from_threshold == from_probability
    [entry] = from_threshold["post_training_bias_metrics"]["facets"]["s"]
    dppl = next(m["value"] for m in entry["metrics"] if m["name"] == "DPPL")
    # score > 0.6, and 0.6 itself is negative: side a (d) 6 of 30, side b 11 of 30.
    positive = {side: sum(1 for s, _, p in ROWS if s == side and p > 0.6) for side in "ab"}
    assert positive == {"a": 6, "b": 11}
    assert dppl == 11 / 30 - 6 / 30


def test_an_integer_threshold_counts_as_set() -> None:
    scores = TABLE.set_column(2, "score", pa.array([r[2] * 10 for r in ROWS]))
    from_threshold = _document(scores, {"predicted_label": "score", "probability_threshold": 5})
    from_probability = _document(scores, {"probability": "score", "probability_threshold": 5})
    assert from_threshold == from_probability


def test_without_probability_threshold_a_score_column_is_still_refused() -> None:
    with pytest.raises(DataError) as caught:
        _document(TABLE, {"predicted_label": "score"})
    assert str(caught.value) == (
        "predicted label column 'score' is continuous but label column is categorical:"
        " Predicted Label Column series datatype is not the same as Label Column series"
    )


def test_a_categorical_prediction_ignores_the_threshold() -> None:
    predicted = TABLE.append_column("p", pa.array([r[1] for r in reversed(ROWS)]))
    with_threshold = _document(predicted, {"predicted_label": "p", "probability_threshold": 0.6})
    assert with_threshold == _document(predicted, {"predicted_label": "p"})


def test_no_score_above_the_explicit_threshold() -> None:
    with pytest.raises(DataError) as caught:
        _document(TABLE, {"predicted_label": "score", "probability_threshold": 1.0})
    assert str(caught.value).startswith(
        "probability_threshold = 1.0: no prediction in column 'score' is positive."
    )
    assert (caught.value.field, caught.value.value) == ("probability_threshold", 1.0)


# ---------------------------------------------------------------- predictor block

PREDICTOR = {
    "model_name": "m",
    "instance_type": "ml.m5.xlarge",
    "initial_instance_count": 1,
    "accept_type": "text/csv",
    "content_type": "text/csv",
    "probability": 0,
}


def test_a_predictor_block_without_predictions_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        _document(TABLE, {"predictor": PREDICTOR, "probability_threshold": 0.6})
    assert caught.value.exit_code == 2
    assert (caught.value.field, caught.value.value) == ("predictor", PREDICTOR)
    message = str(caught.value)
    assert message.startswith(
        'predictor = {"model_name":"m","instance_type":"ml.m5.xlarge","initial_instance_count":1,'
        "\"...: the 'predictor' block names a SageMaker model to make the predictions of the"
        " post-training metrics, and biaswatch cannot call a SageMaker model."
    )
    assert "name their column 'predicted_label'" in message
    assert "ModelConfig(model_url=...), a ModelConfig(predictor=<a callable>)" in message


def test_a_predictor_block_is_ignored_when_the_dataset_has_predictions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="biaswatch.analysis"):
        with_block = _document(TABLE, {"probability": "score", "predictor": PREDICTOR})
    assert with_block == _document(TABLE, {"probability": "score"})
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "INFO",
            "the analysis config's 'predictor' block (a SageMaker model) is ignored: the"
            " predictions come from the dataset's column 'score'",
        )
    ]


def test_a_predictor_block_with_pre_training_only(caplog: pytest.LogCaptureFixture) -> None:
    methods = {"pre_training_bias": {"methods": ["DPL"]}}
    with caplog.at_level(logging.INFO, logger="biaswatch.analysis"):
        _document(TABLE, {"predictor": PREDICTOR, "methods": methods})
    assert caplog.messages == [
        "the analysis config's 'predictor' block (a SageMaker model) is ignored: no"
        " post-training metric is asked for"
    ]


def test_without_a_predictor_block_the_missing_output_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        _document(TABLE, {})
    assert caught.value.field == "methods.post_training_bias"


# ---------------------------------------------------------------- JSON Lines read as CSV

HEADERS = ["a", "b", "s", "y"]


def _json_lines(path: Path, *, blank_first: bool = False) -> Path:
    lines = [json.dumps({"features": [1, 2, "ab"[i % 2]], "label": i % 2}) for i in range(4)]
    path.write_text(("\n\n" if blank_first else "") + "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("headers", [None, HEADERS])
@pytest.mark.parametrize("blank_first", [False, True])
def test_a_json_lines_file_without_dataset_type(
    tmp_path: Path, headers: list[str] | None, blank_first: bool
) -> None:
    path = _json_lines(tmp_path / "d.jsonl", blank_first=blank_first)
    config = config_from_dict(BASE | {"headers": headers, "label": "y"})
    with pytest.raises(ConfigError) as caught:
        read_dataset(path, config)
    assert type(caught.value) is ConfigError
    assert (caught.value.field, caught.value.value) == ("dataset_type", "text/csv")
    assert str(caught.value) == (
        f"dataset {str(path)!r} looks like JSON Lines (its first line is a JSON object), but the"
        " analysis config's dataset_type is 'text/csv' (the default when it is not set): set"
        ' "dataset_type": "application/jsonlines" (or "application/json" for one JSON'
        ' document) and "features", the JMESPath of the features in each record (e.g.'
        ' "features"), and give "label" as a JMESPath too'
    )


def test_a_csv_whose_first_line_is_json_but_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("1,2\n3,4\n")  # "1,2" is not JSON; "[1, 2]" would be, and is no object
    assert read_csv_header(path, headers=None) == (["1", "2"], True)
    path.write_text("[1,2]\n")
    assert read_csv_header(path, headers=None) == (["[1", "2]"], True)


# ---------------------------------------------------------------- a threshold on a 0/1 label

WARNING = (
    "label_values_or_threshold = [{t}]: label column 'y' holds only 0 and 1 and is"
    " categorical, so {t} is not a threshold: it is converted to the column's type and matched,"
    " which makes the label {positive} positive. Write the positive label itself: [1] (or [0])."
    " (SageMaker Clarify reads this config as 'label > {t}' when the column has 40 rows or"
    " fewer, and as biaswatch does above that; see"
    " docs/decisions/0002-binary-labels-are-categorical.md.)"
)
PRE = {"pre_training_bias": {"methods": ["DPL"]}}


@pytest.mark.parametrize(("threshold", "positive"), [(0.5, 0), (-0.5, 0), (1.5, 1)])
def test_a_threshold_on_a_binary_label_warns(
    caplog: pytest.LogCaptureFixture, threshold: float, positive: int
) -> None:
    with caplog.at_level(logging.WARNING, logger="biaswatch.analysis"):
        document = _document(TABLE, {"label_values_or_threshold": [threshold], "methods": PRE})
    assert caplog.messages == [WARNING.format(t=threshold, positive=positive)]
    # The value is matched as int(threshold): the same numbers as [positive].
    same = _document(TABLE, {"label_values_or_threshold": [positive], "methods": PRE})
    assert (
        document["pre_training_bias_metrics"]["facets"]
        == (same["pre_training_bias_metrics"]["facets"])
    )


@pytest.mark.parametrize(
    ("table", "values"),
    [
        (TABLE, [1]),
        (TABLE, [0]),
        (TABLE, [1.0]),
        (TABLE, ["1"]),
        (TABLE, [True]),
        (TABLE, [0, 1.5]),  # two values: categorical for Clarify too
        (TABLE.set_column(1, "y", pa.array([float(r[1]) for r in ROWS])), [0.5]),  # continuous
        (TABLE.set_column(1, "y", pa.array([r[1] * 2 for r in ROWS])), [2.5]),  # 0/2, not 0/1
    ],
)
def test_label_values_that_do_not_warn(
    caplog: pytest.LogCaptureFixture, table: pa.Table, values: list[Any]
) -> None:
    with caplog.at_level(logging.WARNING, logger="biaswatch.analysis"):
        _document(table, {"label_values_or_threshold": values, "methods": PRE})
    assert caplog.messages == []


@pytest.mark.parametrize(
    "label",
    [
        [bool(r[1]) for r in ROWS],  # 0.5 converts to no boolean
        [str(r[1]) for r in ROWS],  # text: "0.5" is no label
    ],
)
def test_a_threshold_that_matches_nothing_is_an_error_not_a_warning(
    caplog: pytest.LogCaptureFixture, label: list[Any]
) -> None:
    table = TABLE.set_column(1, "y", pa.array(label))
    with (
        caplog.at_level(logging.WARNING, logger="biaswatch.analysis"),
        pytest.raises(ConfigMismatchError, match="no row of label column 'y' is positive"),
    ):
        _document(table, {"label_values_or_threshold": [0.5], "methods": PRE})
    assert caplog.messages == []


def test_monitoring_windows_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="biaswatch.analysis"):
        _document(TABLE, {"label_values_or_threshold": [0.5], "methods": PRE}, strict=False)
    assert caplog.messages == []


# ---------------------------------------------------------------- an empty facet threshold

SMALL = pa.table({"sex": [i % 2 for i in range(20)], "y": [(i // 3) % 2 for i in range(20)]})


def test_a_small_binary_facet_read_as_continuous_with_threshold_1() -> None:
    config = {"facet": [{"name_or_index": "sex", "value_or_threshold": [1]}]}
    with pytest.raises(ConfigMismatchError) as caught:
        _document(SMALL, config | {"methods": {"pre_training_bias": {"methods": "all"}}})
    assert (caught.value.field, caught.value.value) == ("facet[0].value_or_threshold", [1])
    assert str(caught.value) == (
        "facet[0].value_or_threshold = [1]: no row of facet column 'sex' is above the threshold,"
        " so the sensitive group d is empty. The column is read as continuous (Clarify's rule"
        " for floats, and for integers with at least 5 % distinct values), and a threshold t"
        " selects the rows whose value is > t: its values range from 0 to 1; choose a threshold"
        " below 1 ([0] makes d the rows whose value is 1)"
    )


def test_a_threshold_above_the_maximum() -> None:
    ages = pa.table({"age": [18.5 + i for i in range(30)], "y": [i % 2 for i in range(30)]})
    config = {
        "facet": [{"name_or_index": "age", "value_or_threshold": [60]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}},
    }
    with pytest.raises(ConfigMismatchError) as caught:
        _document(ages, config)
    assert str(caught.value).endswith(
        "its values range from 18.5 to 47.5; choose a threshold below 47.5"
    )


def test_a_facet_with_no_values() -> None:
    empty = pa.table({"f": pa.array([None] * 4, pa.float64()), "y": [0, 1, 0, 1]})
    config = {
        "facet": [{"name_or_index": "f", "value_or_threshold": [0]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}},
    }
    with pytest.raises(ConfigMismatchError, match=r"> t: it has no values$"):
        _document(empty, config)


def test_monitoring_windows_keep_clarifys_empty_facet_errors() -> None:
    config = {
        "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}},
    }
    document = _document(SMALL, config, strict=False)
    [entry] = document["pre_training_bias_metrics"]["facets"]["sex"]
    assert entry == {
        "value_or_threshold": "",
        "metrics": [
            {
                "name": MetricCode.CI.value,
                "description": "Class Imbalance (CI)",
                "value": None,
                "error": "CI: facet set is empty. Check that x[facet] has non-zero length.",
            },
            {
                "name": MetricCode.DPL.value,
                "description": "Difference in Positive Proportions in Labels (DPL)",
                "value": None,
                "error": "Facet set is empty.",
            },
        ],
    }

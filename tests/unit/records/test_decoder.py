"""Payload decoding: formats, attributes, scores, labels, and what counts as malformed."""

from __future__ import annotations

import pytest

from biaswatch.errors import ConfigError
from biaswatch.records import (
    Attribute,
    DecodingOptions,
    Malformed,
    PayloadDecoder,
    PayloadFormat,
    excluded_positions,
    payload_format,
)

CSV, JSON, JSONL = PayloadFormat.CSV, PayloadFormat.JSON, PayloadFormat.JSON_LINES


def decoder(**options: object) -> PayloadDecoder:
    return PayloadDecoder(DecodingOptions(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content_type", "encoding", "expected"),
    [
        ("text/csv", "CSV", CSV),
        ("text/csv; charset=utf-8", "BASE64", CSV),
        ("application/json", "JSON", JSON),
        ("application/jsonlines", "JSON", JSONL),
        ("application/x-ndjson", "BASE64", JSONL),
        ("", "JSON", JSON),
        ("application/octet-stream", "BASE64", None),
    ],
)
def test_payload_format(content_type: str, encoding: str, expected: PayloadFormat | None) -> None:
    assert payload_format(content_type, encoding=encoding) is expected


def test_csv_features_keep_quoted_commas() -> None:
    assert decoder().feature_rows('1,"a,b",3\n4,x,6\n', CSV) == [["1", "a,b", "3"], ["4", "x", "6"]]


def test_json_features_by_jmespath() -> None:
    rows = decoder(features_attribute="instances[*].features").feature_rows(
        '{"instances": [{"features": [1, 2]}, {"features": [3, 4]}]}', JSON
    )
    assert rows == [[1, 2], [3, 4]]
    assert decoder(features_attribute="features").feature_rows('{"features": [1, 2]}', JSON) == [
        [1, 2]
    ]


def test_json_features_without_an_attribute() -> None:
    assert decoder().feature_rows('{"x": 1, "y": 2}', JSON) == [[1, 2]]  # an object's values
    with pytest.raises(Malformed, match="must be a list of values"):
        decoder().feature_rows("5", JSON)
    assert decoder().feature_rows("[[1, 2], [3, 4]]", JSON) == [[1, 2], [3, 4]]
    with pytest.raises(Malformed, match="selects nothing"):
        decoder(features_attribute="missing").feature_rows('{"x": 1}', JSON)


def test_scores_become_labels_above_the_threshold() -> None:
    assert decoder().predictions("0.5\n0.51", CSV, count=2) == [0, 1]
    assert decoder(probability_threshold=0.8).predictions("0.79,0.81,0.9", CSV, count=3) == [
        0,
        1,
        1,
    ]
    assert decoder(probability_attribute="1").predictions("yes,0.9", CSV, count=1) == [1]
    assert decoder(inference_attribute=0).predictions("yes,0.9", CSV, count=1) == ["yes"]


def test_json_predictions() -> None:
    out = '{"predictions": [{"label": "b", "score": 0.4}, {"label": "a", "score": 0.9}]}'
    assert decoder(inference_attribute="predictions[*].label").predictions(out, JSON, count=2) == [
        "b",
        "a",
    ]
    assert decoder(probability_attribute="predictions[*].score").predictions(
        out, JSON, count=2
    ) == [0, 1]


def test_most_probable_label_when_each_record_has_several() -> None:
    out = '{"labels": [["x", "y"], ["x", "y"]], "scores": [[0.8, 0.2], [0.1, 0.9]]}'
    picked = decoder(inference_attribute="labels", probability_attribute="scores")
    assert picked.predictions(out, JSON, count=2) == ["x", "y"]


@pytest.mark.parametrize(
    ("output", "options", "reason"),
    [
        ("0.1", {}, "1 predictions for 2 input records"),
        ("abc", {}, "score 'abc' is not a number"),
        ("1,2", {}, "needs inference_attribute or probability_attribute"),
        ("not json", {"inference_attribute": "x"}, "not valid JSON"),
    ],
)
def test_malformed_outputs(output: str, options: dict[str, object], reason: str) -> None:
    fmt = JSON if output == "not json" else CSV
    count = 2 if reason.startswith("1 predictions") else 1
    with pytest.raises(Malformed, match=reason):
        decoder(**options).predictions(output, fmt, count=count)


def test_labels() -> None:
    assert decoder().labels("1", CSV) == ["1"]
    assert decoder().labels("1\n0", CSV) == ["1", "0"]
    assert decoder(label_attribute="label").labels('{"label": 1}', JSON) == [1]
    assert decoder(label_attribute="instances[*].label").labels(
        '{"instances": [{"label": 0}, {"label": 1}]}', JSON
    ) == [0, 1]
    with pytest.raises(Malformed, match="selects nothing"):
        decoder(label_attribute="label").labels('{"y": 1}', JSON)


def test_attributes() -> None:
    assert Attribute.parse(" 2 ", field="f").index == 2
    assert Attribute.parse("a.b", field="f").search({"a": {"b": 3}}) == 3
    with pytest.raises(ConfigError, match="inference_attribute = 'a\\[' is neither"):
        Attribute.parse("a[", field="inference_attribute")


def test_excluded_positions() -> None:
    assert excluded_positions(None, names=None, width=3) == frozenset()
    assert excluded_positions("2", names=None, width=3) == {2}
    with pytest.raises(ConfigError, match="index 5 is outside the 3 features"):
        excluded_positions("5", names=None, width=3)
    with pytest.raises(ConfigError, match="'zip'"):
        excluded_positions("zip", names=["a"], width=1)

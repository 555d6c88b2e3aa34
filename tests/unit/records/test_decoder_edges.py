"""Decoding's less common shapes: indices into JSON lists, bare JSON scores, values Arrow mixes."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from biaswatch.records import DecodingOptions, Malformed, PayloadDecoder, PayloadFormat
from biaswatch.records.attributes import Attribute, excluded_positions
from biaswatch.records.typing import values_column

CSV, JSON = PayloadFormat.CSV, PayloadFormat.JSON


def decoder(**options: Any) -> PayloadDecoder:
    return PayloadDecoder(DecodingOptions(**options))


@pytest.mark.parametrize(
    ("document", "expected"),
    [([10, 20, 30], 20), ([10], None), ({"1": 20}, None), ("20", None)],
    ids=["in-range", "too-short", "object", "string"],
)
def test_an_index_selects_from_a_json_list_only(document: Any, expected: Any) -> None:
    assert Attribute.parse("1", field="f").search(document) == expected


def test_a_negative_index_counts_from_the_end() -> None:
    last = Attribute.parse("-1", field="f")
    assert last.search([1, 2, 3]) == 3
    assert last.pick(["a", "b"]) == "b"
    assert Attribute.parse("-3", field="f").pick(["a", "b"]) is None


def test_a_jmespath_attribute_picks_nothing_from_a_csv_row() -> None:
    assert Attribute.parse("label", field="f").pick(["1", "0.4"]) is None


def test_an_inference_index_beyond_the_csv_output_is_malformed() -> None:
    with pytest.raises(Malformed, match="inference_attribute 3 selects nothing"):
        decoder(inference_attribute=3).predictions("yes,0.9", CSV, count=1)


def test_a_bare_json_number_is_a_score() -> None:
    assert decoder().predictions("0.7", JSON, count=1) == [1]
    assert decoder(probability_threshold=0.8).predictions("0.7", JSON, count=1) == [0]


@pytest.mark.parametrize("output", ['{"label": 1}', "true", '"0.9"', "[0.9]"])
def test_a_json_output_without_attributes_must_be_a_bare_number(output: str) -> None:
    with pytest.raises(Malformed, match="needs inference_attribute or probability_attribute"):
        decoder().predictions(output, JSON, count=1)


def test_a_single_json_score_is_one_prediction() -> None:
    assert decoder(probability_attribute="score").predictions('{"score": 0.9}', JSON, count=1) == [
        1
    ]


def test_labels_without_scores_of_their_own_are_kept_as_they_are() -> None:
    out = '{"labels": ["x", ["a", "b"]], "scores": [0.3, [0.2, 0.8]]}'
    picked = decoder(inference_attribute="labels", probability_attribute="scores")
    assert picked.predictions(out, JSON, count=2) == ["x", "b"]
    single = '{"labels": "x", "scores": 0.3}'
    assert picked.predictions(single, JSON, count=1) == ["x"]


@pytest.mark.parametrize(
    ("score", "reason"), [("nan", "not a finite number"), ("", "not a number")]
)
def test_a_score_that_is_no_finite_number_is_malformed(score: str, reason: str) -> None:
    with pytest.raises(Malformed, match=reason):
        decoder(probability_attribute=0).predictions(f"{score},x", CSV, count=1)


def test_empty_items_of_an_exclusion_list_are_ignored() -> None:
    assert excluded_positions("0,, 2,", names=None, width=3) == {0, 2}


def test_values_arrow_cannot_hold_in_one_type_become_text() -> None:
    column = values_column([1, "a", None, 2.5, [1]])
    assert column.type == pa.string()
    assert column.to_pylist() == ["1", "a", None, "2.5", "[1]"]
    assert values_column([1, None, 3]).to_pylist() == [1, None, 3]


_cells = st.text(alphabet="abcxyz0123456789.-", min_size=1, max_size=6)


@given(st.lists(st.lists(_cells, min_size=1, max_size=5), min_size=1, max_size=6))
def test_csv_rows_decode_to_their_fields(rows: list[list[str]]) -> None:
    text = "\n".join(",".join(row) for row in rows)
    assert decoder().feature_rows(text, CSV) == rows


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=8),
    st.floats(0, 1),
)
def test_scores_are_positive_exactly_above_the_threshold(
    scores: list[float], threshold: float
) -> None:
    text = "\n".join(repr(score) for score in scores)
    found = decoder(probability_threshold=threshold).predictions(text, CSV, count=len(scores))
    assert found == [int(score > threshold) for score in scores]

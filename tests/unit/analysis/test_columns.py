"""Clarify's type inference and value matching, column by column."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pytest

from biaswatch.analysis.columns import Column, ColumnKind, DataType, converted_values
from biaswatch.analysis.facets import interval_label, matching_codes


def col(values: Sequence[object], arrow_type: pa.DataType | None = None) -> Column:
    return Column.of("c", pa.array(values, type=arrow_type))


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([1, 2], ColumnKind.INT),
        ([1, None], ColumnKind.FLOAT),  # pandas turns an int column with NaN into floats
        ([1.5, 2.0], ColumnKind.FLOAT),
        ([True, False], ColumnKind.BOOL),
        ([True, None], ColumnKind.OBJECT),
        (["a", "b"], ColumnKind.OBJECT),
    ],
)
def test_kind_is_the_pandas_dtype(values: list[object], kind: ColumnKind) -> None:
    assert col(values).kind is kind


def test_category_kind() -> None:
    assert Column.of("c", pa.array(["a", "b"]).dictionary_encode()).kind is ColumnKind.CATEGORY


def test_floats_are_continuous_whatever_their_uniqueness() -> None:
    assert col([0.0, 1.0] * 50).data_type([1], binary_is_categorical=False) is DataType.CONTINUOUS


def test_integers_are_continuous_from_five_percent_distinct() -> None:
    twenty_distinct = list(range(20)) * 20  # 5 % distinct
    assert col(twenty_distinct).data_type([3], binary_is_categorical=False) is DataType.CONTINUOUS
    nineteen = list(range(19)) * 20 + [0]
    assert col(nineteen).data_type([3], binary_is_categorical=False) is DataType.CATEGORICAL


def test_integer_strings_follow_the_integer_rule() -> None:
    assert col([str(i) for i in range(10)]).data_type([3], binary_is_categorical=False) is (
        DataType.CONTINUOUS
    )
    assert col(["a", "b"] * 10).data_type(["a"], binary_is_categorical=False) is (
        DataType.CATEGORICAL
    )


def test_several_values_make_a_column_categorical() -> None:
    assert col([1.5, 2.5]).data_type([1.5, 2.5], binary_is_categorical=False) is (
        DataType.CATEGORICAL
    )


def test_small_zero_one_integers_clarify_would_read_as_continuous() -> None:
    small = col([0, 1] * 10)  # 2 of 20 distinct: Clarify says continuous
    assert small.data_type([1], binary_is_categorical=False) is DataType.CONTINUOUS
    assert small.data_type([1], binary_is_categorical=True) is DataType.CATEGORICAL
    assert col([0.0, 1.0] * 10).data_type([1], binary_is_categorical=True) is (DataType.CONTINUOUS)


def test_matching_retries_with_values_of_the_column_type() -> None:
    strings = col(["1", "2", "1"])
    uniques = strings.factorize().uniques
    assert matching_codes(uniques, [1], strings) == (0,)
    integers = col([3, 1, 2])
    assert matching_codes(integers.factorize().uniques, ["1", "2"], integers) == (1, 2)
    assert matching_codes(integers.factorize().uniques, ["x"], integers) == ()


def test_factorize_keeps_first_appearance_and_missing_values() -> None:
    factorized = col(["b", None, "a", "b"]).factorize()
    assert factorized.uniques == ("b", None, "a")
    assert factorized.codes.tolist() == [0, 1, 2, 0]


def test_boolean_conversion_of_configured_values() -> None:
    assert converted_values(["True", "false", 1], bool) == [True, False, True]
    assert converted_values(["maybe"], bool) is None


@pytest.mark.parametrize(
    ("threshold", "top", "label"),
    [
        (40, 90.0, "(40.0, 90.0]"),
        (40.5, 90, "(40.5, 90.0]"),
        (100, 225, "(100, 225]"),
        (300, 225, "(225, 300]"),
        (225, 225, ""),
        (5, -5, ""),  # abs(max) is already a break: no interval at all
        (-7, -5, "(-7, -5]"),
    ],
)
def test_interval_labels_print_like_pandas(threshold: float, top: float, label: str) -> None:
    assert interval_label(threshold, top) == label

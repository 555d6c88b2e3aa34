"""Labels and predictions turned into positive/negative, by Clarify's rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biaswatch.analysis.columns import Column, ColumnKind, DataType
from biaswatch.analysis.facets import matching_codes, threshold_of
from biaswatch.config import Value
from biaswatch.errors import ConfigMismatchError, DataError

__all__ = ["Outcome", "binarize_label", "binarize_predicted", "binarize_scores"]

BoolArray = npt.NDArray[np.bool_]

_FIELD = "label_values_or_threshold"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A column made binary: which rows are positive, and how the column was typed."""

    positive: BoolArray
    data_type: DataType
    numbers: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None = None


def _binarize(column: Column, values: list[Value], data_type: DataType) -> Outcome:
    if data_type is DataType.CONTINUOUS:
        numbers = column.numbers()
        with np.errstate(invalid="ignore"):
            positive = numbers > threshold_of(values, field=_FIELD)
        return Outcome(positive, data_type, numbers)
    factorized = column.factorize()
    positive_codes = matching_codes(factorized.uniques, values, column)
    return Outcome(factorized.mask(positive_codes), data_type)


def binarize_label(column: Column, values: list[Value], *, strict: bool) -> Outcome:
    """The positive-label mask: value match for a categorical label, ``> t`` for a continuous one.

    A label column of integers or booleans holding only 0 and 1 is categorical however short
    it is. With ``strict``, a label whose configured values match no row raises
    :class:`DataError` (most often a value written as ``"1"`` versus ``1``, or a typo), and a
    threshold such as ``[0.5]`` applied to a 0/1 label is logged as a warning (see
    :func:`_warn_threshold_on_binary`).
    """
    data_type = column.data_type(values, binary_is_categorical=True)
    outcome = _binarize(column, values, data_type)
    if strict and not outcome.positive.any():
        reason = (
            "no value is above the threshold"
            if data_type is DataType.CONTINUOUS
            else "no row has these values"
        )
        raise ConfigMismatchError(
            f"{_FIELD} = {values!r}: no row of label column {column.name!r} is positive ({reason})",
            field=_FIELD,
            value=values,
        )
    if strict and data_type is DataType.CATEGORICAL:
        _warn_threshold_on_binary(column, values, outcome.positive)
    return outcome


def _warn_threshold_on_binary(column: Column, values: list[Value], positive: BoolArray) -> None:
    """Warn when a threshold such as ``[0.5]`` is applied to an integer 0/1 label.

    A single non-integer number reads as a threshold (label > 0.5), but a 0/1 label is
    categorical: the value is converted to the column's type (``int(0.5)`` is 0) and matched,
    so 0 is positive. Clarify does the same above 40 rows and computes ``label > 0.5`` at 40
    rows or fewer (decision 0002); either way the person most likely meant ``[1]``.
    """
    [value, *others] = values
    threshold_like = isinstance(value, float) and not value.is_integer()
    if others or not threshold_like or column.kind is not ColumnKind.INT:
        return
    present = set(column.factorize().uniques)
    if not present <= {0, 1}:
        return
    [matched] = {int(v) for v in column.numbers()[positive].tolist()}
    log.warning(
        "%s = %r: label column %r holds only 0 and 1 and is categorical, so %s is not a"
        " threshold: it is converted to the column's type and matched, which makes the label"
        " %d positive. Write the positive label itself: [1] (or [0]). (SageMaker Clarify reads"
        " this config as 'label > %s' when the column has 40 rows or fewer, and as biaswatch"
        " does above that; see docs/decisions/0002-binary-labels-are-categorical.md.)",
        _FIELD,
        values,
        column.name,
        value,
        matched,
        value,
    )


def binarize_predicted(
    column: Column, values: list[Value], label: Outcome, *, threshold: float | None = None
) -> BoolArray:
    """The positive-prediction mask, with the label's values and type (Clarify's rules).

    The predicted column must have the label's type; a continuous prediction is first cast to
    the label's dtype (so float predictions of an integer label are truncated, as in Clarify).
    No positive prediction at all is an error, as it is for Clarify.

    With ``threshold`` (a ``probability_threshold`` the config sets), a continuous predicted
    column of a categorical label holds scores: a prediction is positive when its score is
    above the threshold, as Clarify reads ``ModelPredictedLabelConfig(probability_threshold=…)``
    with a score column named as the predicted label.
    """
    data_type = column.data_type(values, binary_is_categorical=True)
    if (
        threshold is not None
        and data_type is DataType.CONTINUOUS
        and label.data_type is DataType.CATEGORICAL
    ):
        return binarize_scores(column, threshold, field="predicted_label")
    if data_type is not label.data_type:
        raise DataError(
            f"predicted label column {column.name!r} is {data_type} but label column is"
            f" {label.data_type}: Predicted Label Column series datatype is not the same as"
            " Label Column series",
            field="predicted_label",
            value=column.name,
        )
    if data_type is DataType.CATEGORICAL:
        positive = _binarize(column, values, data_type).positive
    else:
        numbers = column.numbers()
        assert label.numbers is not None
        if label.numbers.dtype.kind == "i" and numbers.dtype.kind == "f":
            if np.isnan(numbers).any():
                raise DataError(
                    f"predicted label column {column.name!r} has missing values and cannot be"
                    " cast to the integer label's type",
                    field="predicted_label",
                    value=column.name,
                )
            numbers = numbers.astype(np.int64)
        with np.errstate(invalid="ignore"):
            positive = numbers > threshold_of(values, field=_FIELD)
    return _require_positive(positive, column, field=_FIELD, value=values)


def binarize_scores(column: Column, threshold: float, *, field: str = "probability") -> BoolArray:
    """The positive-prediction mask from scores: ``score > threshold`` (missing is negative).

    ``field`` names the config key of the score column in errors.
    """
    if not column.kind.numeric:
        try:
            numbers = column.numbers()
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise DataError(
                f"{field} column {column.name!r} is not numeric: {exc}",
                field=field,
                value=column.name,
            ) from exc
    else:
        numbers = column.numbers()
    with np.errstate(invalid="ignore"):
        positive = numbers > threshold
    return _require_positive(positive, column, field="probability_threshold", value=threshold)


def _require_positive(
    positive: BoolArray, column: Column, *, field: str, value: object
) -> BoolArray:
    if not positive.any():
        raise DataError(
            f"{field} = {value!r}: no prediction in column {column.name!r} is positive. No"
            " Label values are present in the predicted Label Column,Positive Predicted Index"
            " Series contains all False values",
            field=field,
            value=value,
        )
    return positive

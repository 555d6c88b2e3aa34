"""Columns typed the way Clarify sees them: categorical or continuous, and their codes.

Clarify runs on pandas, so what counts is the pandas dtype a column would have: integers with
missing values are floats, booleans with missing values are objects. ``Column`` wraps an Arrow
array with that view, and implements Clarify's type-inference rule and its value matching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from biaswatch.config import Value

__all__ = [
    "Column",
    "ColumnKind",
    "DataType",
    "Factorized",
    "code_mask",
    "converted_values",
    "display",
]

# Clarify's UNIQUENESS_THRESHOLD: an integer column is continuous from 5 % distinct values.
_UNIQUENESS = 0.05


class ColumnKind(StrEnum):
    """The pandas dtype family a column would have."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    OBJECT = "object"
    CATEGORY = "category"

    @property
    def numeric(self) -> bool:
        """Whether pandas counts the kind as numeric (``select_dtypes([np.number, bool])``)."""
        return self in (ColumnKind.INT, ColumnKind.FLOAT, ColumnKind.BOOL)


class DataType(StrEnum):
    """Clarify's two column types."""

    CATEGORICAL = "categorical"
    CONTINUOUS = "continuous"


@dataclass(frozen=True, slots=True)
class Factorized:
    """Codes ``0..k-1`` per row, and the ``k`` distinct values in order of first appearance.

    A missing value is a distinct value too (``None``), as NaN is in ``pandas.unique``.
    """

    codes: npt.NDArray[np.integer[Any]]
    uniques: tuple[Any, ...]

    def mask(self, codes: Sequence[int]) -> npt.NDArray[np.bool_]:
        """The rows whose code is one of ``codes``."""
        return code_mask(self.codes, len(self.uniques), codes)


def code_mask(
    codes: npt.NDArray[np.integer[Any]], size: int, selected: Sequence[int]
) -> npt.NDArray[np.bool_]:
    """The rows whose code (in ``range(size)``) is one of ``selected``, by table lookup."""
    table = np.zeros(size, dtype=bool)
    table[list(selected)] = True
    mask: npt.NDArray[np.bool_] = table[codes]
    return mask


def display(value: object) -> str:
    """Format a value as Clarify's output does (``str`` of the pandas value; missing is ``nan``)."""
    return "nan" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Column:
    """A named column of a dataset, viewed with pandas' dtypes."""

    name: str
    data: pa.Array
    weights: npt.NDArray[np.int64] | None = None
    """How many rows each value stands for (an aggregated dataset), or None: one each."""

    @classmethod
    def of(
        cls,
        name: str,
        data: pa.Array | pa.ChunkedArray,
        weights: npt.NDArray[np.int64] | None = None,
    ) -> Column:
        """Wrap an Arrow array (its chunks are combined)."""
        if isinstance(data, pa.ChunkedArray):
            data = data.chunk(0) if data.num_chunks == 1 else data.combine_chunks()
        return cls(name, data, weights)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def kind(self) -> ColumnKind:
        """The pandas dtype family of this column."""
        arrow_type = self.data.type
        if pa.types.is_dictionary(arrow_type):
            return ColumnKind.CATEGORY
        if pa.types.is_integer(arrow_type):
            return ColumnKind.INT if self.data.null_count == 0 else ColumnKind.FLOAT
        if pa.types.is_floating(arrow_type):
            return ColumnKind.FLOAT
        if pa.types.is_boolean(arrow_type) and self.data.null_count == 0:
            return ColumnKind.BOOL
        return ColumnKind.OBJECT

    def _as_integers(self) -> pa.Array | None:
        """The column cast to int64 as pandas' ``astype("int64")`` would, or None if it cannot.

        Only integers, booleans and strings are tried: pandas never reads floats as integers.
        """
        data = self.data
        if data.null_count or pa.types.is_floating(data.type):
            return None
        if pa.types.is_integer(data.type):
            return data.cast(pa.int64())
        try:
            # A failed cast still parses every value; a sample fails fast for text columns.
            pc.cast(data.slice(0, 64), pa.int64())
            return pc.cast(data, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None

    def uniqueness(self) -> float:
        """Distinct non-missing values over non-missing values (0.0 for an all-missing column)."""
        valid = int(len(self.data) - self.data.null_count)
        if self.weights is not None:
            present = np.asarray(pc.is_valid(self.data).to_numpy(zero_copy_only=False), bool)
            valid = int(self.weights[present].sum())
        if valid == 0:
            return 0.0
        distinct = int(pc.count_distinct(self.data, mode="only_valid").as_py())
        return distinct / valid

    def data_type(self, values: Sequence[Value] | None, *, binary_is_categorical: bool) -> DataType:
        """Clarify's type-inference rule (``series_datatype``), applied to this column.

        Categorical when the dtype is categorical or several values are given; otherwise floats
        are continuous, and integers (or integer strings) are continuous when at least 5 % of
        them are distinct. With ``binary_is_categorical`` an integer or boolean column holding
        only 0 and 1 is categorical however short it is (biaswatch's deliberate departure for
        label columns: Clarify reads a 0/1 label of 40 rows or fewer as continuous and fails).
        """
        kind = self.kind
        if kind is ColumnKind.CATEGORY or (values is not None and len(values) > 1):
            return DataType.CATEGORICAL
        continuous = False
        if kind is ColumnKind.FLOAT:
            continuous = True
        elif kind in (ColumnKind.INT, ColumnKind.OBJECT):
            continuous = self._as_integers() is not None and self.uniqueness() >= _UNIQUENESS
        if continuous and binary_is_categorical and kind is not ColumnKind.FLOAT:
            integers = self._as_integers()
            assert integers is not None
            if pc.all(pc.is_in(integers, pa.array([0, 1]))).as_py():
                return DataType.CATEGORICAL
        return DataType.CONTINUOUS if continuous else DataType.CATEGORICAL

    def numbers(self) -> npt.NDArray[np.float64] | npt.NDArray[np.int64]:
        """The values as numbers, as ``pd.to_numeric`` makes them: int64 or else float64."""
        integers = self._as_integers()
        if integers is not None:
            return np.asarray(integers.to_numpy(zero_copy_only=False), dtype=np.int64)
        data = self.data
        if not (pa.types.is_floating(data.type) or pa.types.is_integer(data.type)):
            data = pc.cast(data, pa.float64())
        return np.asarray(data.to_numpy(zero_copy_only=False), dtype=np.float64)

    def factorize(self) -> Factorized:
        """Codes in order of first appearance, with missing values as one more distinct value."""
        data = self.data
        if pa.types.is_dictionary(data.type):
            data = data.dictionary_decode()
        if pa.types.is_floating(data.type) and pc.any(pc.is_nan(data)).as_py():
            data = pc.if_else(pc.is_nan(data), pa.scalar(None, data.type), data)  # NaN is missing
        encoded = pc.dictionary_encode(data, null_encoding="encode")
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        return Factorized(codes, tuple(encoded.dictionary.to_pylist()))

    def python_type(self) -> type:
        """The Python type of this column's values, for converting configured values to it."""
        return {
            ColumnKind.INT: int,
            ColumnKind.FLOAT: float,
            ColumnKind.BOOL: bool,
        }.get(self.kind, str)


def converted_values(values: Sequence[Value], target: type) -> list[Value] | None:
    """Configured values converted to the column's type, as Clarify retries when none match.

    Returns None when a value cannot be converted. Integers written as ``"1.0"`` become floats
    (Clarify's rule); for a boolean column only ``true``/``false`` and 0/1 convert.

    Examples
    --------
    >>> converted_values(["1", "2"], int)
    [1, 2]
    >>> converted_values(["1.0"], int)
    [1.0]
    >>> converted_values([1], str)
    ['1']
    >>> converted_values(["yes"], bool) is None
    True
    """
    if target is bool:
        flags = {"true": True, "false": False, "1": True, "0": False}
        converted_flags = [flags.get(str(v).lower()) for v in values]
        if any(flag is None for flag in converted_flags):
            return None
        return [flag for flag in converted_flags if flag is not None]
    try:
        return [target(v) for v in values]
    except ValueError:
        if target is not int:
            return None
    try:
        return [float(v) for v in values]
    except ValueError:
        return None

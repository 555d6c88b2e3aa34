"""Typing text columns the way pandas' ``read_csv`` does, without pandas.

Clarify's type inference runs on pandas dtypes, so text read from CSV files and CSV payloads
must get the dtype pandas would give it: integers, else floats, else ``True``/``False``
booleans, else strings; pandas' missing-value markers are missing.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["NULL_MARKERS", "text_column", "typed_column", "values_column"]

# pandas' default missing-value markers (``read_csv``'s ``na_values``).
NULL_MARKERS = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]  # fmt: skip
# Kept as Python values: building Arrow arrays at import time would make pyarrow import pandas.
_BOOLEANS = ("True", "False", "TRUE", "FALSE", "true", "false")


def typed_column(strings: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Cast a string column to int64, else float64, else bool, else leave it as strings.

    Examples
    --------
    >>> typed_column(pa.array(["1", "2", None])).type
    DataType(int64)
    >>> typed_column(pa.array(["1", "2.5"])).type
    DataType(double)
    >>> typed_column(pa.array(["True", "false"])).to_pylist()
    [True, False]
    """
    for target in (pa.int64(), pa.float64()):
        try:
            return pc.cast(strings, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    if strings.null_count < len(strings) and pc.all(pc.is_in(strings, pa.array(_BOOLEANS))).as_py():
        return pc.equal(pc.utf8_lower(strings), "true")
    return strings


def text_column(values: list[str | None] | pa.Array) -> pa.Array:
    """A column from text fields (CSV): missing-value markers are missing, then typed."""
    strings = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    nulls = pc.is_in(strings, pa.array(NULL_MARKERS))
    return typed_column(pc.if_else(nulls, pa.scalar(None, pa.string()), strings))


def values_column(values: list[Any]) -> pa.Array:
    """A column from JSON values, which keep their types (a JSON string stays a string).

    Mixed values that Arrow cannot hold in one type become strings, as pandas' object columns
    would hold them.
    """
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())

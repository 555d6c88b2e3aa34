"""The rows of a Parquet file as plain Python records, each with its row number.

Batch-transform records in Parquet are read as the same records as JSON ones: a row is a
mapping of column name to value, in the file's column order, with structs and maps as
mappings and lists as lists, so that the JSON rules (JMESPath attributes, ``SageMakerOutput``)
apply to it unchanged. Columns are converted to Python values a record batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from biaswatch.records import Malformed

__all__ = ["parquet_rows"]


def parquet_rows(content: bytes) -> Iterator[tuple[int, dict[str, Any] | Malformed]]:
    """Each row of a Parquet file (1 is the first) as a record.

    A file that is not Parquet is one :class:`Malformed` (row 1); a file that breaks off
    after some rows yields them, then one :class:`Malformed` at the row where it broke.

    Examples
    --------
    >>> import io
    >>> sink = io.BytesIO()
    >>> pq.write_table(pa.table({"id": ["a"], "out": [{"score": 0.9}]}), sink)
    >>> list(parquet_rows(sink.getvalue()))
    [(1, {'id': 'a', 'out': {'score': 0.9}})]
    >>> list(parquet_rows(b"id,out"))[0][1].reason
    'not a Parquet file: ...'
    """
    try:
        file = pq.ParquetFile(pa.BufferReader(content))
    except (pa.ArrowException, OSError) as exc:
        yield 1, Malformed(f"not a Parquet file: {_one_line(exc)}")
        return
    number = 0
    for group in range(file.num_row_groups):  # a group at a time: a bad one ends the reading
        try:
            table = file.read_row_group(group)
        except (pa.ArrowException, OSError) as exc:
            yield (
                number + 1,
                Malformed(f"the Parquet file cannot be read after row {number}: {_one_line(exc)}"),
            )
            return
        names = table.schema.names
        for batch in table.to_batches():
            columns = [_python(column) for column in batch.columns]
            for values in zip(*columns, strict=True):
                number += 1
                yield number, dict(zip(names, values, strict=True))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _python(column: pa.Array) -> list[Any]:
    """A column's values as JSON would hold them (a map is a mapping, not a list of pairs)."""
    values: list[Any] = column.to_pylist()
    if not _has_map(column.type):
        return values
    return [_plain(value, column.type) for value in values]


def _has_map(kind: pa.DataType) -> bool:
    if pa.types.is_map(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_map(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _has_map(kind.value_type)
    return False


def _plain(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_map(kind):
        return {key: _plain(item, kind.item_type) for key, item in value}
    if pa.types.is_struct(kind):
        return {
            kind.field(i).name: _plain(value[kind.field(i).name], kind.field(i).type)
            for i in range(kind.num_fields)
        }
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return [_plain(item, kind.value_type) for item in value]
    return value

"""Datasets for analysis: CSV, JSON Lines, JSON and Parquet read into an Arrow table.

CSV columns are typed as pandas' ``read_csv`` types them (integers, then floats, then
``True``/``False``, else strings; pandas' missing-value markers), because Clarify's type
inference runs on those dtypes. A CSV may have a header row or not: when the config lists
``headers`` and the first row is not exactly those headers, the file has no header row.
JSON Lines and JSON datasets are read by :mod:`biaswatch.analysis.json_dataset`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from biaswatch.analysis.columns import Column
from biaswatch.analysis.json_dataset import read_json_document, read_jsonlines
from biaswatch.config import AnalysisConfig, ColumnRef
from biaswatch.errors import ConfigError, ConfigMismatchError, EmptyWindowError, SchemaError
from biaswatch.records import NULL_MARKERS, typed_column
from biaswatch.storage import locate

__all__ = [
    "Dataset",
    "dataset_from_table",
    "read_csv",
    "read_csv_header",
    "read_dataset",
    "resolve_name",
]


@dataclass(frozen=True, slots=True)
class Dataset:
    """A table and which of its columns hold the label and the model's output."""

    table: pa.Table
    label: str
    predicted_label: str | None = None
    probability: str | None = None
    source: str = "dataset"
    weights: npt.NDArray[np.int64] | None = None
    """For an aggregated dataset, how many rows each row stands for; None: one each."""
    _columns: dict[str, Column] = field(default_factory=dict, repr=False, compare=False)

    @property
    def rows(self) -> int:
        """Number of rows (those the aggregated rows stand for)."""
        if self.weights is not None:
            return int(self.weights.sum())
        return int(self.table.num_rows)

    def column(self, name: str) -> Column:
        """The named column, typed as pandas would type it (built once, then reused)."""
        if name not in self._columns:
            self._columns[name] = Column.of(name, self.table.column(name), self.weights)
        return self._columns[name]

    def resolve(self, ref: ColumnRef, *, field: str) -> str:
        """The name of the column that ``ref`` (a header or a 0-based index) designates."""
        return resolve_name(self.table.column_names, ref, field=field)


def resolve_name(names: list[str], ref: ColumnRef, *, field: str) -> str:
    """The name of the column that ``ref`` (a header or a 0-based index) designates."""
    if isinstance(ref, int):
        if 0 <= ref < len(names):
            return names[ref]
        raise ConfigMismatchError(
            f"{field} = {ref}: no column at index {ref}; the dataset has {len(names)} columns",
            field=field,
            value=ref,
        )
    if ref in names:
        return ref
    raise ConfigMismatchError(
        f"{field} = {ref!r}: no such column; columns are {', '.join(map(repr, names))}",
        field=field,
        value=ref,
    )


def dataset_from_table(
    table: pa.Table,
    config: AnalysisConfig,
    *,
    source: str = "dataset",
    weights: npt.NDArray[np.int64] | None = None,
) -> Dataset:
    """Wrap a table whose columns are named, resolving the config's label and output columns.

    ``weights`` makes it an aggregated dataset: row *i* stands for ``weights[i]`` rows.
    """
    names = table.column_names
    _require_unique(names, source)
    if table.num_rows == 0:
        raise EmptyWindowError(f"{source} has no rows", path=source)
    return Dataset(
        table,
        label=resolve_name(names, config.label_column, field="label"),
        predicted_label=(
            resolve_name(names, config.predicted_label, field="predicted_label")
            if config.predicted_label is not None
            else None
        ),
        probability=(
            resolve_name(names, config.probability, field="probability")
            if config.probability is not None
            else None
        ),
        source=source,
        weights=weights,
    )


def _require_unique(names: list[str], source: str) -> None:
    if len(set(names)) != len(names):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        raise SchemaError(
            f"{source}: duplicate column names {duplicated}", field="headers", value=duplicated
        )


def read_dataset(path: Path, config: AnalysisConfig) -> Dataset:
    """Read the dataset at ``path`` in the config's ``dataset_type``."""
    if not path.is_file():
        raise ConfigError(f"dataset {str(path)!r} does not exist", field="dataset", value=str(path))
    if config.dataset_type == "text/csv":
        table = read_csv(path, headers=config.headers)
    elif config.dataset_type == "application/x-parquet":
        table = pq.read_table(path)
    else:
        jsonlines = config.dataset_type == "application/jsonlines"
        found = (read_jsonlines if jsonlines else read_json_document)(path, config)
        return Dataset(
            found.table,
            label=found.label,
            predicted_label=found.predicted_label,
            probability=found.probability,
            source=str(path),
        )
    return dataset_from_table(table, config, source=str(path))


def read_csv_header(uri: str | Path, *, headers: list[str] | None) -> tuple[list[str], bool]:
    """A CSV file's column names, and whether its first line is a header row.

    Without ``headers`` the first line names the columns; with them, a first line equal to
    them is a header row, and any other first line is data. A file whose first line is a JSON
    object is not CSV: that is a config error (its ``dataset_type`` was left at ``text/csv``).
    """
    _refuse_json(uri)
    first = _first_row(uri)
    if first is None:
        raise EmptyWindowError(f"dataset {str(uri)!r} is empty", path=str(uri))
    has_header = headers is None or first == headers
    names = first if headers is None else headers
    _require_unique(names, str(uri))
    if not has_header and len(first) != len(names):
        raise SchemaError(
            f"{uri}, line 1: expected {len(names)} fields (one per header), got {len(first)}",
            path=str(uri),
            line=1,
            field="headers",
            value=headers,
        )
    return names, has_header


def read_csv(path: Path, *, headers: list[str] | None) -> pa.Table:
    """Read a CSV file, with or without a header row, typed as pandas would type it."""
    names, has_header = read_csv_header(path, headers=headers)
    bad_rows: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"

    def read(*, threads: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1 if has_header else 0, use_threads=threads
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                null_values=NULL_MARKERS,
                strings_can_be_null=True,
            ),
        )

    try:
        table = read(threads=True)
        if bad_rows:
            # Only a single-threaded read knows line numbers; pay for it on the error path.
            bad_rows.clear()
            read(threads=False)
    except pa.ArrowInvalid as exc:
        raise SchemaError(f"{path}: {exc}", path=str(path)) from exc
    if bad_rows:
        row = bad_rows[0]
        raise SchemaError(
            f"{path}, line {row.number}: expected {row.expected_columns} fields, got"
            f" {row.actual_columns}: {row.text[:80]!r}",
            path=str(path),
            line=row.number,
            value=row.text,
        )
    return pa.table({name: typed_column(table.column(name)) for name in names})


def _first_row(uri: str | Path) -> list[str] | None:
    location = locate(str(uri))
    with location.filesystem.open(location.path, "rb") as raw:
        line = raw.readline().decode("utf-8")
    return next(csv.reader([line]), None) if line.strip() else None


def _refuse_json(uri: str | Path) -> None:
    """Raise :class:`ConfigError` when the first non-blank line of a "CSV" is a JSON object.

    SageMaker's monitor config (``BiasAnalysisConfig``) has no ``dataset_type``, so a JSON
    Lines dataset analysed with it would otherwise fail on a count of fields.
    """
    location = locate(str(uri))
    with location.filesystem.open(location.path, "rb") as raw:
        line = next((line for line in raw if line.strip()), b"")
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return
    if isinstance(record, dict):
        raise ConfigError(
            f"dataset {str(uri)!r} looks like JSON Lines (its first line is a JSON object), but"
            " the analysis config's dataset_type is 'text/csv' (the default when it is not"
            ' set): set "dataset_type": "application/jsonlines" (or "application/json" for'
            ' one JSON document) and "features", the JMESPath of the features in each record'
            ' (e.g. "features"), and give "label" as a JMESPath too',
            field="dataset_type",
            value="text/csv",
        )

"""Assembling a window's table: decoded capture rows joined to their ground-truth labels.

Capture sources hand invocations to :class:`WindowAssembler` in two ways. The common shape (one
CSV record in, one CSV line out, one CSV label) arrives as Arrow columns and is joined with
vectorised lookups (:meth:`WindowAssembler.add_columns`); anything else arrives one invocation
at a time with its decoded rows (:meth:`WindowAssembler.add`). Both count everything they cannot
use. :meth:`WindowAssembler.finish` builds one table: the features, the label, the prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from biaswatch.capture.diagnostics import Diagnostics, MalformedLog
from biaswatch.capture.ground_truth import GroundTruth
from biaswatch.records import (
    NULL_MARKERS,
    Malformed,
    PayloadDecoder,
    PayloadFormat,
    excluded_positions,
    split_csv_line,
    text_column,
    typed_column,
    values_column,
)

__all__ = [
    "NUMBER",
    "TableLayout",
    "WindowAssembler",
    "WindowData",
    "describe_label_mismatch",
    "joined_lines",
    "missing_values",
    "outcome_column",
    "table_naming",
]


def table_naming(
    headers: Sequence[Any] | None, label: Any, predicted_label: Any
) -> tuple[str, tuple[str, ...] | None]:
    """A window table's label name and headers, from an analysis config's.

    ``headers``, ``label`` and ``predicted_label`` are the config's. The baseline's headers may
    name its predicted-label column, which captures do not have; a label that is no header (a
    JMESPath) names the last one.
    """
    kept = tuple(str(h) for h in headers or () if h != predicted_label)
    name = str(label or "label")
    if kept and name not in kept:
        name = kept[-1]
    return name, kept or None


@dataclass(frozen=True, slots=True)
class TableLayout:
    """How a window's columns are named.

    ``headers`` are the analysis config's headers: the feature names, and the label's name
    among them (usually last). Without them, features are ``feature_0``, ``feature_1``, ….
    """

    label: str = "label"
    headers: tuple[str, ...] | None = None
    exclude_features: str | None = None
    predicted_label: str = "predicted_label"
    required: tuple[str, ...] = ()
    """Feature columns the analysis needs a value in (the facets, the group variable)."""
    label_values: tuple[Any, ...] = ()
    """The configured label values: numbers make a label that is not a number unusable."""

    @property
    def numeric_labels(self) -> bool:
        """Whether the configured label values are all numbers."""
        return bool(self.label_values) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in self.label_values
        )

    @property
    def feature_names(self) -> list[str] | None:
        """The feature columns' names, when the headers give them."""
        if self.headers is None:
            return None
        return [h for h in self.headers if h != self.label]

    def predicted_column(self) -> str:
        """A name for the predicted-label column that no header uses."""
        name = self.predicted_label
        while (self.headers is not None and name in self.headers) or name == self.label:
            name = f"_{name}"
        return name


@dataclass(frozen=True, slots=True)
class WindowData:
    """A window's joined table, the names of its label and prediction columns, what was lost."""

    table: pa.Table
    label: str
    predicted_label: str
    diagnostics: Diagnostics


def _kept(mask: pa.Array, *columns: pa.Array) -> list[pa.Array]:
    """The columns' rows where ``mask`` is true (the columns themselves when it is all true)."""
    if pc.all(mask).as_py() and not mask.null_count:
        return list(columns)
    return [column.filter(mask) for column in columns]


def joined_lines(lines: pa.Array) -> pa.Buffer:
    r"""The strings of ``lines`` (no nulls), each followed by a newline, as one Arrow buffer.

    One kernel appends the newlines; the result's data buffer is then exactly the text.

    Examples
    --------
    >>> joined_lines(pa.array(["1,2", "3,4"])).to_pybytes()
    b'1,2\n3,4\n'
    """
    if len(lines) == 0:
        return pa.py_buffer(b"")
    ended = pc.binary_join_element_wise(lines, "", "\n")
    _, offsets_buffer, data_buffer = ended.buffers()
    width = np.int64 if pa.types.is_large_string(ended.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, width)[ended.offset : ended.offset + len(ended) + 1]
    start, stop = int(offsets[0]), int(offsets[-1])
    return data_buffer.slice(start, stop - start)


def describe_label_mismatch(key: str, *, labels: int, records: int) -> str:
    """Why a request is skipped: its ground truth holds another number of labels than records.

    Labels pair with a request's records by position, so no pairing is trusted when the counts
    differ. Both engines give this reason.

    Examples
    --------
    >>> describe_label_mismatch("7", labels=1, records=2)
    "the ground truth of '7' holds 1 label for a request of 2 records"
    """
    return (
        f"the ground truth of {key!r} holds {labels} label{'' if labels == 1 else 's'}"
        f" for a request of {records} record{'' if records == 1 else 's'}"
    )


@dataclass(slots=True)
class WindowAssembler:
    """Collects joined rows; see the module docstring."""

    layout: TableLayout
    decoder: PayloadDecoder
    malformed: MalformedLog = field(default_factory=MalformedLog)
    unusable: MalformedLog = field(default_factory=MalformedLog)
    capture_files: int = 0
    records_read: int = 0
    rows_decoded: int = 0
    rows_outside_window: int = 0
    rows_without_ground_truth: int = 0
    width: int | None = None
    _csv_features: list[dict[str, pa.Array]] = field(default_factory=list)
    _csv_predictions: list[pa.Array] = field(default_factory=list)
    _csv_labels: list[pa.Array] = field(default_factory=list)
    _rows: list[list[Any]] = field(default_factory=list)
    _predictions: list[Any] = field(default_factory=list)
    _labels: list[Any] = field(default_factory=list)
    _used: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    _uris: list[str] = field(default_factory=list)
    _csv_origins: list[tuple[pa.Array, pa.Array]] = field(default_factory=list)
    _origins: list[tuple[str, int]] = field(default_factory=list)
    _pending: list[tuple[str, pa.Array, pa.Array, pa.Array, pa.Array]] = field(default_factory=list)
    _invocations: list[tuple[str, list[list[Any]], list[Any], tuple[str, int]]] = field(
        default_factory=list
    )

    def __post_init__(self) -> None:
        names = self.layout.feature_names
        self.width = None if names is None else len(names)

    # ------------------------------------------------------------ column by column

    def add_columns(
        self,
        uri: str,
        *,
        keys: pa.Array,
        lines: pa.Array,
        csv_rows: pa.Array,
        predictions: pa.Array,
    ) -> None:
        """Add single-record CSV invocations as columns: keys, line numbers, rows, predictions.

        They are joined all at once when the window is finished (one hash lookup in all).
        """
        self.rows_decoded += len(keys)
        self._pending.append((uri, keys, lines, csv_rows, predictions))

    def _join_columns(self, truth: GroundTruth) -> None:
        if not self._pending:
            return
        uris = [uri for uri, *_ in self._pending]
        first = len(self._uris)
        self._uris.extend(uris)
        files = pa.array(
            np.repeat(np.arange(first, first + len(uris)), [len(k) for _, k, *_ in self._pending])
        )
        keys, lines, rows, predictions = (
            pa.concat_arrays([part[index] for part in self._pending]) for index in range(1, 5)
        )
        self._pending.clear()
        if not len(rows):
            return
        if self.width is None:
            self.width = len(split_csv_line(rows[0].as_py()))
        widths = pc.add(pc.count_substring(rows, ","), 1)
        right = pc.equal(widths, self.width)
        if not pc.all(right).as_py():
            wrong = pc.invert(right)
            for file, line, width in zip(
                files.filter(wrong).to_pylist(),
                lines.filter(wrong).to_pylist(),
                widths.filter(wrong).to_pylist(),
                strict=True,
            ):
                self.malformed.add(
                    self._uris[file],
                    line,
                    f"a record has {width} features where the window has {self.width}",
                )
            self.rows_decoded -= len(keys) - int(pc.sum(right).as_py() or 0)
            files, keys, lines, rows, predictions = (
                column.filter(right) for column in (files, keys, lines, rows, predictions)
            )
        with ThreadPoolExecutor(max_workers=1) as background:
            # The features are parsed while the rows are joined (Arrow releases the GIL).
            features = background.submit(_parse_csv, joined_lines(rows), self._feature_names())
            positions = pc.index_in(keys, value_set=truth.keys)
            found = pc.is_valid(positions)
            parsed = features.result()
        self.rows_without_ground_truth += len(keys) - int(pc.sum(found).as_py() or 0)
        files, keys, lines, rows, predictions, positions = _kept(
            found, files, keys, lines, rows, predictions, positions
        )
        parsed = dict(zip(parsed, _kept(found, *parsed.values()), strict=True))
        data = truth.data.take(positions)
        plain = pc.and_(
            pc.equal(truth.encoding.take(positions), "CSV"),
            pc.invert(pc.match_substring_regex(data, r"[\n,]")),
        )
        plain_positions, plain_predictions, plain_data, plain_files, plain_lines = _kept(
            plain, positions, predictions, data, files, lines
        )
        self._used[np.asarray(plain_positions.to_numpy(), np.int64)] = True
        self._csv_origins.append((plain_files, plain_lines))
        self._csv_features.append(dict(zip(parsed, _kept(plain, *parsed.values()), strict=True)))
        self._csv_predictions.append(plain_predictions)
        self._csv_labels.append(pc.utf8_trim_whitespace(plain_data))
        if not pc.all(plain).as_py():  # JSON or multi-valued labels: decode them one by one
            other = pc.invert(plain)
            self.rows_decoded -= len(keys) - int(pc.sum(plain).as_py() or 0)
            for file, key, line, row, prediction in zip(
                *(
                    column.filter(other).to_pylist()
                    for column in (files, keys, lines, rows, predictions)
                ),
                strict=True,
            ):
                self.add(
                    key=key,
                    rows=[split_csv_line(row)],
                    predictions=[prediction],
                    where=(self._uris[file], line),
                )

    # ------------------------------------------------------ invocation by invocation

    def add(
        self, *, key: str, rows: list[list[Any]], predictions: list[Any], where: tuple[str, int]
    ) -> None:
        """Add one invocation: its feature rows and one prediction per row (joined at the end)."""
        self.rows_decoded += len(rows)
        self._invocations.append((key, rows, predictions, where))

    def _join_invocation(
        self,
        truth: GroundTruth,
        key: str,
        rows: list[list[Any]],
        predictions: list[Any],
        where: tuple[str, int],
    ) -> None:
        """Pair one invocation's rows with their labels.

        Rows without ground truth are counted and dropped; a shape that does not fit (feature
        counts, label counts) makes the whole invocation malformed.
        """
        count = len(rows)
        record = truth.record(key)
        if record is None:
            self.rows_without_ground_truth += count
            return
        try:
            labels = self.decoder.labels(
                record.data, PayloadFormat.JSON if record.encoding == "JSON" else PayloadFormat.CSV
            )
            if len(labels) != count:
                raise Malformed(describe_label_mismatch(key, labels=len(labels), records=count))
            for row in rows:
                if self.width is None:
                    self.width = len(row)
                elif len(row) != self.width:
                    raise Malformed(
                        f"a record has {len(row)} features where the window has {self.width}"
                    )
        except Malformed as exc:
            self.rows_decoded -= count
            self.malformed.add(*where, exc.reason)
            return
        self._used[truth.position(key) or 0] = True
        self._rows.extend(rows)
        self._predictions.extend(predictions)
        self._labels.extend(labels)
        self._origins.extend([where] * count)

    # ------------------------------------------------------------------ the table

    def finish(self, truth: GroundTruth) -> WindowData:
        """Join everything added to ``truth``; build the window's table and its diagnostics."""
        self._used = np.zeros(len(truth.keys), bool)
        self._join_columns(truth)
        for invocation in self._invocations:
            self._join_invocation(truth, *invocation)
        self._invocations.clear()
        names = self._feature_names()
        columns = self._feature_columns(names)
        for position in sorted(
            excluded_positions(self.layout.exclude_features, names=names, width=len(names)),
            reverse=True,
        ):
            del columns[names[position]]
        predicted = self.layout.predicted_column()
        columns[self.layout.label] = outcome_column(self._csv_labels, self._labels)
        columns[predicted] = outcome_column(self._csv_predictions, self._predictions)
        table = self._judged(pa.table(columns), predicted)
        diagnostics = Diagnostics(
            capture_files=self.capture_files,
            records_read=self.records_read,
            malformed_records=self.malformed.count,
            rows_decoded=self.rows_decoded,
            rows_outside_window=self.rows_outside_window,
            rows_without_ground_truth=self.rows_without_ground_truth,
            unusable_rows=self.unusable.count,
            ground_truth_files=truth.files,
            ground_truth_read=truth.read,
            malformed_ground_truth=truth.malformed.count,
            duplicate_ground_truth=truth.duplicates,
            ground_truth_without_capture=int(len(self._used) - self._used.sum()),
            rows=table.num_rows,
            malformed_samples=tuple(
                self.malformed.samples + truth.malformed.samples + self.unusable.samples
            )[:20],
        )
        return WindowData(table, self.layout.label, predicted, diagnostics)

    def _judged(self, table: pa.Table, predicted: str) -> pa.Table:
        """The table without the rows the analysis cannot use; each is counted and sampled.

        A row is unusable when its label or prediction is missing (or NaN), when a column the
        analysis needs (a facet, the group variable) is missing, or when its label is not a
        number although the configured label values are numbers, or is not 0 or 1 where 0/1
        labels meet 0/1 predictions (a probability threshold's).
        """
        files, lines = self._origin_columns()
        table = table.append_column(_FILE, files).append_column(_LINE, lines)
        label = self.layout.label
        checks = [
            (missing_values(table.column(name)), f"{what} is missing")
            for name, what in (
                (label, "the label"),
                (predicted, "the prediction"),
                *((n, repr(n)) for n in self.layout.required if n in table.column_names),
            )
        ]
        numeric = self.layout.numeric_labels
        text = pa.types.is_string(table.column(label).type)
        if numeric and text:
            number = pc.match_substring_regex(table.column(label), NUMBER)
            checks.append((pc.invert(number), "the label is not a number"))
        table = self._drop(table, checks)
        if text:  # the numbers were held as text beside the others: type them again
            position = table.schema.get_field_index(label)
            table = table.set_column(
                position, label, text_column(table.column(position).combine_chunks())
            )
        labels, predictions = table.column(label), table.column(predicted)
        if (
            numeric
            and set(self.layout.label_values) <= {0, 1}
            and pa.types.is_integer(labels.type)
            and _zero_one(predictions.combine_chunks())
        ):
            outside = pc.invert(pc.is_in(labels, value_set=pa.array([0, 1], labels.type)))
            table = self._drop(table, [(outside, "the label is neither 0 nor 1")])
        return table.drop_columns([_FILE, _LINE])

    def _drop(self, table: pa.Table, checks: list[tuple[Any, str]]) -> pa.Table:
        """Drop the rows any check marks, counting and sampling each with its first reason."""
        masks = [(pc.fill_null(mask, False), why) for mask, why in checks]
        if not masks:
            return table
        bad = masks[0][0]
        for mask, _ in masks[1:]:
            bad = pc.or_(bad, mask)
        if not pc.any(bad).as_py():
            return table
        files, lines = table.column(_FILE), table.column(_LINE)
        for position in np.flatnonzero(np.asarray(bad)):
            reason = next(why for mask, why in masks if mask[position].as_py())
            self.unusable.add(self._uris[files[position].as_py()], lines[position].as_py(), reason)
        return table.filter(pc.invert(bad))

    def _origin_columns(self) -> tuple[pa.Array, pa.Array]:
        """The file (index into ``_uris``) and line of every row of the table, in its order."""
        files = [f.cast(pa.int64()) for f, _ in self._csv_origins]
        lines = [line.cast(pa.int64()) for _, line in self._csv_origins]
        if self._origins:
            first = len(self._uris)
            self._uris.extend(uri for uri, _ in self._origins)
            files.append(pa.array(range(first, len(self._uris)), pa.int64()))
            lines.append(pa.array([line for _, line in self._origins], pa.int64()))
        empty = pa.array([], pa.int64())
        return (
            pa.concat_arrays(files) if files else empty,
            pa.concat_arrays(lines) if lines else empty,
        )

    def _feature_names(self) -> list[str]:
        return self.layout.feature_names or [f"feature_{i}" for i in range(self.width or 0)]

    def _feature_columns(self, names: list[str]) -> dict[str, pa.Array]:
        parts: dict[str, list[pa.Array]] = {name: [] for name in names}
        for parsed in self._csv_features:
            for name in names:
                parts[name].append(parsed[name])
        for position, name in enumerate(names if self._rows else ()):
            values = [row[position] for row in self._rows]
            parts[name].append(
                pa.array(values, pa.string())
                if all(v is None or isinstance(v, str) for v in values)
                else values_column(values)
            )
        return {name: _combined(chunks) for name, chunks in parts.items()}


_FILE, _LINE = "__file", "__line"  # a row's origin while the table is judged
NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def missing_values(column: pa.Array) -> pa.Array:
    """Where ``column`` has no value: null, or NaN for floats."""
    if pa.types.is_floating(column.type):
        return pc.or_(pc.is_null(column), pc.fill_null(pc.is_nan(column), False))
    return pc.is_null(column)


def _zero_one(column: pa.Array) -> bool:
    """Whether every value of ``column`` is 0 or 1 (the predictions of a threshold)."""
    if not (pa.types.is_integer(column.type) and len(column)):
        return False
    low, high = pc.min_max(column).values()
    return low.as_py() in (0, 1) and high.as_py() in (0, 1)


def _parse_csv(text: pa.Buffer, names: list[str]) -> dict[str, pa.Array]:
    """Parse CSV rows, typed as pandas types them.

    Arrow infers integers, floats and booleans as pandas does; a column it reads as a date or
    time (pandas would keep the text) is read again as text.
    """

    def read(types: dict[str, pa.DataType]) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(column_names=names),
            convert_options=pacsv.ConvertOptions(
                column_types=types, null_values=NULL_MARKERS, strings_can_be_null=True
            ),
        )

    parsed = read({})
    as_text = [
        field.name
        for field in parsed.schema
        if not (
            pa.types.is_integer(field.type)
            or pa.types.is_floating(field.type)
            or pa.types.is_string(field.type)
            or pa.types.is_null(field.type)
        )
    ]
    columns = {name: parsed.column(name).combine_chunks() for name in names}
    if as_text:
        reread = read({name: pa.string() for name in as_text})
        columns.update(
            {name: typed_column(reread.column(name).combine_chunks()) for name in as_text}
        )
    return columns


def _combined(parts: list[pa.Array]) -> pa.Array:
    """One typed column from parts decoded apart (parts of different types meet as text)."""
    if not parts:
        return pa.array([], pa.string())
    if len({part.type for part in parts}) > 1:
        parts = [part.cast(pa.string()) for part in parts]
    column = parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
    return typed_column(column) if pa.types.is_string(column.type) else column


def outcome_column(columns: list[pa.Array], values: list[Any]) -> pa.Array:
    """Labels or predictions from both paths, typed as one column.

    ``columns`` were read as CSV, ``values`` one by one: text is typed as CSV text is, JSON
    values keep their types.
    """
    parts = [column for column in columns if len(column)]
    if values:
        if all(v is None or isinstance(v, str) for v in values):
            parts.append(pa.array(values, pa.string()))
        elif not parts:
            return values_column(values)
        else:
            parts.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    if not parts:
        return pa.array([], pa.int64())
    kinds = {column.type for column in parts}
    if len(kinds) > 1:
        parts = [column.cast(pa.string()) for column in parts]
    column = parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
    return text_column(column) if pa.types.is_string(column.type) else column

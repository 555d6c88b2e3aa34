"""What Spark's Python workers do: read files into lines, and decode what Spark cannot.

:func:`read_lines` reads whole files through :mod:`biaswatch.storage` (local, ``s3://``, with
the driver's settings) into numbered lines; :mod:`biaswatch.spark.native` decodes the lines of
the common shape with Spark's own functions, and the others come here: :func:`decode_captures`
and :func:`decode_ground_truth` decode them line by line exactly as the local engine's
one-by-one path does, as :func:`decode_batch_outputs` does batch-transform output files in any
of their formats (through :func:`~biaswatch.capture.batch.output_records`), so both engines
agree on every record. A record that cannot be used becomes a row with its reason (counted and
sampled by the driver), never an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from biaswatch.capture.batch import output_records
from biaswatch.capture.endpoint import parse_capture_line
from biaswatch.capture.endpoint_window import decode_invocation
from biaswatch.capture.ground_truth import parse_ground_truth_line
from biaswatch.capture.window import Window
from biaswatch.config.batch_format import BatchFormat
from biaswatch.records import DecodingOptions, Malformed, PayloadDecoder, PayloadFormat
from biaswatch.storage import read_bytes

__all__ = [
    "FILE_SPAN",
    "LINES",
    "LINE_SPAN",
    "OUTPUT",
    "OUTSIDE",
    "capture_schema",
    "decode_batch_outputs",
    "decode_captures",
    "decode_ground_truth",
    "line_order",
    "read_lines",
    "storage_settings",
    "truth_schema",
]

OUTSIDE = "outside the window"
LINE_SPAN = 1_000
"""Records one invocation may hold, for the row order."""
FILE_SPAN = 1_000_000_000_000
"""Row orders one file may hold (a billion lines), for the row order."""
_BATCH_LINES = 65_536

LINES = pa.schema(
    [
        ("index", pa.int64()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("text", pa.string()),
        ("raw", pa.binary()),
    ]
)
"""The lines of a task's files, as :func:`read_lines` yields them."""


_WHERE = [
    ("key", pa.string()),
    ("record", pa.int64()),
    ("order", pa.int64()),
    ("problem", pa.string()),
    ("file", pa.string()),
    ("line", pa.int64()),
    ("size", pa.int64()),
    ("first", pa.int64()),
]
"""Where a row comes from: its request's id and its position in it (``record``), its place in
the window's order, why it cannot be used (else null), its file and line, how many records its
request holds, and 1 on the request's first row with that problem (else 0: the rows that count
the request once per problem)."""
OUTPUT = len(_WHERE)
"""Position of the model output (prediction or label) in a decoded row; features follow."""


def capture_schema(features: list[str], predicted: str) -> pa.Schema:
    """The rows :func:`decode_captures` yields."""
    return pa.schema([*_WHERE, (predicted, pa.string()), *((n, pa.string()) for n in features)])


def truth_schema(label: str) -> pa.Schema:
    """The rows :func:`decode_ground_truth` yields."""
    return pa.schema([*_WHERE, (label, pa.string())])


def _batch(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    return pa.RecordBatch.from_arrays(
        [pa.array(list(c), type=f.type) for c, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _files_of(batches: Iterator[pa.RecordBatch]) -> Iterator[tuple[int, str]]:
    """The (index, uri) pairs of a task's batches of files."""
    for batch in batches:
        yield from zip(
            batch.column("index").to_pylist(), batch.column("uri").to_pylist(), strict=True
        )


def _unusable(order: int, reason: str, uri: str, number: int, width: int) -> tuple[Any, ...]:
    """The row of a line (or batch record) that cannot be used: where it is, and why."""
    return (None, 0, order, reason, uri, number, 1, 1, None, *[None] * width)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def storage_settings() -> dict[str, str]:
    """The driver's storage settings (``BIASWATCH_*``, ``AWS_*``), to travel with the tasks."""
    return {k: v for k, v in os.environ.items() if k.startswith(("BIASWATCH_", "AWS_"))}


def read_lines(
    batches: Iterator[pa.RecordBatch], *, settings: dict[str, str]
) -> Iterator[pa.RecordBatch]:
    """Files (``index``, ``uri``) → their lines (:data:`LINES`), numbered from 1.

    ``text`` is the line's text; where it is not UTF-8, ``text`` is null and ``raw`` holds its
    bytes (the decoders say which byte is wrong). Blank lines are kept: the next step skips
    them, as the local engine does, and the numbers stay those of the file.
    """
    os.environ.update(settings)  # a worker reads with the driver's storage settings
    for index, uri in _files_of(batches):
        lines = read_bytes(uri).split(b"\n")
        for start in range(0, len(lines), _BATCH_LINES):
            yield _lines_batch(index, uri, start, lines[start : start + _BATCH_LINES])


def _lines_batch(index: int, uri: str, start: int, lines: list[bytes]) -> pa.RecordBatch:
    count = len(lines)
    binary = pa.array(lines, pa.binary())
    try:
        text, raw = binary.cast(pa.string()), pa.nulls(count, pa.binary())
    except pa.ArrowInvalid:  # some line is not UTF-8: say which, line by line
        decoded = [_utf8_or_none(line) for line in lines]
        text = pa.array(decoded, pa.string())
        raw = pa.array(
            [line if value is None else None for value, line in zip(decoded, lines, strict=True)],
            pa.binary(),
        )
    return pa.RecordBatch.from_arrays(
        [
            pa.repeat(pa.scalar(index, pa.int64()), count),
            pa.repeat(pa.scalar(uri, pa.string()), count),
            pa.array(range(start + 1, start + count + 1), pa.int64()),
            text,
            raw,
        ],
        schema=LINES,
    )


def _utf8_or_none(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lines_of(batch: pa.RecordBatch) -> Iterator[tuple[int, str, int, bytes]]:
    """The (index, file, line number, bytes) of a batch's lines, but for blank ones."""
    columns = [batch.column(name).to_pylist() for name in LINES.names]
    for index, uri, number, text, raw in zip(*columns, strict=True):
        line = raw if text is None else text.encode()
        if line.strip():
            yield index, uri, number, line


def line_order(index: int, number: int) -> int:
    """The order of a file's line: that of its first record (the next ones follow)."""
    return index * FILE_SPAN + number * LINE_SPAN


def decode_captures(
    batches: Iterator[pa.RecordBatch],
    *,
    options: DecodingOptions,
    window: Window,
    schema: pa.Schema,
) -> Iterator[pa.RecordBatch]:
    """Capture lines (:data:`LINES`) → one row per record, or per unusable line."""
    decoder = PayloadDecoder(options)
    width = len(schema) - OUTPUT - 1
    for batch in batches:
        rows: list[tuple[Any, ...]] = []
        for index, uri, number, line in _lines_of(batch):
            base = line_order(index, number)
            try:
                record = parse_capture_line(line)
                features, predictions = decode_invocation(record.input, record.output, decoder)
            except Malformed as exc:
                rows.append(_unusable(base, exc.reason, uri, number, width))
                continue
            if not window.keeps(record.inference_time):
                rows.append(_unusable(base, OUTSIDE, uri, number, width))
                continue
            size, seen = len(features), set()
            for position, (row, prediction) in enumerate(zip(features, predictions, strict=True)):
                problem = None
                if len(row) != width:  # the row still counts in its request, as the local one
                    problem = f"a record has {len(row)} features where the window has {width}"
                first = int(problem not in seen)
                seen.add(problem)
                where = (record.join_key, position, base + position, problem, uri, number, size)
                if problem is None:
                    rows.append((*where, first, _text(prediction), *(_text(v) for v in row)))
                else:
                    rows.append((*where, first, None, *[None] * width))
        yield _batch(rows, schema)


def decode_batch_outputs(
    batches: Iterator[pa.RecordBatch],
    *,
    options: DecodingOptions,
    schema: pa.Schema,
    settings: dict[str, str],
    dataset_format: BatchFormat | None,
) -> Iterator[pa.RecordBatch]:
    """Batch-transform output files (``index``, ``uri``) → one row per record (or bad record).

    Every record is a request of its own, whose ``order`` (its place in the file) sets it apart
    from the others: several records of a JSON document may start on one line.
    """
    os.environ.update(settings)
    decoder = PayloadDecoder(options)
    width = len(schema) - OUTPUT - 1
    for index, uri in _files_of(batches):
        rows: list[tuple[Any, ...]] = []
        records = output_records(
            read_bytes(uri), decoder, dataset_format=dataset_format, width=width
        )
        for place, (number, record) in enumerate(records, start=1):
            order = index * FILE_SPAN + place
            if not isinstance(record, Malformed) and len(record[1]) != width:
                record = Malformed(
                    f"a record has {len(record[1])} features where the window has {width}"
                )
            if isinstance(record, Malformed):
                rows.append(_unusable(order, record.reason, uri, number, width))
                continue
            key, row, predictions = record
            values = [_text(v) for v in row]
            rows.append((key, 0, order, None, uri, number, 1, 1, _text(predictions[0]), *values))
        yield _batch(rows, schema)


def decode_ground_truth(
    batches: Iterator[pa.RecordBatch], *, options: DecodingOptions, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    """Ground-truth lines (:data:`LINES`) → one row per label, or per unusable line."""
    decoder = PayloadDecoder(options)
    formats = {"CSV": PayloadFormat.CSV, "JSON": PayloadFormat.JSON}
    for batch in batches:
        rows: list[tuple[Any, ...]] = []
        for index, uri, number, line in _lines_of(batch):
            base = line_order(index, number)
            try:
                record = parse_ground_truth_line(line)
                labels = decoder.labels(record.data, formats[record.encoding])
            except Malformed as exc:
                rows.append((None, 0, base, exc.reason, uri, number, 1, 1, None))
                continue
            for position, label in enumerate(labels):
                rows.append(
                    (record.event_id, position, base + position, None, uri, number, 1, 1,
                     _text(label))
                )  # fmt: skip
        yield _batch(rows, schema)

"""Batch-transform capture: manifests of the job's output files, and the records in them.

A transform job with data capture writes *manifests*, not data, at
``<destination>/input|output/yyyy/mm/dd/hh/<uuid>.json`` (``hh`` = the job's start hour)::

    [{"prefix": "s3://bucket/transform-output/"}, "test-dataset.csv.out"]

With ``generate_inference_id`` every output record carries an id and the job's start time: two
trailing CSV columns, or the keys (Parquet: columns) ``SageMakerInferenceId`` /
``SageMakerInferenceTime`` (the model's output under ``SageMakerOutput`` when the input is
joined). An output file is CSV (with or without a header line), JSON Lines, one JSON document
(an array of records, or records one after another) or Parquet: the schedule's
``dataset_format`` says which, or the first bytes of each file do (:func:`detect_batch_format`).
JSON and Parquet records are decoded by the same rules (:func:`document_record`). Ground truth
is joined on the id. :func:`write_batch_capture` writes all of it for a batch scoring run done
in Python; :func:`read_batch_window` reads a window of it.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from biaswatch.capture.assembly import TableLayout, WindowAssembler, WindowData
from biaswatch.capture.endpoint import format_inference_time
from biaswatch.capture.ground_truth import read_ground_truth
from biaswatch.capture.json_documents import split_json_document
from biaswatch.capture.parquet_rows import parquet_rows
from biaswatch.capture.window import Window
from biaswatch.config.batch_format import BatchFormat
from biaswatch.errors import ConfigError
from biaswatch.records import (
    DecodingOptions,
    Malformed,
    PayloadDecoder,
    PayloadFormat,
    split_csv_line,
    utf8_text,
)
from biaswatch.storage import hour_folder, join, list_hour_files, read_bytes, write_bytes

__all__ = [
    "OutputRecord",
    "csv_record",
    "detect_batch_format",
    "document_record",
    "json_record",
    "manifest_files",
    "output_records",
    "read_batch_window",
    "write_batch_capture",
]

ID, TIME, OUTPUT = "SageMakerInferenceId", "SageMakerInferenceTime", "SageMakerOutput"
OutputRecord = tuple[str, list[Any], list[Any]]
"""One output record: its id, its feature row and its prediction."""

_FIRST = re.compile(rb"\S")


def write_batch_capture(
    destination: str,
    *,
    output_prefix: str,
    name: str,
    features: Sequence[Sequence[Any]],
    predictions: Sequence[Any],
    job_start: datetime,
    dataset_format: BatchFormat | str = BatchFormat.CSV,
    feature_names: Sequence[str] | None = None,
) -> list[str]:
    """Write a batch scoring run's output file and its capture manifest; return the ids.

    Each record is written as a transform job with ``join_source="Input"`` and
    ``generate_inference_id=True`` writes it, in ``dataset_format`` (a :class:`BatchFormat`
    or its name): CSV ``features…,prediction…,id,time`` (``csv-header``: after a header line of
    ``feature_names``), or the record ``{"features": […], "SageMakerOutput": prediction,
    "SageMakerInferenceId": …, "SageMakerInferenceTime": …}`` as JSON Lines, as a JSON array
    (``json``) or as a Parquet row. With ``feature_names`` the features of a JSON or Parquet
    record are keys (columns) of their own instead of a ``features`` list. Existing files are
    never overwritten: each run gets a new manifest, and the output file name must be new.
    """
    if len(features) != len(predictions):
        raise ConfigError(
            f"{len(features)} feature rows but {len(predictions)} predictions",
            field="predictions",
            value=len(predictions),
        )
    chosen = BatchFormat.named(str(dataset_format))
    start = format_inference_time(job_start)
    ids = [str(uuid.uuid4()) for _ in features]
    if chosen in (BatchFormat.CSV, BatchFormat.CSV_HEADER):
        content = _csv_output(features, predictions, ids, start, chosen, feature_names)
    else:
        records = [
            _record(row, prediction, key, start, feature_names)
            for row, prediction, key in zip(features, predictions, ids, strict=True)
        ]
        content = _document_output(records, chosen)
    output_uri = join(output_prefix, f"{name}.out")
    write_bytes(output_uri, content)
    manifest = orjson.dumps([{"prefix": output_prefix.rstrip("/") + "/"}, f"{name}.out"])
    write_bytes(
        join(destination, "output", hour_folder(job_start), f"{uuid.uuid4()}.json"), manifest
    )
    return ids


def _record(
    row: Sequence[Any], prediction: Any, key: str, start: str, names: Sequence[str] | None
) -> dict[str, Any]:
    inputs = {"features": list(row)} if names is None else dict(zip(names, row, strict=True))
    return {**inputs, OUTPUT: prediction, ID: key, TIME: start}


def _csv_output(
    features: Sequence[Sequence[Any]],
    predictions: Sequence[Any],
    ids: list[str],
    start: str,
    chosen: BatchFormat,
    feature_names: Sequence[str] | None,
) -> bytes:
    lines = []
    for row, prediction, key in zip(features, predictions, ids, strict=True):
        outputs = prediction if isinstance(prediction, list | tuple) else [prediction]
        lines.append(",".join(str(v) for v in (*row, *outputs, key, start)))
    if chosen is BatchFormat.CSV_HEADER:
        width = len(features[0]) if features else 0
        names = list(feature_names or (f"feature_{i}" for i in range(1, width + 1)))
        lines.insert(0, ",".join([*names, OUTPUT, ID, TIME]))
    return "".join(f"{line}\n" for line in lines).encode()


def _document_output(records: list[dict[str, Any]], chosen: BatchFormat) -> bytes:
    if chosen is BatchFormat.PARQUET:
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(records), sink)
        return sink.getvalue()
    encoded = [orjson.dumps(record) for record in records]
    if chosen is BatchFormat.JSON_LINES:
        return b"".join(line + b"\n" for line in encoded)
    return b"[\n" + b",\n".join(encoded) + b"\n]\n"


def manifest_files(uri: str) -> list[str]:
    """The data files a manifest names."""
    try:
        document = orjson.loads(read_bytes(uri))
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"manifest is not valid JSON: {exc.msg}") from None
    if (
        not isinstance(document, list)
        or not document
        or not isinstance(document[0], dict)
        or not isinstance(document[0].get("prefix"), str)
    ):
        raise Malformed('a manifest is a JSON list: [{"prefix": …}, "key", …]')
    prefix = document[0]["prefix"]
    return [join(prefix, key) for key in document[1:] if isinstance(key, str)]


def detect_batch_format(content: bytes) -> BatchFormat:
    r"""The format of an output file whose schedule does not say it, from its first bytes.

    Parquet's magic number ``PAR1``; a first non-blank character ``[``: a JSON document;
    ``{``: JSON Lines when the whole first line is one JSON object, else a JSON document
    (pretty-printed, or records one after another); anything else: CSV without a header.

    Examples
    --------
    >>> detect_batch_format(b'{"a": 1}\n{"a": 2}\n'), detect_batch_format(b'{\n "a": 1\n}')
    (<BatchFormat.JSON_LINES: 'jsonl'>, <BatchFormat.JSON: 'json'>)
    >>> detect_batch_format(b"1,2,0.9,id,2026-11-24T09:00:00Z")
    <BatchFormat.CSV: 'csv'>
    """
    if content.startswith(b"PAR1"):
        return BatchFormat.PARQUET
    first = _FIRST.search(content)
    if first is None or first.group() not in (b"[", b"{"):
        return BatchFormat.CSV
    if first.group() == b"[":
        return BatchFormat.JSON
    end = content.find(b"\n", first.start())
    try:
        line = orjson.loads(content[first.start() : None if end < 0 else end])
    except orjson.JSONDecodeError:
        return BatchFormat.JSON
    return BatchFormat.JSON_LINES if isinstance(line, dict) else BatchFormat.JSON


def read_batch_window(
    destination: str,
    ground_truth_uri: str,
    window: Window,
    *,
    dataset_format: BatchFormat | None = None,
    options: DecodingOptions | None = None,
    layout: TableLayout | None = None,
) -> WindowData:
    """The joined table of a batch-transform capture window.

    Reads the output manifests in the window's hour folders, the files they name, and the
    ground truth, joined on ``SageMakerInferenceId``. ``dataset_format`` is detected from each
    file when not given. For CSV, the columns after the features (as many as the headers name)
    and before the id and time are the model's output; for JSON and Parquet records see
    :func:`document_record`.
    """
    decoder = PayloadDecoder(options or DecodingOptions())
    layout = layout or TableLayout()
    assembler = WindowAssembler(layout, decoder)
    truth_hours, hours = window.ground_truth_hours(), window.capture_hours()
    with ThreadPoolExecutor(max_workers=1) as background:
        truth = background.submit(
            read_ground_truth, ground_truth_uri, truth_hours[0], truth_hours[-1]
        )
        for manifest in list_hour_files(join(destination, "output"), hours[0], hours[-1]):
            try:
                files = manifest_files(manifest.uri)
            except Malformed as exc:
                assembler.malformed.add(manifest.uri, 1, exc.reason)
                continue
            for uri in files:
                assembler.capture_files += 1
                _read_output_file(uri, assembler, decoder, dataset_format, layout)
        return assembler.finish(truth.result())


def _read_output_file(
    uri: str,
    assembler: WindowAssembler,
    decoder: PayloadDecoder,
    dataset_format: BatchFormat | None,
    layout: TableLayout,
) -> None:
    names = layout.feature_names
    for number, record in output_records(
        read_bytes(uri),
        decoder,
        dataset_format=dataset_format,
        width=None if names is None else len(names),
    ):
        assembler.records_read += 1
        if isinstance(record, Malformed):
            assembler.malformed.add(uri, number, record.reason)
            continue
        key, row, predictions = record
        assembler.add(key=key, rows=[row], predictions=predictions, where=(uri, number))


def output_records(
    content: bytes,
    decoder: PayloadDecoder,
    *,
    dataset_format: BatchFormat | None,
    width: int | None,
) -> Iterator[tuple[int, OutputRecord | Malformed]]:
    """Each record of a batch-transform output file, with the line it starts on.

    A record is (id, feature row, predictions), or the :class:`Malformed` that says why it
    cannot be used (bytes that are not UTF-8 included). The number is a line for CSV and JSON
    (several records of a JSON document may start on one line) and a row (1 is the first) for
    Parquet. ``dataset_format`` None: :func:`detect_batch_format`. Both engines read with it.
    """
    found = dataset_format or detect_batch_format(content)
    if found is BatchFormat.PARQUET:
        for number, row in parquet_rows(content):
            yield number, _decoded(row, decoder)
        return
    if found is BatchFormat.JSON:
        for number, value in split_json_document(content):
            yield number, _decoded(value, decoder)
        return
    header = found is BatchFormat.CSV_HEADER
    for number, raw in enumerate(content.split(b"\n"), start=1):
        if not raw.strip():
            continue
        if header:  # the first line that is not blank
            header = False
            continue
        try:
            line = utf8_text(raw)
            if found is BatchFormat.JSON_LINES:
                yield number, json_record(line, decoder)
            else:
                yield number, csv_record(line, decoder, width)
        except Malformed as exc:
            yield number, exc


def _decoded(value: Any, decoder: PayloadDecoder) -> OutputRecord | Malformed:
    if isinstance(value, Malformed):
        return value
    try:
        return document_record(value, decoder)
    except Malformed as exc:
        return exc


def csv_record(line: str, decoder: PayloadDecoder, width: int | None) -> OutputRecord:
    """One CSV output record: its id, its feature row and its prediction (or Malformed)."""
    fields = split_csv_line(line.rstrip("\r"))
    if len(fields) < 4:
        raise Malformed(
            f"a CSV output record has {len(fields)} fields; it needs features, an output,"
            " an id and a time"
        )
    *values, key, _time = fields
    outputs = len(values) - width if width is not None else 1
    if outputs < 1:
        raise Malformed(
            f"a CSV output record has {len(values)} values for {width} features and an output"
        )
    row, output = values[:-outputs], ",".join(values[-outputs:])
    return key, row, decoder.predictions(output, PayloadFormat.CSV, count=1)


def json_record(line: str, decoder: PayloadDecoder) -> OutputRecord:
    """One JSON Lines output record: its id, its feature row and its prediction."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"invalid JSON: {exc.msg}") from None
    return document_record(document, decoder)


def document_record(document: Any, decoder: PayloadDecoder) -> OutputRecord:
    """One parsed JSON record, or Parquet row: its id, its feature row and its prediction.

    The features are ``features_attribute`` over the record without the SageMaker keys (or
    those keys' values, in order, without it). ``inference_attribute``/
    ``probability_attribute`` apply to ``SageMakerOutput``, or to the whole record when they
    select nothing there; a record without ``SageMakerOutput`` holds its output in the keys they
    name, and those keys are not features.
    """
    if not isinstance(document, dict) or not isinstance(document.get(ID), str):
        raise Malformed(f"{ID} is missing")
    reserved = {ID, TIME, OUTPUT}
    if OUTPUT not in document:
        options = decoder.options
        named = (options.inference_attribute, options.probability_attribute)
        reserved |= {name for name in named if isinstance(name, str)}
    inputs = {k: v for k, v in document.items() if k not in reserved}
    rows = decoder.json_features(inputs)
    if len(rows) != 1:
        raise Malformed(f"a batch output record holds {len(rows)} feature rows")
    try:
        predictions = decoder.json_predictions(document.get(OUTPUT, document))
    except Malformed:
        predictions = decoder.json_predictions(document)
    if len(predictions) != 1:
        raise Malformed(f"a batch output record holds {len(predictions)} predictions")
    return document[ID], rows[0], predictions

"""Batch-transform capture: manifests of the job's output files, and the records in them.

A transform job with data capture writes *manifests*, not data, at
``<destination>/input|output/yyyy/mm/dd/hh/<uuid>.json`` (``hh`` = the job's start hour)::

    [{"prefix": "s3://bucket/transform-output/"}, "test-dataset.csv.out"]

With ``generate_inference_id`` every output record carries an id and the job's start time: two
trailing CSV columns, or the JSON keys ``SageMakerInferenceId`` / ``SageMakerInferenceTime``
(the model's output under ``SageMakerOutput`` when the input is joined). Ground truth is
joined on that id. :func:`write_batch_capture` writes all of it for a batch scoring run done in
Python; :func:`read_batch_window` reads a window of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Literal

import orjson

from biaswatch.capture.assembly import TableLayout, WindowAssembler, WindowData
from biaswatch.capture.endpoint import format_inference_time
from biaswatch.capture.ground_truth import read_ground_truth
from biaswatch.capture.window import Window
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
    "BatchFormat",
    "csv_record",
    "detect_batch_format",
    "json_record",
    "manifest_files",
    "read_batch_window",
    "write_batch_capture",
]

BatchFormat = Literal["csv", "json"]
ID, TIME, OUTPUT = "SageMakerInferenceId", "SageMakerInferenceTime", "SageMakerOutput"


def write_batch_capture(
    destination: str,
    *,
    output_prefix: str,
    name: str,
    features: Sequence[Sequence[Any]],
    predictions: Sequence[Any],
    job_start: datetime,
    dataset_format: BatchFormat = "csv",
) -> list[str]:
    """Write a batch scoring run's output file and its capture manifest; return the ids.

    Each record is written as a transform job with ``join_source="Input"`` and
    ``generate_inference_id=True`` writes it: CSV ``features…,prediction,id,time`` or JSON
    Lines ``{"features": […], "SageMakerOutput": prediction, "SageMakerInferenceId": …,
    "SageMakerInferenceTime": …}``. Existing files are never overwritten: each run gets a new
    manifest, and the output file name must be new.
    """
    if len(features) != len(predictions):
        raise ConfigError(
            f"{len(features)} feature rows but {len(predictions)} predictions",
            field="predictions",
            value=len(predictions),
        )
    start = format_inference_time(job_start)
    ids = [str(uuid.uuid4()) for _ in features]
    lines = []
    for row, prediction, key in zip(features, predictions, ids, strict=True):
        if dataset_format == "csv":
            outputs = prediction if isinstance(prediction, list | tuple) else [prediction]
            lines.append(",".join(str(v) for v in (*row, *outputs, key, start)).encode() + b"\n")
        else:
            record = {"features": list(row), OUTPUT: prediction, ID: key, TIME: start}
            lines.append(orjson.dumps(record) + b"\n")
    output_uri = join(output_prefix, f"{name}.out")
    write_bytes(output_uri, b"".join(lines))
    manifest = orjson.dumps([{"prefix": output_prefix.rstrip("/") + "/"}, f"{name}.out"])
    write_bytes(
        join(destination, "output", hour_folder(job_start), f"{uuid.uuid4()}.json"), manifest
    )
    return ids


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


def detect_batch_format(first_line: str) -> BatchFormat:
    """``json`` when the output's first record is a JSON object, else ``csv``."""
    return "json" if first_line.lstrip().startswith("{") else "csv"


def read_batch_window(
    destination: str,
    ground_truth_uri: str,
    window: Window,
    *,
    dataset_format: BatchFormat | None = None,
    csv_header: bool = False,
    options: DecodingOptions | None = None,
    layout: TableLayout | None = None,
) -> WindowData:
    """The joined table of a batch-transform capture window.

    Reads the output manifests in the window's hour folders, the files they name, and the
    ground truth, joined on ``SageMakerInferenceId``. ``dataset_format`` is detected from the
    first record when not given. For CSV, the columns after the features (as many as the
    headers name) and before the id and time are the model's output; for JSON,
    ``inference_attribute``/``probability_attribute`` apply to ``SageMakerOutput`` (or to the
    whole record when they select nothing there).
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
                _read_output_file(uri, assembler, decoder, dataset_format, csv_header, layout)
        return assembler.finish(truth.result())


def _read_output_file(
    uri: str,
    assembler: WindowAssembler,
    decoder: PayloadDecoder,
    dataset_format: BatchFormat | None,
    csv_header: bool,
    layout: TableLayout,
) -> None:
    names = layout.feature_names
    for number, record in output_records(
        read_bytes(uri),
        decoder,
        dataset_format=dataset_format,
        csv_header=csv_header,
        width=None if names is None else len(names),
    ):
        assembler.records_read += 1
        if isinstance(record, Malformed):
            assembler.malformed.add(uri, number, record.reason)
            continue
        key, row, predictions = record
        assembler.add(key=key, rows=[row], predictions=predictions, where=(uri, number))


OutputRecord = tuple[str, list[Any], list[Any]]


def output_records(
    content: bytes,
    decoder: PayloadDecoder,
    *,
    dataset_format: BatchFormat | None,
    csv_header: bool,
    width: int | None,
) -> Iterator[tuple[int, OutputRecord | Malformed]]:
    """Each record of a batch-transform output file, by line number.

    A record is (id, feature row, predictions), or the :class:`Malformed` that says why its
    line cannot be used (bytes that are not UTF-8 included). Both engines read with it.
    """
    lines = content.split(b"\n")
    first = next((x for x in lines if x.strip()), b"").decode("utf-8", errors="replace")
    found = dataset_format or detect_batch_format(first)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip() or (csv_header and found == "csv" and number == 1):
            continue
        try:
            line = utf8_text(raw)
            if found == "csv":
                yield number, csv_record(line, decoder, width)
            else:
                yield number, json_record(line, decoder)
        except Malformed as exc:
            yield number, exc


def csv_record(
    line: str, decoder: PayloadDecoder, width: int | None
) -> tuple[str, list[Any], list[Any]]:
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


def json_record(line: str, decoder: PayloadDecoder) -> tuple[str, list[Any], list[Any]]:
    """One JSON Lines output record: its id, its feature row and its prediction."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"invalid JSON: {exc.msg}") from None
    if not isinstance(document, dict) or not isinstance(document.get(ID), str):
        raise Malformed(f"{ID} is missing")
    inputs = {k: v for k, v in document.items() if k not in (ID, TIME, OUTPUT)}
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

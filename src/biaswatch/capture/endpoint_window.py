"""Reading an endpoint's capture for a window, and joining it to its ground truth.

Capture files are read into columns (see :mod:`biaswatch.capture.json_lines`). Invocations of
the common shape (one CSV record in, one CSV line out) are decoded column by column; every other
invocation (JSON, JSON Lines, base64, several records per request, quoted CSV) is decoded one by
one. Malformed records are skipped, counted and sampled in the diagnostics, never fatal.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from biaswatch.capture.assembly import TableLayout, WindowAssembler, WindowData
from biaswatch.capture.endpoint import (
    Encoding,
    Payload,
    capture_folder,
    parse_capture_line,
    parse_inference_time,
)
from biaswatch.capture.ground_truth import read_ground_truth
from biaswatch.capture.json_lines import LineTable, read_json_lines
from biaswatch.capture.window import Window
from biaswatch.records import (
    DecodingOptions,
    Malformed,
    PayloadDecoder,
    PayloadFormat,
    payload_format,
)
from biaswatch.storage import list_hour_files, read_bytes

__all__ = ["decode_invocation", "read_endpoint_window"]

_PAYLOAD = pa.struct(
    [
        ("observedContentType", pa.string()),
        ("mode", pa.string()),
        ("data", pa.string()),
        ("encoding", pa.string()),
    ]
)
_SCHEMA = pa.schema(
    [
        ("captureData", pa.struct([("endpointInput", _PAYLOAD), ("endpointOutput", _PAYLOAD)])),
        (
            "eventMetadata",
            pa.struct(
                [
                    ("eventId", pa.string()),
                    ("inferenceId", pa.string()),
                    ("inferenceTime", pa.string()),
                ]
            ),
        ),
    ]
)
_NAMES = (
    "event_id", "inference_id", "inference_time",
    "input_type", "input_encoding", "input_data",
    "output_type", "output_encoding", "output_data",
)  # fmt: skip
_REQUIRED = {
    "event_id": "eventMetadata.eventId is missing",
    "inference_time": "eventMetadata.inferenceTime is missing",
    "input_data": "captureData.endpointInput.data is missing",
    "input_encoding": "captureData.endpointInput.encoding is missing",
    "output_data": "captureData.endpointOutput.data is missing",
    "output_encoding": "captureData.endpointOutput.encoding is missing",
}
_ENCODINGS = tuple(encoding.value for encoding in Encoding)


def _flatten(table: pa.Table) -> dict[str, pa.Array]:
    capture = table.column("captureData").combine_chunks()
    metadata = table.column("eventMetadata").combine_chunks()
    columns = {
        "event_id": pc.struct_field(metadata, "eventId"),
        "inference_id": pc.struct_field(metadata, "inferenceId"),
        "inference_time": pc.struct_field(metadata, "inferenceTime"),
    }
    for side, name in (("input", "endpointInput"), ("output", "endpointOutput")):
        payload = pc.struct_field(capture, name)
        columns[f"{side}_type"] = pc.fill_null(pc.struct_field(payload, "observedContentType"), "")
        columns[f"{side}_encoding"] = pc.struct_field(payload, "encoding")
        columns[f"{side}_data"] = pc.struct_field(payload, "data")
    return columns


def _parse_line(line: bytes) -> tuple[Any, ...]:
    record = parse_capture_line(line)
    return (
        record.event_id,
        record.inference_id,
        record.inference_time.isoformat(),
        record.input.content_type,
        record.input.encoding.value,
        record.input.data,
        record.output.content_type,
        record.output.encoding.value,
        record.output.data,
    )


def read_endpoint_window(
    capture_uri: str,
    ground_truth_uri: str,
    window: Window,
    *,
    endpoint: str,
    variant: str = "AllTraffic",
    options: DecodingOptions | None = None,
    layout: TableLayout | None = None,
) -> WindowData:
    """The joined table of an endpoint's window: captured records with their labels.

    Reads the window's hour folders under ``<capture_uri>/<endpoint>/<variant>`` and the ground
    truth under ``ground_truth_uri`` (see :class:`~biaswatch.capture.window.Window`).
    """
    decoder = PayloadDecoder(options or DecodingOptions())
    assembler = WindowAssembler(layout or TableLayout(), decoder)
    truth_hours, hours = window.ground_truth_hours(), window.capture_hours()
    with ThreadPoolExecutor(max_workers=1) as background:
        # Ground truth and capture are read at once: Arrow's readers release the GIL.
        truth = background.submit(
            read_ground_truth, ground_truth_uri, truth_hours[0], truth_hours[-1]
        )
        for hour_file in list_hour_files(
            capture_folder(capture_uri, endpoint, variant), hours[0], hours[-1]
        ):
            assembler.capture_files += 1
            _read_capture_file(hour_file.uri, assembler, window, decoder)
        return assembler.finish(truth.result())


def _read_capture_file(
    uri: str, assembler: WindowAssembler, window: Window, decoder: PayloadDecoder
) -> None:
    table = read_json_lines(
        uri, read_bytes(uri), schema=_SCHEMA, flatten=_flatten, parse_line=_parse_line, names=_NAMES
    )
    assembler.records_read += table.read
    table.require(uri, _REQUIRED)
    columns = table.columns
    for side in ("input", "output"):
        table.reject(
            uri,
            pc.invert(pc.is_in(columns[f"{side}_encoding"], pa.array(_ENCODINGS))),
            f"captureData.endpoint{side.title()}.encoding is not CSV, JSON or BASE64",
        )
        columns = table.columns
    if window.cut_at_inference_time:
        _cut(uri, table, window, assembler)
    assembler.malformed.merge(table.malformed)
    columns = table.columns
    keys = pc.coalesce(columns["inference_id"], columns["event_id"])
    inputs = pc.utf8_rtrim(columns["input_data"], characters="\r\n")
    outputs = pc.utf8_rtrim(columns["output_data"], characters="\r\n")
    simple = pc.and_(
        pc.and_(_is_csv(columns, "input"), _is_csv(columns, "output")),
        pc.invert(
            pc.or_(pc.match_substring_regex(inputs, '[\n"]'), pc.match_substring(outputs, "\n"))
        ),
    )
    predictions = _predictions(outputs.filter(simple), decoder.options)
    if predictions is None:  # some output does not parse: decode those invocations one by one
        simple = pc.and_(simple, pa.scalar(False))
    else:
        assembler.add_columns(
            uri,
            keys=keys.filter(simple),
            lines=table.lines.filter(simple),
            csv_rows=inputs.filter(simple),
            predictions=predictions,
        )
    other = pc.invert(simple)
    if pc.any(other).as_py():
        _add_one_by_one(uri, table, other, keys, assembler, decoder)


def _cut(uri: str, table: LineTable, window: Window, assembler: WindowAssembler) -> None:
    """Keep the records whose inference time is in ``[start, end)``."""
    inside, readable = [], []
    for text in table.columns["inference_time"].to_pylist():
        try:
            inside.append(window.keeps(parse_inference_time(text)))
            readable.append(True)
        except Malformed:
            inside.append(False)
            readable.append(False)
    table.reject(
        uri, pc.invert(pa.array(readable)), "eventMetadata.inferenceTime is not an ISO-8601 time"
    )
    kept = [flag for flag, ok in zip(inside, readable, strict=True) if ok]
    assembler.rows_outside_window += len(kept) - sum(kept)
    table.keep(pa.array(kept, pa.bool_()))


def _is_csv(columns: dict[str, pa.Array], side: str) -> pa.Array:
    """Rows whose payload is CSV-encoded and CSV by content type (or has no content type)."""
    types = columns[f"{side}_type"]
    # Few distinct content types: decide each once, then look them up.
    csv_types = [
        value
        for value in pc.unique(types).to_pylist()
        if payload_format(value or "", encoding="CSV") is PayloadFormat.CSV
    ]
    by_type = pc.is_in(types, value_set=pa.array(csv_types, pa.string()))
    return pc.and_(pc.equal(columns[f"{side}_encoding"], "CSV"), by_type)


def _index(attribute: str | int | None) -> int | None:
    text = "" if attribute is None else str(attribute).strip()
    return int(text) if text.isdigit() else None


def _predictions(outputs: pa.Array, options: DecodingOptions) -> pa.Array | None:
    """Predicted labels of single-line CSV outputs, column by column; None if some do not fit."""
    inference, probability = options.inference_attribute, options.probability_attribute
    fields = pc.split_pattern(outputs, ",")
    try:
        if inference is not None and str(inference):
            position = _index(inference)
            if position is None:
                return None
            labels = pc.list_element(fields, position)
            return labels
        if probability is not None and str(probability):
            position = _index(probability)
            if position is None:
                return None
            scores = pc.cast(pc.list_element(fields, position), pa.float64())
        else:
            if pc.any(pc.match_substring(outputs, ",")).as_py():
                return None
            scores = pc.cast(outputs, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, IndexError):
        return None
    if scores.null_count or not pc.all(pc.is_finite(scores)).as_py():
        return None  # a missing or non-finite score: those invocations are judged one by one
    return pc.cast(pc.greater(scores, options.probability_threshold), pa.int64())


def _add_one_by_one(
    uri: str,
    table: LineTable,
    mask: pa.Array,
    keys: pa.Array,
    assembler: WindowAssembler,
    decoder: PayloadDecoder,
) -> None:
    columns = {name: column.filter(mask).to_pylist() for name, column in table.columns.items()}
    for position, (key, line) in enumerate(
        zip(keys.filter(mask).to_pylist(), table.lines.filter(mask).to_pylist(), strict=True)
    ):
        row = {name: values[position] for name, values in columns.items()}
        try:
            rows, predictions = _decode(row, decoder)
        except Malformed as exc:
            assembler.malformed.add(uri, line, exc.reason)
            continue
        assembler.add(key=key, rows=rows, predictions=predictions, where=(uri, line))


def _decode(row: dict[str, Any], decoder: PayloadDecoder) -> tuple[list[list[Any]], list[Any]]:
    """Decode one invocation's flattened columns into feature rows and predictions."""
    request, response = (
        Payload(
            row[f"{side}_type"],
            side.upper(),
            row[f"{side}_data"],
            Encoding(row[f"{side}_encoding"]),
        )
        for side in ("input", "output")
    )
    return decode_invocation(request, response, decoder)


def decode_invocation(
    request: Payload, response: Payload, decoder: PayloadDecoder
) -> tuple[list[list[Any]], list[Any]]:
    """One invocation's feature rows and one prediction per row, or :class:`Malformed`."""
    sides = []
    for side, payload in (("input", request), ("output", response)):
        found = payload_format(payload.content_type, encoding=payload.encoding.value)
        if found is None:
            raise Malformed(
                f"cannot tell the format of the {side}: content type"
                f" {payload.content_type or 'none'}, encoding {payload.encoding.value}"
            )
        sides.append((payload.text(), found))
    (text, found), (output_text, output_format) = sides
    rows = decoder.feature_rows(text, found)
    if not rows:
        raise Malformed("the input holds no record")
    return rows, decoder.predictions(output_text, output_format, count=len(rows))

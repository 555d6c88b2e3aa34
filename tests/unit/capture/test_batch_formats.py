"""Batch-transform output in every format: CSV (with or without a header), JSON Lines, one JSON
document (an array, records one after another, pretty-printed) and Parquet read as the CSV
capture of the same records; the format named at schedule creation or detected; bad records
counted with their file and line (Parquet: row)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.capture_data import WINDOW, T
from tests.conftest import run_cli

from biaswatch.capture import GroundTruthRecord, TableLayout, WindowData, upload_ground_truth
from biaswatch.capture.batch import detect_batch_format, read_batch_window, write_batch_capture
from biaswatch.capture.json_documents import split_json_document
from biaswatch.capture.parquet_rows import parquet_rows
from biaswatch.clarify import BiasConfig
from biaswatch.config.batch_format import BatchFormat, parse_dataset_format
from biaswatch.config.monitor import BatchInputDefinition
from biaswatch.errors import ConfigError
from biaswatch.model_monitor import (
    BatchTransformInput,
    BiasAnalysisConfig,
    CronExpressionGenerator,
    ModelBiasMonitor,
)
from biaswatch.model_monitor.inputs import DatasetFormat, MonitoringDatasetFormat
from biaswatch.records import DecodingOptions, Malformed
from biaswatch.storage import read_bytes, write_bytes
from biaswatch.store import Store

START = T - timedelta(minutes=40)
LAYOUT = TableLayout(label="y", headers=("sex", "x", "y"))
NAMES = ("sex", "x")
FEATURES = [[i % 2, i % 5] for i in range(12)]
SCORES = [0.9 if i % 3 else 0.2 for i in range(12)]
LABELS = [str(i % 2) for i in range(12)]
ID, TIME, OUTPUT = "SageMakerInferenceId", "SageMakerInferenceTime", "SageMakerOutput"


@pytest.fixture
def base() -> str:
    return f"memory://batch-formats-{uuid.uuid4().hex}"


def captured(base: str, dataset_format: BatchFormat, **changes: Any) -> list[str]:
    """The records written as ``part-1.out`` in ``dataset_format``, with their labels."""
    arguments: dict[str, Any] = {
        "output_prefix": f"{base}/out",
        "name": "part-1",
        "features": FEATURES,
        "predictions": SCORES,
        "job_start": START,
        "dataset_format": dataset_format,
        "feature_names": NAMES,
    }
    ids = write_batch_capture(f"{base}/capture", **(arguments | changes))
    labels = changes.get("labels", LABELS)
    upload_ground_truth(
        f"{base}/truth",
        [GroundTruthRecord(key, label) for key, label in zip(ids, labels, strict=True)],
        collected_at=T,
    )
    return ids


def window(base: str, dataset_format: BatchFormat | None = None, **options: Any) -> WindowData:
    return read_batch_window(
        f"{base}/capture",
        f"{base}/truth",
        WINDOW,
        dataset_format=dataset_format,
        options=DecodingOptions(**options),
        layout=LAYOUT,
    )


def summary(data: WindowData) -> tuple[dict[str, list[Any]], int, int, int]:
    found = data.diagnostics
    return data.table.to_pydict(), found.records_read, found.rows, found.malformed_records


def samples(data: WindowData) -> list[tuple[str, int, str]]:
    return [(s.file, s.line, s.reason) for s in data.diagnostics.malformed_samples]


def output_file(base: str) -> str:
    return f"{base}/out/part-1.out"


def records_of(base: str) -> list[dict[str, Any]]:
    """The records of a JSON Lines output file."""
    return [orjson.loads(line) for line in read_bytes(output_file(base)).splitlines()]


def parquet_bytes(table: pa.Table, **options: Any) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


@pytest.fixture
def expected() -> tuple[dict[str, list[Any]], int, int, int]:
    """The window of the CSV capture of the records."""
    reference = f"memory://batch-formats-csv-{uuid.uuid4().hex}"
    captured(reference, BatchFormat.CSV)
    found = summary(window(reference))
    assert found[1:] == (12, 12, 0)
    assert found[0]["predicted_label"] == [1 if score > 0.5 else 0 for score in SCORES]
    return found


# ----------------------------------------------------------------- every format


@pytest.mark.parametrize(
    ("written", "named"),
    [
        (BatchFormat.CSV, None),
        (BatchFormat.CSV, BatchFormat.CSV),
        (BatchFormat.CSV_HEADER, BatchFormat.CSV_HEADER),
        (BatchFormat.JSON_LINES, None),
        (BatchFormat.JSON_LINES, BatchFormat.JSON_LINES),
        (BatchFormat.JSON_LINES, BatchFormat.JSON),  # JSON Lines is a JSON document too
        (BatchFormat.JSON, None),
        (BatchFormat.JSON, BatchFormat.JSON),
        (BatchFormat.PARQUET, None),
        (BatchFormat.PARQUET, BatchFormat.PARQUET),
    ],
)
def test_every_format_reads_as_the_csv_capture(
    base: str, expected: Any, written: BatchFormat, named: BatchFormat | None
) -> None:
    captured(base, written)
    assert summary(window(base, named)) == expected


def test_a_csv_header_is_written_and_skipped(base: str, expected: Any) -> None:
    captured(base, BatchFormat.CSV_HEADER)
    first = read_bytes(output_file(base)).split(b"\n")[0]
    assert first == b"sex,x,SageMakerOutput,SageMakerInferenceId,SageMakerInferenceTime"
    write_bytes(output_file(base), b"\n" + read_bytes(output_file(base)))  # the first non-blank
    assert summary(window(base, BatchFormat.CSV_HEADER)) == expected
    unnamed = f"{base}-unnamed"
    captured(unnamed, "csv-header", feature_names=None)  # type: ignore[arg-type]
    assert read_bytes(output_file(unnamed)).startswith(b"feature_1,feature_2,SageMakerOutput,")


def test_a_header_read_as_a_record_is_malformed_not_fatal(base: str, expected: Any) -> None:
    captured(base, BatchFormat.CSV_HEADER)
    data = window(base)  # detected: CSV without a header
    assert summary(data)[2:] == (12, 1)
    assert samples(data)[0][1] == 1


JSON_LAYOUTS: dict[str, Callable[[list[dict[str, Any]]], bytes]] = {
    "array on one line": lambda records: orjson.dumps(records),
    "array, pretty-printed": lambda records: json.dumps(records, indent=2).encode(),
    "one after another": lambda records: b"".join(orjson.dumps(r) for r in records),
    "one after another, with spaces": lambda records: b"  ".join(orjson.dumps(r) for r in records),
    "pretty-printed, one after another": lambda records: "\n".join(
        json.dumps(r, indent=4) for r in records
    ).encode(),
    "several arrays": lambda records: orjson.dumps(records[:5]) + b"\n" + orjson.dumps(records[5:]),
}


@pytest.mark.parametrize("layout", JSON_LAYOUTS)
@pytest.mark.parametrize("named", [None, BatchFormat.JSON])
def test_json_documents_in_every_layout(
    base: str, expected: Any, layout: str, named: BatchFormat | None
) -> None:
    captured(base, BatchFormat.JSON_LINES)
    write_bytes(output_file(base), JSON_LAYOUTS[layout](records_of(base)))
    assert summary(window(base, named)) == expected


def test_one_record_per_file(base: str, expected: Any) -> None:
    captured(base, BatchFormat.JSON_LINES)
    records = records_of(base)
    write_bytes(output_file(base), json.dumps(records[0], indent=2).encode())
    for position, record in enumerate(records[1:], start=2):
        uri = f"{base}/out/part-{position}.out"
        write_bytes(uri, orjson.dumps(record))
        write_bytes(
            f"{base}/capture/output/2026/11/24/09/{position}.json",
            orjson.dumps([{"prefix": f"{base}/out/"}, f"part-{position}.out"]),
        )
    table, *counts = summary(window(base))  # the manifests are listed in no particular order
    assert counts == list(expected[1:])
    assert sorted(zip(*table.values(), strict=True)) == sorted(
        zip(*expected[0].values(), strict=True)
    )


# ------------------------------------------------------------------ Parquet shapes


def test_parquet_with_a_struct_output(base: str) -> None:
    outputs = [{"predicted_label": i % 2, "score": 0.5 + i / 100} for i in range(12)]
    reference = f"{base}-jsonl"
    captured(reference, BatchFormat.JSON_LINES, predictions=outputs)
    captured(base, BatchFormat.PARQUET, predictions=outputs)
    schema = pq.read_schema(io.BytesIO(read_bytes(output_file(base))))
    assert pa.types.is_struct(schema.field(OUTPUT).type)
    jsonl = window(reference, inference_attribute="predicted_label")
    parquet = window(base, inference_attribute="predicted_label")
    assert summary(parquet) == summary(jsonl)
    assert parquet.table.column("predicted_label").to_pylist() == [i % 2 for i in range(12)]
    by_score = window(base, probability_attribute="score", probability_threshold=0.6)
    assert by_score.table.column("predicted_label").to_pylist() == [0] * 11 + [1]


def test_parquet_with_a_map_output_and_a_features_list(base: str) -> None:
    ids = captured(base, BatchFormat.JSON_LINES, feature_names=None)
    table = pa.table(
        {
            "features": pa.array(FEATURES, pa.list_(pa.int64())),
            OUTPUT: pa.array(
                [[("label", i % 2)] for i in range(12)], pa.map_(pa.string(), pa.int64())
            ),
            ID: ids,
            TIME: pa.array([START] * 12, pa.timestamp("s", tz="UTC")),
        }
    )
    write_bytes(output_file(base), parquet_bytes(table))
    data = window(base, features_attribute="features", inference_attribute="label")
    assert summary(data)[1:] == (12, 12, 0)
    assert data.table.column("sex").to_pylist() == [row[0] for row in FEATURES]
    assert data.table.column("predicted_label").to_pylist() == [i % 2 for i in range(12)]


def test_parquet_without_sagemaker_output_reads_the_named_columns(base: str, expected: Any) -> None:
    ids = captured(base, BatchFormat.CSV)
    predicted = expected[0]["predicted_label"]
    table = pa.table(
        {
            ID: ids,
            "sex": [row[0] for row in FEATURES],
            "predicted_label": predicted,
            "x": [row[1] for row in FEATURES],
            TIME: ["2026-11-24T09:20:00Z"] * 12,
        }
    )
    write_bytes(output_file(base), parquet_bytes(table))
    assert summary(window(base, inference_attribute="predicted_label")) == expected
    labels = pa.table({**{n: table.column(n) for n in table.column_names}, "score": SCORES})
    write_bytes(output_file(base), parquet_bytes(labels.drop_columns(["predicted_label"])))
    assert summary(window(base, probability_attribute="score")) == expected


def test_a_parquet_record_of_nested_values_keeps_them(base: str) -> None:
    inner = pa.struct([("inner", pa.map_(pa.string(), pa.int64()))])
    table = pa.table(
        {
            "m": pa.array(
                [[("k", [{"inner": [("a", 1)]}])], None], pa.map_(pa.string(), pa.list_(inner))
            ),
            "s": pa.array(
                [{"v": [("b", 2)]}, None], pa.struct([("v", pa.map_(pa.string(), pa.int64()))])
            ),
            "plain": pa.array([[1], [2]], pa.list_(pa.int64())),
        }
    )
    assert list(parquet_rows(parquet_bytes(table))) == [
        (1, {"m": {"k": [{"inner": {"a": 1}}]}, "s": {"v": {"b": 2}}, "plain": [1]}),
        (2, {"m": None, "s": None, "plain": [2]}),
    ]


# ---------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"PAR1....", BatchFormat.PARQUET),
        (b"\n  [\n{}]", BatchFormat.JSON),
        (b'{"a": 1}\n{"a": 2}\n', BatchFormat.JSON_LINES),
        (b'{"a": 1}', BatchFormat.JSON_LINES),
        (b'{"a": 1}{"a": 2}', BatchFormat.JSON),
        (b'{\n  "a": 1\n}\n', BatchFormat.JSON),
        (b"{1}\n", BatchFormat.JSON),
        (b"1,2,0.9,id,2026-11-24T09:20:00Z\n", BatchFormat.CSV),
        (b"", BatchFormat.CSV),
        (b"  \n", BatchFormat.CSV),
    ],
)
def test_the_format_is_detected_from_the_first_bytes(content: bytes, found: BatchFormat) -> None:
    assert detect_batch_format(content) is found


# ------------------------------------------------------------ malformed records


def test_bad_records_of_a_json_array_are_counted_each_with_its_line(base: str) -> None:
    captured(base, BatchFormat.JSON_LINES)
    records: list[Any] = records_of(base)
    del records[3][ID]
    records[7] = 42
    write_bytes(output_file(base), json.dumps(records, indent=1).encode())
    data = window(base)
    assert summary(data)[1:] == (12, 10, 2)
    heights = [len(json.dumps(record, indent=1).splitlines()) for record in records]
    uri = output_file(base)
    assert (
        samples(data)
        == [  # "[" is line 1
            (uri, 2 + sum(heights[:3]), "SageMakerInferenceId is missing"),
            (uri, 2 + sum(heights[:7]), "SageMakerInferenceId is missing"),
        ]
    )


def test_text_that_does_not_parse_ends_the_file_with_one_entry(base: str) -> None:
    captured(base, BatchFormat.JSON_LINES)
    records = records_of(base)
    head = b"".join(orjson.dumps(r) + b"\n" for r in records[:4])
    tail = b"".join(orjson.dumps(r) + b"\n" for r in records[5:])
    broken = orjson.dumps(records[4])[:-1] + b' "x" }\n'  # a value without its key
    write_bytes(output_file(base), b"[" + head.replace(b"}\n", b"},\n") + broken + tail + b"]")
    data = window(base)
    assert summary(data)[1:] == (5, 4, 1)
    [(uri, line, reason)] = samples(data)
    assert (uri, line) == (output_file(base), 5)
    assert reason.startswith("invalid JSON at line 5, column ")
    assert reason.endswith(": Expecting ',' delimiter; the rest of the file is not read")


def test_bad_bytes_and_constants_spoil_only_their_record(base: str) -> None:
    captured(base, BatchFormat.JSON_LINES)
    lines = read_bytes(output_file(base)).splitlines()
    lines[2] = lines[2].replace(b'"SageMakerInferenceTime":"', b'"SageMakerInferenceTime":"\xff')
    lines[5] = lines[5].replace(b'"x":0', b'"x":NaN')
    write_bytes(output_file(base), b"".join(lines))  # one line: records one after another
    data = window(base, BatchFormat.JSON)
    assert summary(data)[1:] == (12, 10, 2)
    [first, second] = samples(data)
    assert first[1:] == (1, f"not UTF-8 text: byte 0xff at line 1, column {first_column(lines)}")
    assert second[1:] == (1, "invalid JSON: NaN is not a JSON value")


def first_column(lines: list[bytes]) -> int:
    before = b"".join(lines[:2]) + lines[2][: lines[2].index(b"\xff")]
    return len(before.decode()) + 1


def test_a_bad_byte_outside_a_string_ends_the_file(base: str) -> None:
    captured(base, BatchFormat.JSON_LINES)
    lines = read_bytes(output_file(base)).split(b"\n")
    lines[1] = lines[1].replace(b":", b":\xfe", 1)
    write_bytes(output_file(base), b"\n".join(lines))
    data = window(base, BatchFormat.JSON)
    assert summary(data)[1:] == (2, 1, 1)
    reason = "not UTF-8 text: byte 0xfe at line 2, column 8; the rest of the file is not read"
    assert samples(data) == [(output_file(base), 2, reason)]


def test_bad_parquet_rows_are_counted_by_row(base: str) -> None:
    ids = captured(base, BatchFormat.JSON_LINES, feature_names=None)
    keys: list[str | None] = list(ids)
    keys[4] = None
    features = [list(row) for row in FEATURES]
    features[9] = [1, 2, 3]
    table = pa.table({"features": features, OUTPUT: SCORES, ID: keys})
    write_bytes(output_file(base), parquet_bytes(table))
    data = window(base, features_attribute="features")
    assert summary(data)[1:] == (12, 10, 2)
    assert [(line, reason) for _, line, reason in samples(data)] == [
        (5, "SageMakerInferenceId is missing"),
        (10, "a record has 3 features where the window has 2"),
    ]


def test_a_file_that_is_not_parquet_is_one_entry(base: str) -> None:
    captured(base, BatchFormat.CSV)
    data = window(base, BatchFormat.PARQUET)
    assert summary(data)[1:] == (1, 0, 1)
    [(uri, line, reason)] = samples(data)
    assert (uri, line) == (output_file(base), 1)
    assert reason.startswith("not a Parquet file: ")


def test_a_parquet_file_that_breaks_off_keeps_its_first_rows() -> None:
    table = pa.table({ID: [str(i) for i in range(20)], OUTPUT: [0.9] * 20})
    content = bytearray(parquet_bytes(table, row_group_size=10, compression="snappy"))
    column = pq.ParquetFile(io.BytesIO(bytes(content))).metadata.row_group(1).column(0)
    start = column.data_page_offset
    content[start : start + column.total_compressed_size] = bytes(column.total_compressed_size)
    rows = list(parquet_rows(bytes(content)))
    assert [number for number, _ in rows] == list(range(1, 12))
    last = rows[-1][1]
    assert isinstance(last, Malformed)
    assert last.reason.startswith("the Parquet file cannot be read after row 10: ")


# ------------------------------------------------------------- the JSON splitter


def reasons(content: bytes) -> list[tuple[int, Any]]:
    return [
        (line, value.reason if isinstance(value, Malformed) else value)
        for line, value in split_json_document(content)
    ]


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"", []),
        (b" [ ] \n[]", []),
        (b'[{"a": 1}\n {"a": 2}]', [(1, {"a": 1}), (2, "invalid JSON at line 2, column 2:"
            " Expecting ',' delimiter; the rest of the file is not read")]),
        (b"[1,\n]", [(1, 1), (2, "invalid JSON at line 2, column 1: Expecting value; the rest of"
            " the file is not read")]),
        (b"[", [(1, "invalid JSON at line 1, column 2: Expecting value; the rest of the file is"
            " not read")]),
        (b'3 "x" null [[1]]', [(1, 3), (1, "x"), (1, None), (1, [1])]),
        (b"[-Infinity, 2]\n{}", [(1, "invalid JSON: -Infinity is not a JSON value"), (1, 2),
            (2, {})]),
        (b'\n\n{"a": "\xc3\xa9"} {"b": 1}', [(3, {"a": "\u00e9"}), (3, {"b": 1})]),
    ],
)  # fmt: skip
def test_the_json_splitter_on_small_documents(content: bytes, found: list[Any]) -> None:
    assert reasons(content) == found


RECORD = st.dictionaries(
    st.text(max_size=5),
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.lists(st.integers(0, 9), max_size=3),
    max_size=4,
)


def _indented(record: dict[str, Any]) -> str:
    return "\n".join("  " + line for line in json.dumps(record, indent=2).split("\n"))


@given(
    st.lists(RECORD, max_size=6),
    st.sampled_from(["array", "array, pretty", "concatenated", "pretty, concatenated"]),
    st.lists(st.sampled_from(["", " ", "\n", "\r\n", "\t\n\n"]), min_size=7, max_size=7),
)
def test_any_json_document_splits_into_its_records_and_lines(
    records: list[dict[str, Any]], layout: str, gaps: list[str]
) -> None:
    """Records dumped as an array, one after another or pretty-printed come back, each with
    the line it starts on (counted from the text written before it)."""
    pretty = "pretty" in layout
    texts = [_indented(r) if pretty else json.dumps(r) for r in records]
    opening, closing = ("[" + gaps[-1], gaps[-2] + "]") if layout.startswith("array") else ("", "")
    pieces, expected = [opening], []
    for position, (text, record) in enumerate(zip(texts, records, strict=True)):
        if position:
            pieces.append(("," if opening else "") + gaps[position % 5])
        expected.append((1 + "".join(pieces).count("\n"), record))
        pieces.append(text)
    document = "".join([*pieces, closing])
    assert list(split_json_document(document.encode())) == expected


# ------------------------------------------------------------- schedule definitions

ACCEPTED: list[tuple[Any, BatchFormat | None]] = [
    (None, None),
    ({}, None),
    (MonitoringDatasetFormat.csv(header=True), BatchFormat.CSV_HEADER),
    (MonitoringDatasetFormat.csv(header=False), BatchFormat.CSV),
    ({"Csv": {}}, BatchFormat.CSV),
    (MonitoringDatasetFormat.json(lines=True), BatchFormat.JSON_LINES),
    (MonitoringDatasetFormat.json(lines=False), BatchFormat.JSON),
    ({"Json": {}}, BatchFormat.JSON),
    (MonitoringDatasetFormat.parquet(), BatchFormat.PARQUET),
    ({"csv": {"header": True}}, BatchFormat.CSV_HEADER),
    ({"json": {"line": True}}, BatchFormat.JSON_LINES),
    ({"parquet": {}}, BatchFormat.PARQUET),
    (DatasetFormat.csv(header=False), BatchFormat.CSV),
    (DatasetFormat.csv(output_columns_position="END"), BatchFormat.CSV_HEADER),
    (DatasetFormat.json(lines=True), BatchFormat.JSON_LINES),
]


@pytest.mark.parametrize(("given_format", "found"), ACCEPTED)
def test_sagemakers_dataset_formats_are_read_once(
    given_format: Any, found: BatchFormat | None
) -> None:
    assert parse_dataset_format(given_format) is found
    definition = BatchInputDefinition(
        data_captured_destination_s3_uri="/tmp/b", dataset_format=given_format
    )
    assert definition.output_format is found
    stored = BatchInputDefinition.model_validate(definition.model_dump(mode="json"))
    assert stored.dataset_format == given_format  # SageMaker's shape is what is stored


@pytest.mark.parametrize("chosen", list(BatchFormat))
def test_each_format_has_sagemakers_shape(chosen: BatchFormat) -> None:
    assert parse_dataset_format(chosen.dataset_format()) is chosen
    assert BatchFormat.named(chosen.value) is chosen


@pytest.mark.parametrize(
    ("given_format", "why"),
    [
        ({"Avro": {}}, "'Avro' is not a batch output format"),
        ({"sagemakerCaptureJson": {}}, "'sagemakerCaptureJson' is not a batch output format"),
        ({"Csv": {"Header": "yes"}}, "Header is true or false, not 'yes'"),
        ({"Json": {"Line": 1}}, "Line is true or false, not 1"),
        ({"Json": {}, "Csv": {}}, "name one format, not 2"),
        ({"Parquet": {"Compression": "snappy"}}, "'Parquet' has no option 'Compression'"),
        ({"Csv": {"Delimiter": ";"}}, "'Csv' has no option 'Delimiter'"),
        ({"Csv": True}, "the options of 'Csv' are a JSON object"),
        ({"json": {"line": True, "lines": True}}, "'json' has 2 options for one flag"),
        ({"csv": {"output_columns_position": "MIDDLE"}}, "START or END, not 'MIDDLE'"),
        ("parquet", "a format is a JSON object, not str"),
        ({"Csv": {"Header": "x" * 100}}, 'dataset_format = {"Csv":{"Header":"xxx'),
    ],
)
def test_a_format_that_cannot_be_read_is_a_config_error(given_format: Any, why: str) -> None:
    with pytest.raises(ConfigError, match="dataset_format = ") as caught:
        parse_dataset_format(given_format)
    assert why in str(caught.value)
    assert '{"Csv": {"Header": true|false}}, {"Json": {"Line": true|false}}' in str(caught.value)
    assert (caught.value.field, caught.value.value) == ("dataset_format", given_format)
    with pytest.raises(ValidationError, match="dataset_format"):
        BatchInputDefinition(data_captured_destination_s3_uri="/b", dataset_format=given_format)


def test_an_unknown_format_name_is_a_config_error(base: str) -> None:
    with pytest.raises(ConfigError, match="--dataset-format = 'avro': not one of csv,") as caught:
        BatchFormat.named("avro", field="--dataset-format")
    assert (caught.value.field, caught.value.value) == ("--dataset-format", "avro")
    with pytest.raises(ConfigError, match="dataset_format = 'xml'"):
        captured(base, "xml")  # type: ignore[arg-type]


# ----------------------------------------------------- the SageMaker API and the CLI


def monitor_of(tmp_path: Path) -> ModelBiasMonitor:
    return ModelBiasMonitor(store=Store.open(f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: T)


ANALYSIS = BiasAnalysisConfig(BiasConfig([1], "sex", [0]), headers=["sex", "x", "y"], label="y")


def test_a_parquet_capture_through_the_sagemaker_api(tmp_path: Path) -> None:
    base = str(tmp_path)
    captured(base, BatchFormat.PARQUET)
    monitor = monitor_of(tmp_path)
    monitor.create_monitoring_schedule(
        monitor_schedule_name="batch-parquet",
        batch_transform_input=BatchTransformInput(
            data_captured_destination_s3_uri=f"{base}/capture",
            dataset_format=MonitoringDatasetFormat.parquet(),
        ),
        ground_truth_input=f"{base}/truth",
        analysis_config=ANALYSIS,
        output_s3_uri=f"{base}/reports",
        schedule_cron_expression=CronExpressionGenerator.hourly(),
    )
    row = monitor.store.schedule("batch-parquet")
    assert row is not None
    assert row.definition["batch_transform_input"]["dataset_format"] == {"Parquet": {}}
    execution = monitor.run_execution(scheduled_time=T)
    assert execution.describe()["MonitoringExecutionStatus"] == "Completed"
    [diagnostics] = list(Path(base, "reports").rglob("diagnostics.json"))
    found = json.loads(diagnostics.read_text())["records"]
    assert (found["records_read"], found["rows"], found["malformed_records"]) == (12, 12, 0)


def test_a_bad_dataset_format_fails_at_creation(tmp_path: Path) -> None:
    monitor = monitor_of(tmp_path)
    with pytest.raises(
        ConfigError, match=r"dataset_format = \{\"Avro\":\{\}\}: 'Avro' is not"
    ) as error:
        monitor.create_monitoring_schedule(
            monitor_schedule_name="batch-avro",
            batch_transform_input=BatchTransformInput(
                data_captured_destination_s3_uri=str(tmp_path / "capture"),
                dataset_format={"Avro": {}},
            ),
            ground_truth_input=str(tmp_path / "truth"),
            analysis_config=ANALYSIS,
        )
    assert error.value.field == "dataset_format"
    assert monitor.store.schedules() == []


def test_the_cli_names_the_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = str(tmp_path)
    captured(base, BatchFormat.JSON)
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps(ANALYSIS._to_dict()))
    create = ["schedules", "create", "b", "--ground-truth-uri", f"{base}/truth"]
    create += ["--analysis-config", str(config), "--output-uri", f"{base}/reports"]
    batch = ["--batch-capture-uri", f"{base}/capture"]
    assert run_cli([*create, *batch, "--dataset-format", "avro"]) == 2
    assert "--dataset-format = 'avro': not one of csv, csv-header" in capsys.readouterr().err
    assert run_cli([*create, "--endpoint", "ep", "--dataset-format", "json"]) == 2
    assert "--dataset-format is the format of --batch-capture-uri" in capsys.readouterr().err
    assert Store.open().schedules() == []
    assert run_cli([*create, *batch, "--dataset-format", "json"]) == 0
    row = Store.open().schedule("b")
    assert row is not None
    assert row.definition["batch_transform_input"]["dataset_format"] == {"Json": {"Line": False}}
    slot = ["--schedule", "b", "--scheduled-time", "2026-11-24T10:00:00Z"]
    assert run_cli(["executions", "run", *slot]) == 0

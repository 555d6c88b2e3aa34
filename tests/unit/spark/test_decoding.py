"""What Spark's Python workers run, run here: files in, lines, one row per record or bad line out.

The decoders are plain functions over Arrow batches, so they are tested without a Spark session
(and so are measured by coverage, which does not follow Spark's forked Python workers).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
from tests.capture_data import WINDOW, T, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, Window
from biaswatch.capture.batch import write_batch_capture
from biaswatch.config.batch_format import BatchFormat
from biaswatch.records import DecodingOptions
from biaswatch.spark.decoding import (
    OUTPUT,
    OUTSIDE,
    capture_schema,
    decode_batch_outputs,
    decode_captures,
    decode_ground_truth,
    line_order,
    read_lines,
    storage_settings,
    truth_schema,
)
from biaswatch.storage import join, list_files, read_bytes, write_bytes

SCHEMA = capture_schema(["a", "b"], "predicted_label")


def _files(*uris: str) -> Iterator[pa.RecordBatch]:
    """The (index, uri) batches Spark hands a task: here, two batches."""
    half = len(uris) // 2
    for part, first in ((uris[:half], 0), (uris[half:], half)):
        yield pa.record_batch(
            {"index": pa.array(range(first, first + len(part)), pa.int64()), "uri": list(part)}
        )


def _lines(*uris: str) -> Iterator[pa.RecordBatch]:
    """The files' lines, as the task before the decoders reads them."""
    return read_lines(_files(*uris), settings={})


def _rows(batches: Iterator[pa.RecordBatch]) -> list[dict[str, Any]]:
    return [row for batch in batches for row in batch.to_pylist()]


@pytest.fixture
def base() -> str:
    return f"memory://spark-decoding-{uuid.uuid4().hex}"


def test_capture_lines_become_one_row_per_record_or_per_bad_line(base: str) -> None:
    uri = write_capture(
        base,
        [
            capture(1, "1,2\n3,4", "0.9\n0.1").to_line(),
            b"not json\n",
            capture(2, "5,6,7", "0.9").to_line(),  # three features for a window of two
            capture(3, "8,9", "0.2", minute=90).to_line(),  # after T: outside a cut window
        ],
    )
    cut = Window.from_offsets(T, "-PT1H", "-PT0H", cut_at_inference_time=True)
    rows = _rows(decode_captures(_lines(uri), options=DecodingOptions(), window=cut, schema=SCHEMA))
    assert [(r["key"], r["record"], r["line"]) for r in rows] == [
        ("1", 0, 1), ("1", 1, 1), (None, 0, 2), ("2", 0, 3), (None, 0, 4),
    ]  # fmt: skip
    assert [(r["size"], r["first"]) for r in rows] == [(2, 1), (2, 0), (1, 1), (1, 1), (1, 1)]
    problems = [r["problem"] for r in rows]
    assert problems[:2] == [None, None]
    assert problems[2].startswith("invalid JSON: ")
    assert problems[3:] == ["a record has 3 features where the window has 2", OUTSIDE]
    assert [(r["a"], r["b"], r["predicted_label"]) for r in rows[:2]] == [
        ("1", "2", "1"), ("3", "4", "0"),
    ]  # fmt: skip
    assert all(r["file"] == uri for r in rows)
    orders = [r["order"] for r in rows]
    assert orders == sorted(orders)  # the order the local engine reads them in


def test_a_record_of_another_width_stays_in_its_request(base: str) -> None:
    uri = write_capture(base, [capture(1, "1,2\n3\n4,5,6", "0.9\n0.1\n0.2").to_line()])
    rows = _rows(
        decode_captures(_lines(uri), options=DecodingOptions(), window=WINDOW, schema=SCHEMA)
    )
    assert [(r["key"], r["record"], r["size"], r["first"]) for r in rows] == [
        ("1", 0, 3, 1), ("1", 1, 3, 1), ("1", 2, 3, 1),
    ]  # fmt: skip
    assert [r["problem"] for r in rows] == [
        None,
        "a record has 1 features where the window has 2",
        "a record has 3 features where the window has 2",
    ]
    assert [r["order"] - r["record"] for r in rows] == [rows[0]["order"]] * 3  # one request


def test_a_file_index_orders_rows_across_files(base: str) -> None:
    first = write_capture(base, [capture(1, "1,2", "0.9").to_line()])
    second = write_capture(base, [capture(2, "3,4", "0.9").to_line()], hour=T)
    rows = _rows(
        decode_captures(
            _lines(first, second), options=DecodingOptions(), window=WINDOW, schema=SCHEMA
        )
    )
    assert [r["key"] for r in rows] == ["1", "2"]
    assert rows[0]["order"] < rows[1]["order"]


def test_an_empty_file_is_an_empty_batch(base: str) -> None:
    uri = join(base, "empty.jsonl")
    write_bytes(uri, b"\n")
    [batch] = list(
        decode_captures(_lines(uri), options=DecodingOptions(), window=WINDOW, schema=SCHEMA)
    )
    assert batch.num_rows == 0
    assert batch.schema == SCHEMA


def test_files_become_numbered_lines_with_the_bytes_of_those_not_utf8(base: str) -> None:
    uri = join(base, "lines.jsonl")
    write_bytes(uri, b'{"a": 1}\n\n  \n{"b": "\xff"}\r\n{"c": 3}')
    rows = _rows(_lines(uri))
    assert [(r["index"], r["file"], r["line"]) for r in rows] == [(0, uri, n) for n in range(1, 6)]
    assert [r["text"] for r in rows] == ['{"a": 1}', "", "  ", None, '{"c": 3}']
    assert [r["raw"] for r in rows] == [None, None, None, b'{"b": "\xff"}\r', None]
    decoded = _rows(
        decode_captures(_lines(uri), options=DecodingOptions(), window=WINDOW, schema=SCHEMA)
    )
    assert [r["line"] for r in decoded] == [1, 4, 5]  # blank lines skipped, numbers kept
    assert decoded[1]["problem"].startswith("invalid JSON: str is not valid UTF-8")
    assert [r["order"] for r in decoded] == [line_order(0, n) for n in (1, 4, 5)]


def test_a_long_file_comes_in_several_batches(base: str) -> None:
    uri = join(base, "long.jsonl")
    write_bytes(uri, b"x\n" * 70_000)
    batches = list(_lines(uri))
    assert [b.num_rows for b in batches] == [65_536, 70_001 - 65_536]
    assert batches[1].column("line")[0].as_py() == 65_537


def test_ground_truth_becomes_one_row_per_label(base: str) -> None:
    uri = write_truth(
        base,
        [GroundTruthRecord("1", "1\n0"), GroundTruthRecord.of("2", {"y": 1})],
    )
    write_bytes(uri, read_bytes(uri) + b'{"eventMetadata": {"eventId": "3"}}\n')
    schema = truth_schema("y")
    rows = _rows(
        decode_ground_truth(
            _lines(uri), options=DecodingOptions(label_attribute="y"), schema=schema
        )
    )
    assert [(r["key"], r["record"], r["y"], r["problem"]) for r in rows] == [
        ("1", 0, "1", None),
        ("1", 1, "0", None),
        ("2", 0, "1", None),
        (None, 0, None, "groundTruthData.data is missing"),
    ]
    assert [r["order"] - r["record"] for r in rows[:2]] == [rows[0]["order"]] * 2  # one line


def test_batch_outputs_become_one_row_per_record(base: str) -> None:
    write_batch_capture(
        f"{base}/capture",
        output_prefix=f"{base}/out",
        name="part-1",
        features=[[1, 2], [3, 4, 5]],
        predictions=[0.9, 0.2],
        job_start=T - timedelta(minutes=40),
    )
    [output] = list_files(f"{base}/out")
    rows = _rows(
        decode_batch_outputs(
            _files(output), options=DecodingOptions(), schema=SCHEMA, settings={},
            dataset_format=BatchFormat.CSV,
        )
    )  # fmt: skip
    assert [(r["record"], r["problem"], r["line"]) for r in rows] == [
        (0, None, 1),
        (0, "a CSV output with several values needs inference_attribute or"
            " probability_attribute", 2),
    ]  # fmt: skip
    assert (rows[0]["a"], rows[0]["b"], rows[0]["predicted_label"]) == ("1", "2", "1")
    assert len(SCHEMA) - OUTPUT - 1 == 2


def test_a_batch_record_of_another_width_is_malformed(base: str) -> None:
    uri = join(base, "out", "part-1.out")
    write_bytes(
        uri,
        b'{"SageMakerInferenceId": "a", "features": [1, 2], "SageMakerOutput": 0.9}\n'
        b'{"SageMakerInferenceId": "b", "features": [1, 2, 3], "SageMakerOutput": 0.1}\n',
    )
    rows = _rows(
        decode_batch_outputs(
            _files(uri), options=DecodingOptions(features_attribute="features"), schema=SCHEMA,
            settings={}, dataset_format=BatchFormat.JSON_LINES,
        )
    )  # fmt: skip
    assert [(r["key"], r["problem"], r["predicted_label"]) for r in rows] == [
        ("a", None, "1"),
        (None, "a record has 3 features where the window has 2", None),
    ]


def test_workers_read_with_the_drivers_storage_settings(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIASWATCH_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("UNRELATED", "x")
    settings = storage_settings()
    assert settings["BIASWATCH_S3_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert settings["AWS_REGION"] == "eu-west-1"
    assert all(name.startswith(("BIASWATCH_", "AWS_")) for name in settings)
    monkeypatch.setenv("AWS_REGION", "us-east-1")  # the worker's own environment differs
    uri = write_capture(base, [capture(1, "1,2", "0.9").to_line()])
    lines = read_lines(_files(uri), settings=settings)
    decoded = decode_captures(lines, options=DecodingOptions(), window=WINDOW, schema=SCHEMA)
    assert [row["key"] for row in _rows(decoded)] == ["1"]
    assert os.environ["AWS_REGION"] == "eu-west-1"

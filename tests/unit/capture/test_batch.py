"""Batch-transform capture: manifests, output records with inference ids, the window read."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
import pytest
from tests.capture_data import WINDOW, T

from biaswatch.capture import GroundTruthRecord, TableLayout, upload_ground_truth
from biaswatch.capture.batch import read_batch_window, write_batch_capture
from biaswatch.records import DecodingOptions
from biaswatch.storage import list_files, read_bytes, write_bytes

START = T - timedelta(minutes=40)


@pytest.fixture
def base() -> str:
    return f"memory://batch-{uuid.uuid4().hex}"


def test_csv_output_records_and_manifest(base: str) -> None:
    ids = write_batch_capture(
        f"{base}/capture",
        output_prefix=f"{base}/out",
        name="part-1",
        features=[[1, 2], [3, 4]],
        predictions=[0.9, 0.2],
        job_start=START,
    )
    lines = read_bytes(f"{base}/out/part-1.out").decode().splitlines()
    assert lines[0] == f"1,2,0.9,{ids[0]},2026-11-24T09:20:00Z"
    [manifest] = list_files(f"{base}/capture/output/2026/11/24/09")
    assert orjson.loads(read_bytes(manifest)) == [{"prefix": f"{base}/out/"}, "part-1.out"]
    upload_ground_truth(
        f"{base}/truth",
        [GroundTruthRecord(ids[0], "1"), GroundTruthRecord(ids[1], "0")],
        collected_at=T,
    )
    data = read_batch_window(
        f"{base}/capture",
        f"{base}/truth",
        WINDOW,
        layout=TableLayout(label="y", headers=("a", "b", "y")),
    )
    assert data.table.to_pydict() == {
        "a": [1, 3],
        "b": [2, 4],
        "y": [1, 0],
        "predicted_label": [1, 0],
    }


def test_json_lines_output_detected(base: str) -> None:
    ids = write_batch_capture(
        f"{base}/capture",
        output_prefix=f"{base}/out",
        name="p",
        dataset_format="jsonl",
        features=[[5, 6]],
        predictions=[{"predicted_label": 1, "score": 0.97}],
        job_start=START,
    )
    upload_ground_truth(
        f"{base}/truth", [GroundTruthRecord.of(ids[0], {"label": 1})], collected_at=T
    )
    data = read_batch_window(
        f"{base}/capture",
        f"{base}/truth",
        WINDOW,
        options=DecodingOptions(
            features_attribute="features",
            inference_attribute="predicted_label",
            label_attribute="label",
        ),
        layout=TableLayout(label="y", headers=("a", "b", "y")),
    )
    assert data.table.to_pydict() == {"a": [5], "b": [6], "y": [1], "predicted_label": [1]}


def test_bad_manifest_and_bad_records_are_counted(base: str) -> None:
    ids = write_batch_capture(
        f"{base}/capture",
        output_prefix=f"{base}/out",
        name="ok",
        features=[[1, 2], [3, 4]],
        predictions=[0.9, 0.2],
        job_start=START,
    )
    write_bytes(f"{base}/capture/output/2026/11/24/09/zz.json", b"not json")
    output = f"{base}/out/ok.out"
    good = read_bytes(output).split(b"\n")
    bad_byte = good[1].replace(b",", b",\xff", 1)  # a valid record, but for one byte
    write_bytes(output, b"\n".join([good[0], bad_byte, b"7,8", b""]))
    upload_ground_truth(f"{base}/truth", [GroundTruthRecord(k, "1") for k in ids], collected_at=T)
    data = read_batch_window(f"{base}/capture", f"{base}/truth", WINDOW)
    assert data.table.num_rows == 1
    reasons = [sample.reason for sample in data.diagnostics.malformed_samples]
    assert any("manifest is not valid JSON" in r for r in reasons)
    assert any("has 2 fields" in r for r in reasons)
    assert "not UTF-8 text: byte 0xff at position 2" in reasons


def test_mismatched_lengths_are_a_config_error(base: str) -> None:
    from biaswatch.errors import ConfigError

    with pytest.raises(ConfigError, match="2 feature rows but 1 predictions"):
        write_batch_capture(
            f"{base}/c",
            output_prefix=f"{base}/o",
            name="x",
            features=[[1], [2]],
            predictions=[1],
            job_start=START,
        )

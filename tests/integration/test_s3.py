"""Storage and capture windows against a real S3 API server on loopback (moto server mode)."""

from __future__ import annotations

import pytest
from tests.capture_data import WINDOW, T, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, read_endpoint_window
from biaswatch.errors import StorageError
from biaswatch.storage import exists, list_files, list_hour_files, read_bytes, write_bytes


def test_write_read_list(s3_bucket: str) -> None:
    write_bytes(f"{s3_bucket}/a/2026/11/24/09/x.jsonl", b"one\n")
    write_bytes(f"{s3_bucket}/a/2026/11/24/09/y.jsonl", b"two\n")
    write_bytes(f"{s3_bucket}/a/2026/11/24/10/z.jsonl", b"three\n")
    assert read_bytes(f"{s3_bucket}/a/2026/11/24/09/y.jsonl") == b"two\n"
    assert list_files(f"{s3_bucket}/a/2026/11/24/09") == [
        f"{s3_bucket}/a/2026/11/24/09/x.jsonl",
        f"{s3_bucket}/a/2026/11/24/09/y.jsonl",
    ]
    assert [f.uri.rsplit("/", 1)[1] for f in list_hour_files(f"{s3_bucket}/a", T, T)] == ["z.jsonl"]
    assert exists(f"{s3_bucket}/a/2026/11/24/10/z.jsonl")
    assert list_files(f"{s3_bucket}/nothing-here") == []


def test_listing_sees_files_written_by_another_client(s3_bucket: str, s3_server: str) -> None:
    import boto3

    folder = f"{s3_bucket}/late"
    write_bytes(f"{folder}/a.jsonl", b"a\n")
    assert len(list_files(folder)) == 1
    bucket = s3_bucket.removeprefix("s3://")
    boto3.client("s3", endpoint_url=s3_server).put_object(
        Bucket=bucket, Key="late/b.jsonl", Body=b"b\n"
    )
    assert len(list_files(folder)) == 2


def test_missing_object_is_a_storage_error(s3_bucket: str) -> None:
    with pytest.raises(StorageError, match="no such file"):
        read_bytes(f"{s3_bucket}/absent.jsonl")


def test_window_on_s3_equals_the_same_window_in_memory(s3_bucket: str) -> None:
    lines = [capture(i, f"{i},{i + 1}", f"0.{i + 2}").to_line() for i in range(6)]
    truth = [GroundTruthRecord(str(i), str(i % 2)) for i in range(6)]
    results = []
    for base in (s3_bucket, "memory://s3-twin"):
        write_capture(f"{base}/capture", lines)
        write_truth(f"{base}/truth", truth)
        results.append(
            read_endpoint_window(f"{base}/capture", f"{base}/truth", WINDOW, endpoint="ep")
        )
    assert results[0].table.equals(results[1].table)
    assert results[0].diagnostics == results[1].diagnostics
    assert results[0].table.num_rows == 6

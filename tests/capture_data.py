"""Builders of capture and ground-truth files for the capture tests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from biaswatch.capture import GroundTruthRecord, Window
from biaswatch.capture.endpoint import CaptureRecord, Encoding, Payload, capture_file_name
from biaswatch.storage import hour_folder, join, write_bytes

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
WINDOW = Window.from_offsets(T, "-PT1H", "-PT0H")


def capture(
    key: int,
    features: str,
    output: str,
    *,
    input_type: str = "text/csv",
    output_type: str = "text/csv",
    encoding: Encoding = Encoding.CSV,
    minute: int = 30,
    inference_id: bool = True,
) -> CaptureRecord:
    """One captured invocation at ``T - 1h + minute``."""
    data_in, data_out = features, output
    if encoding is Encoding.BASE64:
        data_in = base64.b64encode(features.encode()).decode()
        data_out = base64.b64encode(output.encode()).decode()
    return CaptureRecord(
        input=Payload(input_type, "INPUT", data_in, encoding),
        output=Payload(output_type, "OUTPUT", data_out, encoding),
        event_id=f"event-{key}",
        inference_id=str(key) if inference_id else None,
        inference_time=T - timedelta(hours=1) + timedelta(minutes=minute),
    )


def write_capture(root: str, lines: list[bytes], *, hour: datetime | None = None) -> str:
    """Write capture lines as one file of endpoint ``ep`` in ``hour`` (default T - 1h)."""
    moment = (hour or T - timedelta(hours=1)) + timedelta(minutes=5)
    uri = join(root, "ep", "AllTraffic", capture_file_name(moment))
    write_bytes(uri, b"".join(lines))
    return uri


def write_truth(
    root: str, records: list[GroundTruthRecord], *, hour: datetime = T, name: str = "a"
) -> str:
    """Write ground-truth records as one file in ``hour``'s folder."""
    uri = join(root, hour_folder(hour), f"{name}.jsonl")
    write_bytes(uri, b"".join(record.to_line() for record in records))
    return uri

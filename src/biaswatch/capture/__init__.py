"""Capture and ground truth: SageMaker's formats, writing and reading them, windows, the join."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.capture.assembly import TableLayout, WindowData
    from biaswatch.capture.diagnostics import Diagnostics, MalformedSample
    from biaswatch.capture.endpoint import CaptureRecord, Encoding, Payload, parse_capture_line
    from biaswatch.capture.endpoint_window import read_endpoint_window
    from biaswatch.capture.ground_truth import (
        GroundTruthRecord,
        parse_ground_truth_line,
        read_ground_truth,
        upload_ground_truth,
    )
    from biaswatch.capture.live import LiveBias
    from biaswatch.capture.window import Window, parse_offset

__all__ = [
    "CaptureRecord",
    "Diagnostics",
    "Encoding",
    "GroundTruthRecord",
    "LiveBias",
    "MalformedSample",
    "Payload",
    "TableLayout",
    "Window",
    "WindowData",
    "parse_capture_line",
    "parse_ground_truth_line",
    "parse_offset",
    "read_endpoint_window",
    "read_ground_truth",
    "upload_ground_truth",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
